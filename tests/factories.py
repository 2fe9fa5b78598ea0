"""factory-boy factories for the models tests need in bulk."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from crm.models import Customer
from inventory.models import Product, Warehouse
from logistics.models import Carrier
from orders.models import SalesChannel


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "测试"
    password = factory.PostGenerationMethodCall("set_password", "s3cret-pass")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        # Runs after the password was set: one save keeps both.
        if not create:
            return
        if extracted:
            self.groups.set(Group.objects.filter(name__in=extracted))
            self.is_staff = "admin" in extracted
        self.save()


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    code = factory.Sequence(lambda n: f"T{n:06d}")
    name = factory.Sequence(lambda n: f"客户{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    tier = Customer.Tier.STANDARD


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse

    code = factory.Sequence(lambda n: f"W{n:03d}")
    name = factory.Sequence(lambda n: f"仓库{n}")
    city = "上海市"
    latitude = Decimal("31.230000")
    longitude = Decimal("121.470000")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"商品{n}")
    list_price = Decimal("99.00")


class SalesChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesChannel

    code = factory.Sequence(lambda n: f"CH{n:03d}")
    name = factory.Sequence(lambda n: f"渠道{n}")
    kind = SalesChannel.Kind.WEB_STORE


class CarrierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Carrier

    code = factory.Sequence(lambda n: f"CR{n:03d}")
    name = factory.Sequence(lambda n: f"承运商{n}")
    mode = Carrier.Mode.COURIER

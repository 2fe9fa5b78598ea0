from django.db.models import QuerySet

from inventory.models import Product, Warehouse


def product_list() -> QuerySet[Product]:
    return Product.objects.all()


def warehouse_list() -> QuerySet[Warehouse]:
    return Warehouse.objects.all()

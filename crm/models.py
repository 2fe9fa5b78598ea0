"""Customers and their addresses. One customer across every channel."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from erp.core.models import TimeStampedModel


class Customer(TimeStampedModel):
    """A person or company that buys from us, whichever channel they use."""

    class Kind(models.TextChoices):
        PERSON = "person", _("person")  # a consumer
        COMPANY = "company", _("company")  # a business buyer (B2B)

    class Tier(models.TextChoices):
        STANDARD = "standard", _("standard")  # default for new customers
        SILVER = "silver", _("silver")
        GOLD = "gold", _("gold")
        VIP = "vip", _("VIP")  # top value; served first when stock is short

    code = models.CharField(_("customer code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PERSON)
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, default=Tier.STANDARD)
    default_address = models.ForeignKey(
        "crm.Address",
        verbose_name=_("default address"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    marketing_consent = models.BooleanField(_("marketing consent"), default=False)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_customers",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def phone_tail(self) -> str:
        digits = "".join(ch for ch in self.phone if ch.isdigit())
        return digits[-4:]


class Address(TimeStampedModel):
    """A delivery address of a customer (mainland format: province, city, district)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="addresses"
    )
    recipient = models.CharField(_("recipient"), max_length=100)
    phone = models.CharField(_("phone"), max_length=32)
    province = models.CharField(_("province"), max_length=50)
    city = models.CharField(_("city"), max_length=50)
    district = models.CharField(_("district"), max_length=50, blank=True)
    street = models.CharField(_("street address"), max_length=255)
    postcode = models.CharField(_("postcode"), max_length=12, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["customer_id", "id"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self) -> str:
        return f"{self.province}{self.city}{self.district}{self.street}"

"""Sales channels. Orders and their lifecycle follow with the orders and
inventory capability."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from erp.core.models import TimeStampedModel


class SalesChannel(TimeStampedModel):
    """A place orders come from: a web store, a marketplace shop, a store, a phone line."""

    class Kind(models.TextChoices):
        WEB_STORE = "web_store", _("web store")  # our own online shop
        MARKETPLACE = "marketplace", _("marketplace")  # a shop on Tmall, JD.com, ...
        OFFLINE_STORE = "offline_store", _("offline store")  # a physical shop
        SOCIAL = "social", _("social commerce")  # Douyin, WeChat mini-programs, ...
        PHONE = "phone", _("phone")  # orders taken by phone
        B2B = "b2b", _("B2B")  # business customers
        API = "api", _("API")  # a system pushing orders over the API

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    default_warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("default warehouse"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="default_for_channels",
    )
    auto_confirm = models.BooleanField(_("confirm automatically"), default=False)
    allow_backorder = models.BooleanField(_("allow backorders"), default=False)
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("sales channel")
        verbose_name_plural = _("sales channels")

    def __str__(self) -> str:
        return self.name

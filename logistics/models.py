"""Carriers. Shipments, dispatch and tracking follow with the logistics capability."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from erp.core.models import TimeStampedModel


class Carrier(TimeStampedModel):
    """A company (or our own fleet) that carries shipments."""

    class Mode(models.TextChoices):
        ROAD = "road", _("road")
        RAIL = "rail", _("rail")
        AIR = "air", _("air")
        SEA = "sea", _("sea")
        COURIER = "courier", _("courier")  # parcel express (SF, JD, ZTO ...)

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    mode = models.CharField(_("transport mode"), max_length=10, choices=Mode.choices)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    tracking_url_template = models.CharField(
        _("tracking link template"),
        max_length=255,
        blank=True,
        help_text=_("Use {number} where the waybill number goes."),
    )
    own_fleet = models.BooleanField(_("own fleet"), default=False)
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")

    def __str__(self) -> str:
        return self.name

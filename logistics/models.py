"""Carriers, vehicles and drivers. Shipments, dispatch and tracking follow
with the rest of the logistics capability."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from erp.core.models import TimeStampedModel

# Typical well-to-wheel intensities, g CO2e per tonne-km, by transport mode
# (order of magnitude of the GLEC framework's defaults). A carrier's own figure
# replaces them.
DEFAULT_EMISSION_FACTORS = {
    "road": Decimal("105"),
    "rail": Decimal("22"),
    "air": Decimal("1130"),
    "sea": Decimal("12"),
    "courier": Decimal("180"),  # light vans, many stops
}


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
    emission_factor = models.DecimalField(
        _("emission factor (g CO2e per tonne-km)"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Leave empty to use the default for the transport mode."),
    )
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")
        constraints = [
            models.CheckConstraint(
                condition=Q(emission_factor__isnull=True) | Q(emission_factor__gte=0),
                name="carrier_emission_factor_gte_0",
            )
        ]

    @property
    def effective_emission_factor(self) -> Decimal:
        """g CO2e per tonne-km: the carrier's own figure, else its mode's default."""
        if self.emission_factor is not None:
            return self.emission_factor
        return DEFAULT_EMISSION_FACTORS[self.mode]

    def __str__(self) -> str:
        return self.name


class Driver(TimeStampedModel):
    """A driver or courier of our own fleet."""

    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=32)
    licence_number = models.CharField(_("licence number"), max_length=40, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="driver",
    )
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("driver")
        verbose_name_plural = _("drivers")

    def __str__(self) -> str:
        return self.name


class Vehicle(TimeStampedModel):
    """A vehicle of our own fleet, based at a depot warehouse."""

    class Status(models.TextChoices):
        AVAILABLE = "available", pgettext_lazy("vehicle", "available")  # can be planned
        ON_ROUTE = "on_route", pgettext_lazy("vehicle", "on route")  # out on today's plan
        MAINTENANCE = "maintenance", pgettext_lazy("vehicle", "maintenance")  # in the workshop
        RETIRED = "retired", pgettext_lazy("vehicle", "retired")  # no longer used

    plate = models.CharField(_("plate"), max_length=20, unique=True)
    depot = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("depot"),
        on_delete=models.PROTECT,
        related_name="vehicles",
    )
    carrier = models.ForeignKey(
        Carrier,
        verbose_name=_("carrier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="vehicles",
    )
    capacity_kg = models.PositiveIntegerField(_("capacity (kg)"))
    capacity_m3 = models.DecimalField(_("capacity (m³)"), max_digits=7, decimal_places=2)
    driver = models.ForeignKey(
        Driver,
        verbose_name=_("driver"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="vehicles",
    )
    refrigerated = models.BooleanField(_("refrigerated"), default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.AVAILABLE
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["depot_id", "plate"]
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        constraints = [
            models.CheckConstraint(condition=Q(capacity_kg__gt=0), name="vehicle_capacity_kg_gt_0"),
            models.CheckConstraint(condition=Q(capacity_m3__gt=0), name="vehicle_capacity_m3_gt_0"),
        ]

    def __str__(self) -> str:
        return self.plate

"""Carriers and our fleet; shipments with their lines, events, exceptions and
proof of delivery; pick waves; dispatch plans; tracking devices and their
sensor readings."""

import hashlib
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
    # Freight tariff: a shipment costs base fee + weight x rate per kg.
    base_fee = models.DecimalField(
        _("base fee per shipment"), max_digits=10, decimal_places=2, default=0
    )
    fee_per_kg = models.DecimalField(_("fee per kg"), max_digits=10, decimal_places=2, default=0)
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


class Shipment(TimeStampedModel):
    """Goods of one order leaving one warehouse together: all of the order or
    part of it. Its status changes only through logistics.services.shipment_transition."""

    class Status(models.TextChoices):
        PLANNED = "planned", pgettext_lazy("shipment", "planned")  # created, not yet picked
        PICKING = "picking", pgettext_lazy("shipment", "picking")  # on a released pick wave
        PACKED = "packed", pgettext_lazy("shipment", "packed")  # every unit scanned into the box
        DISPATCHED = "dispatched", pgettext_lazy("shipment", "dispatched")  # left the warehouse
        IN_TRANSIT = "in_transit", pgettext_lazy("shipment", "in transit")
        OUT_FOR_DELIVERY = "out_for_delivery", pgettext_lazy("shipment", "out for delivery")
        DELIVERED = "delivered", pgettext_lazy("shipment", "delivered")  # signed for
        EXCEPTION = "exception", pgettext_lazy("shipment", "exception")  # stopped by a problem
        RETURNED_TO_SENDER = "returned_to_sender", pgettext_lazy("shipment", "returned to sender")
        CANCELLED = "cancelled", pgettext_lazy("shipment", "cancelled")  # never left

    number = models.CharField(_("shipment number"), max_length=30, unique=True)
    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="shipments"
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("origin warehouse"),
        on_delete=models.PROTECT,
        related_name="shipments",
    )
    carrier = models.ForeignKey(
        Carrier,
        verbose_name=_("carrier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shipments",
    )
    vehicle = models.ForeignKey(
        Vehicle,
        verbose_name=_("vehicle"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="shipments",
    )
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED, db_index=True
    )
    # Where an exception stopped it: it goes on from there once resolved.
    exception_from = models.CharField(max_length=20, choices=Status.choices, blank=True)
    weight_kg = models.DecimalField(
        _("weight (kg)"), max_digits=10, decimal_places=3, default=Decimal("0")
    )
    volume_m3 = models.DecimalField(
        _("volume (m³)"), max_digits=10, decimal_places=4, default=Decimal("0")
    )
    destination_city = models.CharField(_("destination city"), max_length=50, blank=True)
    destination_latitude = models.DecimalField(
        _("destination latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    destination_longitude = models.DecimalField(
        _("destination longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    planned_pickup_at = models.DateTimeField(_("planned pick-up"), null=True, blank=True)
    picked_up_at = models.DateTimeField(_("picked up at"), null=True, blank=True)
    # The delivery time window promised to the customer; its end is the
    # planned delivery time an ETA is measured against.
    window_start = models.DateTimeField(_("delivery window from"), null=True, blank=True)
    planned_delivery_at = models.DateTimeField(
        _("planned delivery"), null=True, blank=True, db_index=True
    )
    eta = models.DateTimeField(_("ETA"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # Cold chain: the range the goods must stay in (empty: not watched).
    temperature_min = models.DecimalField(
        _("lowest temperature (°C)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    temperature_max = models.DecimalField(
        _("highest temperature (°C)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    humidity_min = models.DecimalField(
        _("lowest humidity (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    humidity_max = models.DecimalField(
        _("highest humidity (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    last_position_at = models.DateTimeField(_("last position at"), null=True, blank=True)
    last_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    last_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    last_moved_at = models.DateTimeField(_("last moved at"), null=True, blank=True)
    # Carbon estimate: road distance travelled x weight x the carrier's factor.
    distance_km = models.DecimalField(
        _("distance (km)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    co2e_kg = models.DecimalField(
        _("carbon emissions (kg CO2e)"), max_digits=12, decimal_places=3, null=True, blank=True
    )
    freight_cost = models.DecimalField(
        _("freight cost"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    pick_wave = models.ForeignKey(
        "PickWave",
        verbose_name=_("wave"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="shipments",
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        permissions = [
            ("pack_shipment", _("Can pick and pack shipments")),
            ("dispatch_shipment", _("Can dispatch shipments and record their delivery")),
        ]
        indexes = [models.Index(fields=["warehouse", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(weight_kg__gte=0), name="shipment_weight_gte_0"),
            models.CheckConstraint(condition=Q(volume_m3__gte=0), name="shipment_volume_gte_0"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def cold_chain(self) -> bool:
        """Its temperature is watched (a refrigerated vehicle carries it)."""
        return self.temperature_min is not None or self.temperature_max is not None

    @property
    def tracking_url(self) -> str:
        if self.carrier_id and self.carrier.tracking_url_template and self.tracking_number:
            return self.carrier.tracking_url_template.replace("{number}", self.tracking_number)
        return ""


SHIPMENT_TRANSITIONS: dict[str, set[str]] = {
    Shipment.Status.PLANNED: {Shipment.Status.PICKING, Shipment.Status.CANCELLED},
    Shipment.Status.PICKING: {
        Shipment.Status.PACKED,
        Shipment.Status.PLANNED,
        Shipment.Status.CANCELLED,
    },
    Shipment.Status.PACKED: {Shipment.Status.DISPATCHED, Shipment.Status.CANCELLED},
    Shipment.Status.DISPATCHED: {
        Shipment.Status.IN_TRANSIT,
        Shipment.Status.OUT_FOR_DELIVERY,
        Shipment.Status.DELIVERED,
        Shipment.Status.EXCEPTION,
        Shipment.Status.RETURNED_TO_SENDER,
    },
    Shipment.Status.IN_TRANSIT: {
        Shipment.Status.OUT_FOR_DELIVERY,
        Shipment.Status.DELIVERED,
        Shipment.Status.EXCEPTION,
        Shipment.Status.RETURNED_TO_SENDER,
    },
    Shipment.Status.OUT_FOR_DELIVERY: {
        Shipment.Status.IN_TRANSIT,  # taken back to the station after a failed attempt
        Shipment.Status.DELIVERED,
        Shipment.Status.EXCEPTION,
        Shipment.Status.RETURNED_TO_SENDER,
    },
    # Resolved: back on the road (the status it had, narrowed by the service),
    # delivered after all, or sent back.
    Shipment.Status.EXCEPTION: {
        Shipment.Status.DISPATCHED,
        Shipment.Status.IN_TRANSIT,
        Shipment.Status.OUT_FOR_DELIVERY,
        Shipment.Status.DELIVERED,
        Shipment.Status.RETURNED_TO_SENDER,
    },
    Shipment.Status.DELIVERED: set(),
    Shipment.Status.RETURNED_TO_SENDER: set(),
    Shipment.Status.CANCELLED: set(),
}

# Statuses in which the goods have left the warehouse.
SHIPMENT_ON_THE_ROAD = (
    Shipment.Status.DISPATCHED,
    Shipment.Status.IN_TRANSIT,
    Shipment.Status.OUT_FOR_DELIVERY,
    Shipment.Status.EXCEPTION,
)
# Statuses in which the shipment still holds stock in the warehouse.
SHIPMENT_IN_WAREHOUSE = (Shipment.Status.PLANNED, Shipment.Status.PICKING, Shipment.Status.PACKED)


class ShipmentLine(models.Model):
    """How many units of one order line travel in a shipment."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "orders.OrderLine",
        verbose_name=_("order line"),
        on_delete=models.PROTECT,
        related_name="shipment_lines",
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    quantity_picked = models.PositiveIntegerField(_("picked"), default=0)
    quantity_packed = models.PositiveIntegerField(_("packed"), default=0)

    class Meta:
        ordering = ["shipment_id", "order_line__line_no"]
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "order_line"], name="shipmentline_unique_order_line"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shipmentline_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(quantity_packed__lte=models.F("quantity")),
                name="shipmentline_packed_lte_quantity",
            ),
            models.CheckConstraint(
                condition=Q(quantity_picked__lte=models.F("quantity")),
                name="shipmentline_picked_lte_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shipment} {self.order_line.sku} × {self.quantity}"


class ShipmentEvent(models.Model):
    """One entry of a shipment's tracking history (物流轨迹): a status change, a
    carrier's tracking event, a warehouse scan, an exception, a note.

    `occurred_at` is when it happened (the timeline is sorted by it, so an event
    that arrives late takes its place); `external_id` with `source` makes a
    repeated delivery of the same event harmless."""

    class Kind(models.TextChoices):
        STATUS = "status", _("status changed")
        TRACKING = "tracking", _("tracking event")
        SCAN = "scan", _("scan")
        EXCEPTION = "exception", _("exception")
        DELIVERY = "delivery", _("proof of delivery")
        NOTE = "note", _("note")

    class Source(models.TextChoices):
        SYSTEM = "system", _("system")
        STAFF = "staff", _("staff")
        CARRIER = "carrier", _("carrier")
        SCANNER = "scanner", _("scanner")
        DEVICE = "device", _("device")

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    external_id = models.CharField(_("event id"), max_length=100, blank=True)
    from_status = models.CharField(
        _("from"), max_length=20, choices=Shipment.Status.choices, blank=True
    )
    to_status = models.CharField(
        _("to"), max_length=20, choices=Shipment.Status.choices, blank=True
    )
    carrier_status = models.CharField(_("carrier status"), max_length=60, blank=True)
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    location = models.CharField(pgettext_lazy("place", "location"), max_length=200, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    visible_to_customer = models.BooleanField(_("visible to the customer"), default=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "source", "external_id"],
                condition=~Q(external_id=""),
                name="shipmentevent_unique_external_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.shipment} {self.kind} {self.occurred_at:%Y-%m-%d %H:%M}"


class ShipmentException(TimeStampedModel):
    """A problem with a shipment, found on ingest or by the periodic watch.

    Watched conditions (late, temperature, humidity, no movement) are episodes:
    at most one is open per shipment and kind (the database refuses a second),
    and it ends when the condition clears. Reported ones (failed attempt,
    damage, loss) are one exception per report."""

    class Kind(models.TextChoices):
        LATE = "late", _("late: ETA past the planned delivery")
        TEMPERATURE = "temperature", _("temperature out of range")
        HUMIDITY = "humidity", _("humidity out of range")
        NO_MOVEMENT = "no_movement", _("no movement")
        FAILED_ATTEMPT = "failed_attempt", _("failed delivery attempt")
        DAMAGED = "damaged", _("damaged")
        LOST = "lost", _("lost")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("exception", "open")
        RESOLVED = "resolved", pgettext_lazy("exception", "resolved")

    EPISODE_KINDS = ("late", "temperature", "humidity", "no_movement")

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="exceptions")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    started_at = models.DateTimeField(_("started at"))
    # The condition cleared (a reading back in range, the shipment moved ...).
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    details = models.CharField(_("details"), max_length=500, blank=True)
    # Worst value seen during the episode (temperature, humidity, hours late ...).
    peak_value = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution = models.CharField(_("resolution"), max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("exception")
        verbose_name_plural = _("exceptions")
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "kind"],
                condition=Q(ended_at__isnull=True)
                & Q(kind__in=["late", "temperature", "humidity", "no_movement"]),
                name="shipmentexception_one_open_episode",
            )
        ]

    def __str__(self) -> str:
        return f"{self.shipment} {self.get_kind_display()}"


class ProofOfDelivery(TimeStampedModel):
    """Who took the goods, when and where; optionally a photo and a signature."""

    shipment = models.OneToOneField(
        Shipment, on_delete=models.CASCADE, related_name="proof_of_delivery"
    )
    recipient_name = models.CharField(_("recipient"), max_length=100)
    delivered_at = models.DateTimeField(_("delivered at"))
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    photo = models.ImageField(_("photo"), upload_to="pod/%Y/%m/", blank=True)
    signature = models.ImageField(_("signature"), upload_to="pod/%Y/%m/", blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("proof of delivery")
        verbose_name_plural = _("proofs of delivery")

    def __str__(self) -> str:
        return f"{self.shipment} {self.recipient_name}"


class PickWave(TimeStampedModel):
    """A batch of shipments of one warehouse picked together. Its pick list
    (PickLine) is sorted by bin location so a picker walks each aisle once."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("wave", "open")  # being picked
        DONE = "done", pgettext_lazy("wave", "done")  # every shipment packed or left out
        CANCELLED = "cancelled", pgettext_lazy("wave", "cancelled")

    number = models.CharField(_("wave number"), max_length=30, unique=True)
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("warehouse"),
        on_delete=models.PROTECT,
        related_name="pick_waves",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    picker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("picker"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("wave")
        verbose_name_plural = _("waves")

    def __str__(self) -> str:
        return self.number


class PickLine(models.Model):
    """One row of a wave's pick list: take `quantity` of a shipment line from a bin."""

    wave = models.ForeignKey(PickWave, on_delete=models.CASCADE, related_name="lines")
    shipment_line = models.OneToOneField(
        ShipmentLine, on_delete=models.CASCADE, related_name="pick_line"
    )
    location_code = models.CharField(_("bin"), max_length=30, blank=True)
    sequence = models.PositiveIntegerField(_("sequence"))
    quantity = models.PositiveIntegerField(_("quantity"))
    quantity_picked = models.PositiveIntegerField(_("picked"), default=0)

    class Meta:
        ordering = ["wave_id", "sequence"]
        verbose_name = _("pick line")
        verbose_name_plural = _("pick lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity_picked__lte=models.F("quantity")),
                name="pickline_picked_lte_quantity",
            )
        ]

    def __str__(self) -> str:
        return f"{self.wave} #{self.sequence}"


class DispatchPlan(TimeStampedModel):
    """The routes of one depot's vehicles on one day: which shipments each
    vehicle carries and in which order it calls."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("plan", "draft")  # shipments chosen, not solved
        SOLVED = "solved", pgettext_lazy("plan", "solved")  # routes computed
        RELEASED = "released", pgettext_lazy("plan", "released")  # vehicles sent out
        CANCELLED = "cancelled", pgettext_lazy("plan", "cancelled")

    number = models.CharField(_("plan number"), max_length=30, unique=True)
    depot = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("depot"),
        on_delete=models.PROTECT,
        related_name="dispatch_plans",
    )
    date = models.DateField(_("date"), db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    shipments = models.ManyToManyField(
        Shipment, verbose_name=_("shipments"), related_name="dispatch_plans", blank=True
    )
    vehicles = models.ManyToManyField(
        Vehicle, verbose_name=_("vehicles"), related_name="dispatch_plans", blank=True
    )
    shift_start = models.TimeField(_("shift starts"), default="08:00")
    shift_end = models.TimeField(_("shift ends"), default="20:00")
    time_limit_seconds = models.PositiveSmallIntegerField(_("time limit (s)"), default=5)
    total_distance_m = models.PositiveIntegerField(_("total distance (m)"), null=True, blank=True)
    baseline_distance_m = models.PositiveIntegerField(
        _("nearest-neighbour distance (m)"), null=True, blank=True
    )
    solve_seconds = models.DecimalField(
        _("solve time (s)"), max_digits=7, decimal_places=3, null=True, blank=True
    )
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("dispatch plan")
        verbose_name_plural = _("dispatch plans")

    def __str__(self) -> str:
        return self.number


class DispatchRoute(models.Model):
    """One vehicle's route in a plan."""

    plan = models.ForeignKey(DispatchPlan, on_delete=models.CASCADE, related_name="routes")
    vehicle = models.ForeignKey(Vehicle, verbose_name=_("vehicle"), on_delete=models.PROTECT)
    distance_m = models.PositiveIntegerField(_("distance (m)"), default=0)
    load_kg = models.DecimalField(_("load (kg)"), max_digits=10, decimal_places=3, default=0)
    load_m3 = models.DecimalField(_("load (m³)"), max_digits=10, decimal_places=4, default=0)
    starts_at = models.DateTimeField(_("leaves at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("back at"), null=True, blank=True)

    class Meta:
        ordering = ["plan_id", "vehicle__plate"]
        verbose_name = _("route")
        verbose_name_plural = _("routes")
        constraints = [
            models.UniqueConstraint(fields=["plan", "vehicle"], name="dispatchroute_unique_vehicle")
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.vehicle}"


class DispatchStop(models.Model):
    """A call at a delivery address, in the route's order."""

    route = models.ForeignKey(DispatchRoute, on_delete=models.CASCADE, related_name="stops")
    shipment = models.ForeignKey(
        Shipment, verbose_name=_("shipment"), on_delete=models.CASCADE, related_name="stops"
    )
    sequence = models.PositiveSmallIntegerField(_("stop"))
    eta = models.DateTimeField(_("ETA"))
    distance_from_previous_m = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["route_id", "sequence"]
        verbose_name = _("stop")
        verbose_name_plural = _("stops")
        constraints = [
            models.UniqueConstraint(fields=["route", "sequence"], name="dispatchstop_unique_seq")
        ]

    def __str__(self) -> str:
        return f"{self.route} #{self.sequence}"


def device_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TrackingDevice(TimeStampedModel):
    """A GPS / temperature / humidity logger that posts readings with its own
    token. It travels with a shipment (or rides in a vehicle)."""

    device_id = models.CharField(_("device id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    token_digest = models.CharField(max_length=64, unique=True)
    token_prefix = models.CharField(max_length=8)
    shipment = models.ForeignKey(
        Shipment,
        verbose_name=_("shipment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="devices",
    )
    vehicle = models.ForeignKey(
        Vehicle,
        verbose_name=_("vehicle"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="devices",
    )
    active = models.BooleanField(_("active"), default=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)

    class Meta:
        ordering = ["device_id"]
        verbose_name = _("tracking device")
        verbose_name_plural = _("tracking devices")

    def __str__(self) -> str:
        return self.device_id


class SensorReading(models.Model):
    """One reading of a device; the same device and time is stored once."""

    device = models.ForeignKey(TrackingDevice, on_delete=models.CASCADE, related_name="readings")
    shipment = models.ForeignKey(
        Shipment, null=True, blank=True, on_delete=models.CASCADE, related_name="readings"
    )
    recorded_at = models.DateTimeField(_("time"))
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    temperature = models.DecimalField(
        _("temperature (°C)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    humidity = models.DecimalField(
        _("humidity (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name = _("sensor reading")
        verbose_name_plural = _("sensor readings")
        constraints = [
            models.UniqueConstraint(
                fields=["device", "recorded_at"], name="sensorreading_unique_time"
            )
        ]
        indexes = [models.Index(fields=["shipment", "recorded_at"])]

    def __str__(self) -> str:
        return f"{self.device} {self.recorded_at:%Y-%m-%d %H:%M:%S}"

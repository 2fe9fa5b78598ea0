"""Products (SKUs), warehouses and bins. Stock levels and the ledger follow
with the orders and inventory capability."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from erp.core.models import TimeStampedModel


class Product(TimeStampedModel):
    """A stock-keeping unit we sell and hold in warehouses."""

    class Unit(models.TextChoices):
        PIECE = "pcs", _("piece")
        BOX = "box", _("box")
        SET = "set", _("set")
        KILOGRAM = "kg", _("kilogram")
        LITRE = "l", _("litre")

    sku = models.CharField(_("SKU"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    barcode = models.CharField(
        _("barcode"),
        max_length=14,
        unique=True,
        null=True,
        blank=True,
        help_text=_("EAN-13 / GTIN"),
    )
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices, default=Unit.PIECE)
    category = models.CharField(_("category"), max_length=100, blank=True, db_index=True)
    weight_kg = models.DecimalField(
        _("weight (kg)"), max_digits=10, decimal_places=3, default=Decimal("0")
    )
    volume_m3 = models.DecimalField(
        _("volume (m³)"), max_digits=10, decimal_places=4, default=Decimal("0")
    )
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    unit_cost = models.DecimalField(
        _("unit cost (moving average)"), max_digits=14, decimal_places=4, default=Decimal("0")
    )
    list_price = models.DecimalField(
        _("list price"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    reorder_point = models.PositiveIntegerField(_("reorder point"), default=0)
    safety_stock = models.PositiveIntegerField(_("safety stock"), default=0)
    reorder_quantity = models.PositiveIntegerField(_("reorder quantity"), default=0)
    # Days from ordering more to having it on the shelf (stock-out forecasts).
    lead_time_days = models.PositiveSmallIntegerField(_("lead time (days)"), default=7)
    # Months of manufacturer's warranty from the purchase date (0: none).
    warranty_months = models.PositiveSmallIntegerField(_("warranty (months)"), default=12)
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["sku"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="product_unit_cost_gte_0"),
            models.CheckConstraint(condition=Q(list_price__gte=0), name="product_list_price_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class Warehouse(TimeStampedModel):
    """A place that holds stock and ships orders."""

    class Kind(models.TextChoices):
        CENTRAL = "central", _("central")  # national distribution centre
        REGIONAL = "regional", _("regional")  # serves one region
        STORE = "store", _("store")  # a shop's back room
        THIRD_PARTY = "third_party", _("third-party")  # run by a logistics partner

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.REGIONAL)
    province = models.CharField(_("province"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50)
    address = models.CharField(_("address"), max_length=255, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, validators=[MinValueValidator(-90)]
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, validators=[MinValueValidator(-180)]
    )
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90), name="warehouse_latitude_range"
            ),
            models.CheckConstraint(
                condition=Q(longitude__gte=-180, longitude__lte=180),
                name="warehouse_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Location(TimeStampedModel):
    """A bin inside a warehouse (aisle-rack-level)."""

    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.CASCADE, related_name="locations"
    )
    code = models.CharField(_("code"), max_length=30)
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["warehouse_id", "code"]
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "code"], name="location_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.warehouse.code}/{self.code}"


class StockLevel(TimeStampedModel):
    """How many units of a product a warehouse holds, and how many of those
    are reserved for orders. Changed only through inventory.services.stock;
    `on_hand` always equals the sum of the level's stock moves."""

    warehouse = models.ForeignKey(
        Warehouse,
        verbose_name=_("warehouse"),
        on_delete=models.PROTECT,
        related_name="stock_levels",
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="stock_levels"
    )
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    # The bin the product is picked from in this warehouse (pick lists sort by it).
    location = models.ForeignKey(
        Location,
        verbose_name=_("bin"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stock_levels",
    )

    class Meta:
        ordering = ["warehouse_id", "product_id"]
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "product"], name="stocklevel_unique"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stocklevel_on_hand_gte_0"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stocklevel_reserved_gte_0"),
            models.CheckConstraint(
                condition=Q(reserved__lte=models.F("on_hand")),
                name="stocklevel_reserved_lte_on_hand",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.warehouse.code} {self.product.sku}: {self.on_hand}/{self.reserved}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockMove(models.Model):
    """One change of a stock level's on-hand quantity: the append-only ledger.

    Rows are only ever added; a mistake is corrected by another move.
    """

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("receipt")  # goods in from a supplier or production
        SHIPMENT = "shipment", _("shipment")  # goods out to a customer
        RETURN = "return", _("return")  # goods back from a customer
        ADJUSTMENT = "adjustment", _("adjustment")  # manual correction
        TRANSFER_OUT = "transfer_out", _("transfer out")  # leaves for another warehouse
        TRANSFER_IN = "transfer_in", _("transfer in")  # arrives from another warehouse
        COUNT_CORRECTION = "count_correction", _("count correction")  # posted stocktake variance
        SCRAP = "scrap", _("scrap")  # written off
        REPAIR_CONSUMPTION = "repair_consumption", _("repair consumption")  # spare part used

    stock_level = models.ForeignKey(
        StockLevel, verbose_name=_("stock level"), on_delete=models.PROTECT, related_name="moves"
    )
    # Copied from the level so the ledger filters without a join.
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="+"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="stock_moves"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    quantity = models.IntegerField(_("quantity"))  # signed: + in, - out
    unit_cost = models.DecimalField(_("unit cost"), max_digits=14, decimal_places=4)
    on_hand_after = models.IntegerField(_("on hand after"))
    reference = models.CharField(_("reference"), max_length=60, blank=True, db_index=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="stockmove_quantity_not_0"),
            models.CheckConstraint(condition=Q(on_hand_after__gte=0), name="stockmove_after_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity:+d} {self.product_id}@{self.warehouse_id}"


class StockCount(TimeStampedModel):
    """A cycle count (stocktake) of some or all products of one warehouse."""

    class Status(models.TextChoices):
        OPEN = "open", _("counting")  # counters enter quantities
        SUBMITTED = "submitted", _("awaiting approval")  # every line counted
        POSTED = "posted", _("posted")  # approved; corrections booked
        CANCELLED = "cancelled", _("cancelled")

    number = models.CharField(_("number"), max_length=30, unique=True)
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT, related_name="counts"
    )
    blind = models.BooleanField(_("blind count"), default=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("cycle count")
        verbose_name_plural = _("cycle counts")
        permissions = [("approve_stockcount", "Can approve and post cycle counts")]

    def __str__(self) -> str:
        return self.number


class StockCountLine(models.Model):
    """One product of a count: what the books said, what was found."""

    count = models.ForeignKey(StockCount, on_delete=models.CASCADE, related_name="lines")
    stock_level = models.ForeignKey(StockLevel, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    expected = models.IntegerField(_("expected"))  # on hand when the count was opened
    counted = models.IntegerField(_("counted"), null=True, blank=True)
    # On hand at the moment this line was counted: moves during the count are
    # the difference to `expected`, and the correction is counted - this.
    on_hand_at_count = models.IntegerField(null=True, blank=True)
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    correction = models.IntegerField(_("correction"), null=True, blank=True)

    class Meta:
        ordering = ["count_id", "product__sku"]
        constraints = [
            models.UniqueConstraint(fields=["count", "product"], name="stockcountline_unique"),
            models.CheckConstraint(
                condition=Q(counted__isnull=True) | Q(counted__gte=0),
                name="stockcountline_counted_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.count_id} {self.product_id}: {self.counted}"

    @property
    def moved_during_count(self) -> int | None:
        return None if self.on_hand_at_count is None else self.on_hand_at_count - self.expected

    @property
    def variance(self) -> int | None:
        """Found minus what the books said when it was counted (gain > 0, loss < 0)."""
        if self.counted is None or self.on_hand_at_count is None:
            return None
        return self.counted - self.on_hand_at_count

from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inventory.models import Warehouse
from logistics.models import (
    Carrier,
    DispatchPlan,
    DispatchRoute,
    DispatchStop,
    Driver,
    ProofOfDelivery,
    SensorReading,
    Shipment,
    ShipmentEvent,
    ShipmentException,
    ShipmentLine,
    TrackingDevice,
    Vehicle,
)
from logistics.selectors import dispatch_plan_unassigned
from orders.models import Order


class CarrierSerializer(serializers.ModelSerializer):
    emission_factor = serializers.DecimalField(
        source="effective_emission_factor", max_digits=8, decimal_places=2, read_only=True
    )

    class Meta:
        model = Carrier
        fields = [
            "code",
            "name",
            "mode",
            "phone",
            "tracking_url_template",
            "own_fleet",
            "emission_factor",
            "base_fee",
            "fee_per_kg",
            "active",
        ]
        read_only_fields = fields


class CarrierWriteSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=100)
    mode = serializers.ChoiceField(choices=Carrier.Mode.choices)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    tracking_url_template = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default=""
    )
    own_fleet = serializers.BooleanField(default=False)
    emission_factor = serializers.DecimalField(
        max_digits=8, decimal_places=2, min_value=Decimal("0"), required=False, allow_null=True
    )
    # Freight tariff: a shipment costs base_fee + weight (kg) x fee_per_kg.
    base_fee = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=Decimal("0"), required=False
    )
    fee_per_kg = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=Decimal("0"), required=False
    )
    active = serializers.BooleanField(required=False)


class VehicleSerializer(serializers.ModelSerializer):
    depot = serializers.CharField(source="depot.code")
    carrier = serializers.CharField(source="carrier.code", default=None)
    driver = serializers.CharField(source="driver.name", default=None)

    class Meta:
        model = Vehicle
        fields = [
            "plate",
            "depot",
            "carrier",
            "capacity_kg",
            "capacity_m3",
            "driver",
            "refrigerated",
            "status",
        ]
        read_only_fields = fields


class VehicleWriteSerializer(serializers.Serializer):
    plate = serializers.CharField(max_length=20)
    depot = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())
    carrier = serializers.SlugRelatedField(
        slug_field="code", queryset=Carrier.objects.all(), required=False, allow_null=True
    )
    capacity_kg = serializers.IntegerField(min_value=1)
    capacity_m3 = serializers.DecimalField(
        max_digits=7, decimal_places=2, min_value=Decimal("0.01")
    )
    driver = serializers.PrimaryKeyRelatedField(
        queryset=Driver.objects.all(), required=False, allow_null=True
    )
    refrigerated = serializers.BooleanField(default=False)
    status = serializers.ChoiceField(choices=Vehicle.Status.choices, required=False)


# --- Shipments ---------------------------------------------------------------


class ShipmentLineSerializer(serializers.ModelSerializer):
    line = serializers.IntegerField(source="order_line.line_no", read_only=True)
    sku = serializers.CharField(source="order_line.sku", read_only=True)
    name = serializers.CharField(source="order_line.name", read_only=True)

    class Meta:
        model = ShipmentLine
        fields = ["line", "sku", "name", "quantity", "quantity_picked", "quantity_packed"]
        read_only_fields = fields


class ShipmentEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default="", read_only=True)

    class Meta:
        model = ShipmentEvent
        fields = [
            "occurred_at",
            "kind",
            "source",
            "external_id",
            "from_status",
            "to_status",
            "carrier_status",
            "location",
            "latitude",
            "longitude",
            "description",
            "actor",
            "visible_to_customer",
            "recorded_at",
        ]
        read_only_fields = fields


class ShipmentExceptionSerializer(serializers.ModelSerializer):
    shipment = serializers.CharField(source="shipment.number", read_only=True)

    class Meta:
        model = ShipmentException
        fields = [
            "id",
            "shipment",
            "kind",
            "status",
            "started_at",
            "ended_at",
            "details",
            "peak_value",
            "resolved_at",
            "resolution",
        ]
        read_only_fields = fields


class ProofOfDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = ProofOfDelivery
        fields = [
            "recipient_name",
            "delivered_at",
            "latitude",
            "longitude",
            "photo",
            "signature",
            "note",
        ]
        read_only_fields = fields


class ShipmentSerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="order.number", read_only=True)
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    carrier = serializers.CharField(source="carrier.code", default=None, read_only=True)
    vehicle = serializers.CharField(source="vehicle.plate", default=None, read_only=True)
    tracking_url = serializers.CharField(read_only=True)
    open_exception = serializers.BooleanField(read_only=True, default=False)
    lines = ShipmentLineSerializer(many=True, read_only=True)

    class Meta:
        model = Shipment
        fields = [
            "number",
            "order",
            "warehouse",
            "status",
            "exception_from",
            "carrier",
            "vehicle",
            "tracking_number",
            "tracking_url",
            "weight_kg",
            "volume_m3",
            "destination_city",
            "destination_latitude",
            "destination_longitude",
            "planned_pickup_at",
            "picked_up_at",
            "window_start",
            "planned_delivery_at",
            "eta",
            "delivered_at",
            "temperature_min",
            "temperature_max",
            "humidity_min",
            "humidity_max",
            "distance_km",
            "co2e_kg",
            "freight_cost",
            "open_exception",
            "lines",
            "created_at",
        ]
        read_only_fields = fields


class ShipmentDetailSerializer(ShipmentSerializer):
    events = ShipmentEventSerializer(many=True, read_only=True)
    exceptions = ShipmentExceptionSerializer(many=True, read_only=True)
    proof_of_delivery = ProofOfDeliverySerializer(read_only=True, default=None)
    allowed_transitions = serializers.SerializerMethodField()

    class Meta(ShipmentSerializer.Meta):
        fields = [
            *ShipmentSerializer.Meta.fields,
            "allowed_transitions",
            "events",
            "exceptions",
            "proof_of_delivery",
        ]
        read_only_fields = fields

    def get_allowed_transitions(self, shipment) -> list[str]:
        from logistics.services import allowed_targets

        return sorted(allowed_targets(shipment))


class ShipmentLineInputSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1)


class ShipmentCreateSerializer(serializers.Serializer):
    order = serializers.SlugRelatedField(
        slug_field="number", queryset=Order.objects.all(), help_text="Order number"
    )
    warehouse = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Warehouse.objects.all(),
        required=False,
        help_text="Origin warehouse code; may be left out when the order's stock is reserved "
        "in one warehouse only.",
    )
    lines = ShipmentLineInputSerializer(
        many=True, required=False, help_text="Leave out to ship all that is reserved."
    )
    carrier = serializers.SlugRelatedField(
        slug_field="code", queryset=Carrier.objects.filter(active=True), required=False
    )
    planned_pickup_at = serializers.DateTimeField(required=False)
    window_start = serializers.DateTimeField(required=False)
    planned_delivery_at = serializers.DateTimeField(required=False)
    temperature_min = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    temperature_max = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    humidity_min = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )
    humidity_max = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate(self, data):
        if ("latitude" in data) != ("longitude" in data):
            raise serializers.ValidationError({"longitude": _("Give both latitude and longitude.")})
        return data

    def service_kwargs(self) -> dict:
        data = dict(self.validated_data)
        kwargs = {
            "order": data["order"],
            "carrier": data.get("carrier"),
            "planned_pickup_at": data.get("planned_pickup_at"),
            "window_start": data.get("window_start"),
            "planned_delivery_at": data.get("planned_delivery_at"),
            "note": data["note"],
        }
        if "temperature_min" in data or "temperature_max" in data:
            kwargs["temperature_range"] = (data.get("temperature_min"), data.get("temperature_max"))
        if "humidity_min" in data or "humidity_max" in data:
            kwargs["humidity_range"] = (data.get("humidity_min"), data.get("humidity_max"))
        if "latitude" in data:
            city = (data["order"].shipping_address or {}).get("city", "")
            kwargs["destination"] = (city, data["latitude"], data["longitude"])
        if "lines" in data:
            kwargs["lines"] = [(line["line"], line["quantity"]) for line in data["lines"]]
        return kwargs


class ShipmentTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Shipment.Status.choices)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ShipmentDispatchSerializer(serializers.Serializer):
    carrier = serializers.SlugRelatedField(
        slug_field="code", queryset=Carrier.objects.filter(active=True), required=False
    )
    vehicle = serializers.SlugRelatedField(
        slug_field="plate", queryset=Vehicle.objects.all(), required=False
    )
    tracking_number = serializers.CharField(max_length=64, required=False, allow_blank=True)


class ShipmentProblemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["failed_attempt", "damaged", "lost"])
    details = serializers.CharField(max_length=500)


class ShipmentCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class ShipmentDeliverSerializer(serializers.Serializer):
    recipient_name = serializers.CharField(max_length=100)
    delivered_at = serializers.DateTimeField(required=False)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False
    )
    photo = serializers.ImageField(required=False)
    signature = serializers.ImageField(required=False)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class CarbonRowSerializer(serializers.Serializer):
    month = serializers.DateTimeField()
    carrier = serializers.CharField(source="carrier__code")
    carrier_name = serializers.CharField(source="carrier__name")
    shipments = serializers.IntegerField()
    weight_kg = serializers.DecimalField(max_digits=14, decimal_places=3)
    distance_km = serializers.DecimalField(max_digits=14, decimal_places=2)
    co2e_kg = serializers.DecimalField(max_digits=14, decimal_places=3)


class DispatchStopSerializer(serializers.ModelSerializer):
    shipment = serializers.CharField(source="shipment.number")
    destination_city = serializers.CharField(source="shipment.destination_city")
    latitude = serializers.DecimalField(
        source="shipment.destination_latitude", max_digits=9, decimal_places=6
    )
    longitude = serializers.DecimalField(
        source="shipment.destination_longitude", max_digits=9, decimal_places=6
    )
    window_start = serializers.DateTimeField(source="shipment.window_start")
    window_end = serializers.DateTimeField(source="shipment.planned_delivery_at")
    weight_kg = serializers.DecimalField(
        source="shipment.weight_kg", max_digits=10, decimal_places=3
    )
    volume_m3 = serializers.DecimalField(
        source="shipment.volume_m3", max_digits=10, decimal_places=4
    )

    class Meta:
        model = DispatchStop
        fields = [
            "sequence",
            "shipment",
            "destination_city",
            "latitude",
            "longitude",
            "window_start",
            "window_end",
            "eta",
            "distance_from_previous_m",
            "weight_kg",
            "volume_m3",
        ]
        read_only_fields = fields


class DispatchRouteSerializer(serializers.ModelSerializer):
    vehicle = serializers.CharField(source="vehicle.plate")
    capacity_kg = serializers.IntegerField(source="vehicle.capacity_kg")
    capacity_m3 = serializers.DecimalField(
        source="vehicle.capacity_m3", max_digits=7, decimal_places=2
    )
    stops = DispatchStopSerializer(many=True)

    class Meta:
        model = DispatchRoute
        fields = [
            "vehicle",
            "distance_m",
            "load_kg",
            "load_m3",
            "capacity_kg",
            "capacity_m3",
            "starts_at",
            "ends_at",
            "stops",
        ]
        read_only_fields = fields


DISPATCH_PLAN_FIELDS = [
    "number",
    "depot",
    "date",
    "status",
    "shift_start",
    "shift_end",
    "time_limit_seconds",
    "total_distance_m",
    "baseline_distance_m",
    "solve_seconds",
    "solved_at",
    "note",
]


class DispatchPlanSerializer(serializers.ModelSerializer):
    depot = serializers.CharField(source="depot.code")
    shipment_count = serializers.IntegerField()
    route_count = serializers.IntegerField()

    class Meta:
        model = DispatchPlan
        fields = [*DISPATCH_PLAN_FIELDS, "shipment_count", "route_count"]
        read_only_fields = fields


class DispatchPlanDetailSerializer(serializers.ModelSerializer):
    depot = serializers.CharField(source="depot.code")
    shipments = serializers.SlugRelatedField(many=True, read_only=True, slug_field="number")
    vehicles = serializers.SlugRelatedField(many=True, read_only=True, slug_field="plate")
    routes = DispatchRouteSerializer(many=True)
    unassigned = serializers.SerializerMethodField(
        help_text="Shipments of the solved plan that no route could take (capacity or window)."
    )

    class Meta:
        model = DispatchPlan
        fields = [*DISPATCH_PLAN_FIELDS, "shipments", "vehicles", "routes", "unassigned"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_unassigned(self, plan) -> list[str]:
        return [shipment.number for shipment in dispatch_plan_unassigned(plan)]


class DispatchPlanCreateSerializer(serializers.Serializer):
    depot = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())
    date = serializers.DateField()
    shipments = serializers.SlugRelatedField(
        many=True,
        slug_field="number",
        queryset=Shipment.objects.all(),
        required=False,
        help_text="Shipment numbers; without them every packed shipment due that day.",
    )
    vehicles = serializers.SlugRelatedField(
        many=True,
        slug_field="plate",
        queryset=Vehicle.objects.all(),
        required=False,
        help_text="Vehicle plates; without them every available vehicle of the depot.",
    )
    time_limit_seconds = serializers.IntegerField(min_value=1, max_value=60, default=5)
    shift_start = serializers.TimeField(required=False)
    shift_end = serializers.TimeField(required=False)


# --- Tracking ----------------------------------------------------------------


class ScanSerializer(serializers.Serializer):
    """A warehouse scanner read a shipment's label (packing, loading, hand-over)."""

    scanner_id = serializers.CharField(max_length=64, help_text="Which scanner read it.")
    code = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="What was read: the shipment or tracking number (checked).",
    )
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    time = serializers.DateTimeField(required=False, default=None, help_text="Default: now.")
    event_id = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Default: scanner and time; the same id again is ignored.",
    )
    description = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )


class CarrierEventSerializer(serializers.Serializer):
    """A carrier's tracking event. Times without an offset are local time."""

    event_id = serializers.CharField(max_length=100, help_text="The carrier's id of the event.")
    status = serializers.CharField(
        max_length=60,
        help_text="The carrier's status word or code, e.g. in_transit, 派送中, 已签收, "
        "failed_attempt, damaged, lost, returned.",
    )
    time = serializers.DateTimeField(help_text="When it happened.")
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    latitude = serializers.FloatField(required=False, allow_null=True, default=None)
    longitude = serializers.FloatField(required=False, allow_null=True, default=None)
    description = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )
    recipient = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Who signed for it (with a delivered status).",
    )
    carrier = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text="Whose numeric status codes these are (e.g. KUAIDI100).",
    )


class SensorReadingInputSerializer(serializers.Serializer):
    """One reading; at least a position, a temperature or a humidity."""

    time = serializers.DateTimeField(help_text="ISO 8601, or epoch seconds.")
    latitude = serializers.FloatField(required=False, allow_null=True)
    longitude = serializers.FloatField(required=False, allow_null=True)
    temperature = serializers.FloatField(required=False, allow_null=True, help_text="°C")
    humidity = serializers.FloatField(required=False, allow_null=True, help_text="% RH")


class TelemetryBatchSerializer(serializers.Serializer):
    device_id = serializers.CharField(max_length=64)
    readings = SensorReadingInputSerializer(many=True)


class TelemetrySummarySerializer(serializers.Serializer):
    received = serializers.IntegerField()
    stored = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    exceptions_opened = serializers.IntegerField()


class SensorReadingSerializer(serializers.ModelSerializer):
    device = serializers.CharField(source="device.device_id", read_only=True)

    class Meta:
        model = SensorReading
        fields = ["device", "recorded_at", "latitude", "longitude", "temperature", "humidity"]
        read_only_fields = fields


class TrackingDeviceSerializer(serializers.ModelSerializer):
    shipment = serializers.CharField(source="shipment.number", default=None, read_only=True)
    vehicle = serializers.CharField(source="vehicle.plate", default=None, read_only=True)

    class Meta:
        model = TrackingDevice
        fields = [
            "device_id",
            "name",
            "shipment",
            "vehicle",
            "active",
            "token_prefix",
            "last_seen_at",
            "created_at",
        ]
        read_only_fields = fields


class TrackingDeviceCreatedSerializer(TrackingDeviceSerializer):
    token = serializers.CharField(
        read_only=True, help_text="Shown only in this answer: keep it on the device."
    )

    class Meta(TrackingDeviceSerializer.Meta):
        fields = [*TrackingDeviceSerializer.Meta.fields, "token"]
        read_only_fields = fields


class TrackingDeviceWriteSerializer(serializers.Serializer):
    device_id = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    shipment = serializers.SlugRelatedField(
        slug_field="number", queryset=Shipment.objects.all(), required=False, allow_null=True
    )
    vehicle = serializers.SlugRelatedField(
        slug_field="plate", queryset=Vehicle.objects.all(), required=False, allow_null=True
    )


class DeviceAttachSerializer(serializers.Serializer):
    shipment = serializers.SlugRelatedField(
        slug_field="number",
        queryset=Shipment.objects.all(),
        allow_null=True,
        help_text="The shipment the device travels with from now on; null takes it off.",
    )


class ExceptionResolveSerializer(serializers.Serializer):
    resolution = serializers.CharField(max_length=500, help_text="How it was resolved.")

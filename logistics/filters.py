import django_filters
from django.utils.translation import gettext_lazy as _

from erp.core.filters import SearchFilter, YesNoFilter
from inventory.models import Warehouse
from logistics.models import (
    Carrier,
    DispatchPlan,
    PickWave,
    Shipment,
    ShipmentException,
    TrackingDevice,
    Vehicle,
)


class CarrierFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["code", "name"])
    mode = django_filters.ChoiceFilter(choices=Carrier.Mode.choices, label=_("transport mode"))
    active = YesNoFilter(label=_("active"))
    ordering = django_filters.OrderingFilter(
        fields=(("code", "code"), ("name", "name"), ("mode", "mode")), label=_("order by")
    )

    class Meta:
        model = Carrier
        fields = ["q", "mode", "active"]


class VehicleFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["plate", "driver__name"])
    depot = django_filters.ModelChoiceFilter(
        queryset=Warehouse.objects.all(), to_field_name="code", label=_("depot")
    )
    status = django_filters.ChoiceFilter(choices=Vehicle.Status.choices, label=_("status"))
    refrigerated = YesNoFilter(label=_("refrigerated"))
    ordering = django_filters.OrderingFilter(
        fields=(("plate", "plate"), ("capacity_kg", "capacity_kg")), label=_("order by")
    )

    class Meta:
        model = Vehicle
        fields = ["q", "depot", "status", "refrigerated"]


class ShipmentFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["number", "tracking_number", "order__number", "destination_city"])
    status = django_filters.MultipleChoiceFilter(choices=Shipment.Status.choices, label=_("status"))
    warehouse = django_filters.ModelChoiceFilter(
        queryset=Warehouse.objects.all(), to_field_name="code", label=_("origin warehouse")
    )
    carrier = django_filters.ModelChoiceFilter(
        queryset=Carrier.objects.all(), to_field_name="code", label=_("carrier")
    )
    order = django_filters.CharFilter(field_name="order__number", label=_("order number"))
    delivery_from = django_filters.DateFilter(
        field_name="planned_delivery_at__date", lookup_expr="gte", label=_("planned delivery from")
    )
    delivery_to = django_filters.DateFilter(
        field_name="planned_delivery_at__date", lookup_expr="lte", label=_("planned delivery to")
    )
    open_exception = YesNoFilter(field_name="open_exception", label=_("open exception"))
    # The rows behind the KPIs (analytics drill-down links).
    dispatched_from = django_filters.DateFilter(
        field_name="picked_up_at", lookup_expr="date__gte", label=_("dispatched from")
    )
    dispatched_to = django_filters.DateFilter(
        field_name="picked_up_at", lookup_expr="date__lte", label=_("dispatched to")
    )
    sales_channel = django_filters.CharFilter(
        field_name="order__channel__code", label=_("sales channel")
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("created_at", "created_at"),
            ("planned_delivery_at", "planned_delivery_at"),
            ("number", "number"),
            ("co2e_kg", "co2e_kg"),
        ),
        label=_("order by"),
    )

    class Meta:
        model = Shipment
        fields = [
            "q",
            "status",
            "warehouse",
            "carrier",
            "order",
            "delivery_from",
            "delivery_to",
            "dispatched_from",
            "dispatched_to",
            "sales_channel",
        ]


class DispatchPlanFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["number"])
    depot = django_filters.ModelChoiceFilter(
        queryset=Warehouse.objects.all(), to_field_name="code", label=_("depot")
    )
    date = django_filters.DateFilter(label=_("date"))
    status = django_filters.ChoiceFilter(choices=DispatchPlan.Status.choices, label=_("status"))
    ordering = django_filters.OrderingFilter(
        fields=(("date", "date"), ("number", "number"), ("total_distance_m", "total_distance_m")),
        label=_("order by"),
    )

    class Meta:
        model = DispatchPlan
        fields = ["q", "depot", "date", "status"]


class PickWaveFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["number", "shipments__number"])
    warehouse = django_filters.ModelChoiceFilter(
        queryset=Warehouse.objects.all(), to_field_name="code", label=_("warehouse")
    )
    status = django_filters.ChoiceFilter(choices=PickWave.Status.choices, label=_("status"))
    ordering = django_filters.OrderingFilter(
        fields=(("created_at", "created_at"), ("number", "number")), label=_("order by")
    )

    class Meta:
        model = PickWave
        fields = ["q", "warehouse", "status"]


class ShipmentExceptionFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(
        choices=ShipmentException.Kind.choices, label=_("kind")
    )
    status = django_filters.ChoiceFilter(
        choices=ShipmentException.Status.choices, label=_("status")
    )
    shipment = django_filters.CharFilter(field_name="shipment__number", label=_("shipment"))
    ongoing = YesNoFilter(
        field_name="ended_at", lookup_expr="isnull", label=_("condition still present")
    )
    started_from = django_filters.DateFilter(
        field_name="started_at", lookup_expr="date__gte", label=_("from")
    )
    started_to = django_filters.DateFilter(
        field_name="started_at", lookup_expr="date__lte", label=_("to")
    )

    class Meta:
        model = ShipmentException
        fields = ["kind", "status", "shipment", "ongoing", "started_from", "started_to"]


class TrackingDeviceFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["device_id", "name"])
    shipment = django_filters.CharFilter(field_name="shipment__number", label=_("shipment"))
    active = YesNoFilter(label=_("active"))

    class Meta:
        model = TrackingDevice
        fields = ["q", "shipment", "active"]

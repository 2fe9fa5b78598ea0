import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from erp.core.filters import SearchFilter, YesNoFilter
from inventory.models import Warehouse
from orders.models import InboundMessage, Order, OrderEvent, OrderLine, SalesChannel
from orders.selectors import (
    CONFIRMATION,
    DELIVERED_LATE,
    DELIVERED_ON_TIME,
    order_warehouse,
    with_delivered_day,
)

DELIVERY_CHOICES = [("on_time", _("on time")), ("late", _("late"))]


@extend_schema_field(OpenApiTypes.STR)  # a warehouse code
class OrderWarehouseFilter(django_filters.ModelChoiceFilter):
    """`<name>=<warehouse code>`: rows whose order counts under that warehouse
    (orders.selectors.order_warehouse, the rule of the KPIs). `prefix` leads
    from the filtered rows to their order: "" on orders, "order__" on tickets
    and returns, "ticket__order__" on feedback."""

    def __init__(self, *, prefix: str = "", **kwargs):
        kwargs.setdefault("label", _("order's warehouse"))
        super().__init__(queryset=Warehouse.objects.all(), to_field_name="code", **kwargs)
        self.prefix = prefix

    def filter(self, queryset, value):
        if value in EMPTY_VALUES:
            return queryset
        return queryset.annotate(kpi_warehouse_id=order_warehouse(self.prefix)).filter(
            kpi_warehouse_id=value.pk
        )


class SalesChannelFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["code", "name"])
    kind = django_filters.ChoiceFilter(choices=SalesChannel.Kind.choices, label=_("kind"))
    active = YesNoFilter(label=_("active"))
    ordering = django_filters.OrderingFilter(
        fields=(("code", "code"), ("name", "name"), ("kind", "kind")), label=_("order by")
    )

    class Meta:
        model = SalesChannel
        fields = ["q", "kind", "active"]


class OrderFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["number", "external_ref", "customer__name", "customer__phone"])
    status = django_filters.MultipleChoiceFilter(choices=Order.Status.choices, label=_("status"))
    channel = django_filters.ModelChoiceFilter(
        queryset=SalesChannel.objects.all(), to_field_name="code", label=_("sales channel")
    )
    customer = django_filters.CharFilter(field_name="customer__code", label=_("customer code"))
    promised_from = django_filters.DateFilter(
        field_name="promised_date", lookup_expr="gte", label=_("promised from")
    )
    promised_to = django_filters.DateFilter(
        field_name="promised_date", lookup_expr="lte", label=_("promised to")
    )
    at_risk = YesNoFilter(field_name="at_risk", label=_("at risk"))
    # The rows behind the KPIs (analytics drill-down links).
    placed_from = django_filters.DateFilter(
        field_name="placed_at", lookup_expr="date__gte", label=_("placed from")
    )
    placed_to = django_filters.DateFilter(
        field_name="placed_at", lookup_expr="date__lte", label=_("placed to")
    )
    confirmed_from = django_filters.DateFilter(method="_confirmed", label=_("confirmed from"))
    confirmed_to = django_filters.DateFilter(method="_confirmed", label=_("confirmed to"))
    delivered_from = django_filters.DateFilter(
        field_name="delivered_at", lookup_expr="date__gte", label=_("delivered from")
    )
    delivered_to = django_filters.DateFilter(
        field_name="delivered_at", lookup_expr="date__lte", label=_("delivered to")
    )
    delivery = django_filters.ChoiceFilter(
        choices=DELIVERY_CHOICES, method="_delivery", label=_("delivery")
    )
    backordered = YesNoFilter(method="_backordered", label=_("short at allocation"))
    warehouse = OrderWarehouseFilter(label=_("warehouse"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("placed_at", "placed_at"),
            ("promised_date", "promised_date"),
            ("priority_score", "priority"),
            ("total", "total"),
            ("number", "number"),
        ),
        label=_("order by"),
    )

    class Meta:
        model = Order
        fields = [
            "q",
            "status",
            "channel",
            "customer",
            "promised_from",
            "promised_to",
            "at_risk",
            "placed_from",
            "placed_to",
            "confirmed_from",
            "confirmed_to",
            "delivered_from",
            "delivered_to",
            "delivery",
            "backordered",
            "warehouse",
        ]

    def _confirmed(self, queryset, name, value):
        """Confirmed (first allocated) on or after / on or before a local date."""
        lookup = "gte" if name == "confirmed_from" else "lte"
        confirmed = OrderEvent.objects.filter(
            order=OuterRef("pk"), **CONFIRMATION, **{f"created_at__date__{lookup}": value}
        )
        return queryset.filter(Exists(confirmed))

    def _delivery(self, queryset, name, value):
        condition = DELIVERED_ON_TIME if value == "on_time" else DELIVERED_LATE
        return with_delivered_day(queryset).filter(condition)

    def _backordered(self, queryset, name, value):
        short = Exists(
            OrderLine.objects.filter(order=OuterRef("pk"), quantity_short_at_allocation__gt=0)
        )
        return queryset.filter(short if value else ~short)


class InboundMessageFilter(django_filters.FilterSet):
    """The channels' inbound messages (orders.services.inbound)."""

    q = SearchFilter(fields=["message_id", "external_ref", "topic", "error"])
    channel = django_filters.ModelChoiceFilter(
        queryset=SalesChannel.objects.all(), to_field_name="code", label=_("sales channel")
    )
    status = django_filters.MultipleChoiceFilter(
        choices=InboundMessage.Status.choices, label=_("status")
    )
    kind = django_filters.ChoiceFilter(choices=InboundMessage.Kind.choices, label=_("kind"))
    ordering = django_filters.OrderingFilter(
        fields=(("created_at", "received"), ("status", "status")), label=_("order by")
    )

    class Meta:
        model = InboundMessage
        fields = ["q", "channel", "status", "kind"]

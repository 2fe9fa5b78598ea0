import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.models import Priority, ServiceTeam, Ticket, TicketKind
from erp.core.filters import SearchFilter, YesNoFilter
from orders.filters import OrderWarehouseFilter

# Priorities in their real order (the stored words sort alphabetically).
PRIORITY_RANK = Case(
    *(When(priority=value, then=Value(rank)) for rank, value in enumerate(Priority.values)),
    default=Value(0),
    output_field=IntegerField(),
)
SLA_STATES = [
    ("breached", pgettext_lazy("sla", "breached")),
    ("due_soon", pgettext_lazy("sla", "due soon")),
    ("paused", pgettext_lazy("sla", "paused")),
]


def sla_state_q(state: str, now) -> Q:
    """Tickets whose SLA is in `state` at `now`: breached (recorded, or a due
    time of an open ticket already passed), due soon (a warning time passed,
    the due time not yet) or paused (waiting on the customer)."""
    is_open = Q(status__in=Ticket.OPEN_STATUSES)
    awaiting_first = Q(first_responded_at__isnull=True)
    if state == "breached":
        return (
            Q(first_response_breached=True)
            | Q(resolution_breached=True)
            | (is_open & awaiting_first & Q(first_response_due_at__lt=now))
            | (is_open & Q(resolution_due_at__lt=now))
        )
    if state == "due_soon":
        first = awaiting_first & Q(
            first_response_warn_at__lte=now,
            first_response_due_at__gte=now,
            first_response_breached=False,
        )
        resolution = Q(
            resolution_warn_at__lte=now, resolution_due_at__gte=now, resolution_breached=False
        )
        return is_open & (first | resolution)
    if state == "paused":
        return Q(sla_paused_at__isnull=False)
    return Q()


class TicketOrderingFilter(django_filters.OrderingFilter):
    """Orders by the real priority order, and puts tickets without a due
    time (paused, no policy) after those with one."""

    NULLABLE = {"resolution_due_at", "first_response_due_at"}

    def filter(self, qs, value):
        if value in django_filters.constants.EMPTY_VALUES:
            return qs
        ordering = []
        for param in value:
            if param in django_filters.constants.EMPTY_VALUES:
                continue
            descending = param.startswith("-")
            name = self.param_map.get(param.lstrip("-"), param.lstrip("-"))
            if name == "priority":
                qs = qs.annotate(priority_rank=PRIORITY_RANK)
                name = "priority_rank"
            expression = F(name)
            if name in self.NULLABLE:
                ordering.append(
                    expression.desc(nulls_last=True)
                    if descending
                    else expression.asc(nulls_last=True)
                )
            else:
                ordering.append(expression.desc() if descending else expression.asc())
        return qs.order_by(*ordering, "-pk")


def _agents(request):
    """People who can hold tickets: the members of a team."""
    return (
        get_user_model().objects.filter(service_teams__isnull=False).distinct().order_by("username")
    )


class TicketFilter(django_filters.FilterSet):
    """Tickets for the queues, the list and the API; works on any ticket
    queryset (usually tickets_visible_to(user))."""

    q = SearchFilter(
        fields=[
            "number",
            "subject",
            "customer__name",
            "customer__phone",
            "customer__code",
            "order__number",
        ]
    )
    status = django_filters.MultipleChoiceFilter(
        choices=Ticket.Status.choices, label=_("status"), distinct=False
    )
    kind = django_filters.ChoiceFilter(choices=TicketKind.choices, label=_("kind"))
    channel = django_filters.ChoiceFilter(choices=Ticket.Channel.choices, label=_("channel"))
    priority = django_filters.ChoiceFilter(choices=Priority.choices, label=_("priority"))
    team = django_filters.ModelChoiceFilter(
        queryset=ServiceTeam.objects.all(), to_field_name="code", label=_("team")
    )
    assignee = django_filters.ModelChoiceFilter(
        queryset=_agents, to_field_name="username", label=_("assignee")
    )
    unassigned = YesNoFilter(
        field_name="assignee", lookup_expr="isnull", label=_("unassigned only")
    )
    category = django_filters.CharFilter(lookup_expr="iexact", label=_("category"))
    created_from = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("created from")
    )
    created_to = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("created to")
    )
    sla = django_filters.ChoiceFilter(choices=SLA_STATES, method="_sla", label=_("SLA"))
    # The rows behind the KPIs (analytics drill-down links).
    responded_from = django_filters.DateFilter(
        field_name="first_responded_at", lookup_expr="date__gte", label=_("first response from")
    )
    responded_to = django_filters.DateFilter(
        field_name="first_responded_at", lookup_expr="date__lte", label=_("first response to")
    )
    resolved_from = django_filters.DateFilter(
        field_name="resolved_at", lookup_expr="date__gte", label=_("resolved from")
    )
    resolved_to = django_filters.DateFilter(
        field_name="resolved_at", lookup_expr="date__lte", label=_("resolved to")
    )
    sla_met = YesNoFilter(method="_sla_met", label=_("SLA met"))
    sales_channel = django_filters.CharFilter(
        field_name="order__channel__code", label=_("sales channel")
    )
    order_warehouse = OrderWarehouseFilter(prefix="order__")
    ordering = TicketOrderingFilter(
        fields=(
            ("created_at", "created_at"),
            ("priority", "priority"),
            ("resolution_due_at", "resolution_due_at"),
            ("first_response_due_at", "first_response_due_at"),
            ("number", "number"),
        ),
        label=_("order by"),
    )

    class Meta:
        model = Ticket
        fields = [
            "q",
            "status",
            "kind",
            "channel",
            "priority",
            "team",
            "assignee",
            "unassigned",
            "category",
            "created_from",
            "created_to",
            "sla",
            "responded_from",
            "responded_to",
            "resolved_from",
            "resolved_to",
            "sla_met",
            "sales_channel",
            "order_warehouse",
        ]

    def _sla(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(sla_state_q(value, timezone.now()))

    def _sla_met(self, queryset, name, value):
        """Under an SLA policy, and neither target breached (yes) or one breached (no)."""
        met = Q(first_response_breached=False, resolution_breached=False)
        return queryset.filter(sla_policy__isnull=False).filter(met if value else ~met)

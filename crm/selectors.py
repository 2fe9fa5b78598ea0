from django.db.models import QuerySet

from crm.models import Customer


def customer_list() -> QuerySet[Customer]:
    return Customer.objects.select_related("default_address", "account_manager")


# --- Segments and campaigns (marketing) ----------------------------------------


def segment_list() -> QuerySet:
    from crm.models import Segment

    return Segment.objects.select_related("created_by")


def segment_customers(filters: dict) -> QuerySet[Customer]:
    """The active (not merged) customers a segment's filters select, with
    their scores. Filters that no longer validate (a tag deleted since)
    select nobody rather than everybody."""
    from crm.filters.segments import SegmentFilter

    base = Customer.objects.filter(merged_into__isnull=True).select_related(
        "score", "default_address", "account_manager"
    )
    filterset = SegmentFilter(data=dict(filters or {}), queryset=base)
    if not filterset.is_valid():
        return base.none()
    return filterset.qs


def segment_counts(segments) -> dict[int, int]:
    """How many customers each segment has now: one count query per segment."""
    return {segment.pk: segment_customers(segment.filters).count() for segment in segments}


def _share(part, whole):
    from decimal import ROUND_HALF_UP, Decimal

    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def segment_seven_p(customers: QuerySet[Customer]) -> dict:
    """The 7P analysis of a set of customers, in a fixed number of queries:
    profile, persistency, profitability, performance, prospecting, product
    and promotion. Figures about orders and returns come from the apps that
    own them (crm.hooks.register_segment_facts)."""
    from decimal import Decimal

    from django.db.models import Avg, Count, F, Q, Sum, Value
    from django.db.models.functions import Coalesce

    from crm.hooks import segment_facts
    from crm.models import CampaignSend

    ids = customers.order_by().values("pk")
    scoped = Customer.objects.filter(pk__in=ids)
    zero = Value(Decimal("0"))
    figures = scoped.aggregate(
        customers=Count("pk"),
        with_orders=Count("pk", filter=Q(score__orders_count__gte=1)),
        repeat=Count("pk", filter=Q(score__orders_count__gte=2)),
        consenting=Count("pk", filter=Q(marketing_consent=True)),
        # Days since the first order: recency plus the span between first and last order.
        tenure=Avg(
            F("score__recency_days")
            + Coalesce(F("score__interval_days"), zero) * (F("score__orders_count") - 1),
            filter=Q(score__orders_count__gte=1),
        ),
        orders=Coalesce(Sum("score__orders_count"), 0),
        revenue=Coalesce(Sum("score__revenue"), zero),
        refunded=Coalesce(Sum("score__refunded"), zero),
        margin=Coalesce(Sum("score__margin"), zero),
        lifetime_value=Coalesce(Sum("score__lifetime_value"), zero),
        predicted=Coalesce(Sum("score__predicted_value"), zero),
        churn_high=Count("pk", filter=Q(score__churn_level="high")),
    )
    tiers = dict(scoped.order_by().values_list("tier").annotate(n=Count("pk")))
    segments = dict(scoped.order_by().values_list("score__segment").annotate(n=Count("pk")))
    sends = CampaignSend.objects.filter(customer__in=ids)
    promotion = sends.aggregate(sends=Count("pk"), campaigns=Count("campaign", distinct=True))
    facts = segment_facts(scoped)
    n = figures["customers"]
    revenue = figures["revenue"]
    returns = facts.get("returns", 0)
    orders = facts.get("orders", figures["orders"])
    tenure = figures["tenure"]
    return {
        "profile": {
            "customers": n,
            "tiers": [
                {"tier": value, "label": label, "customers": tiers.get(value, 0)}
                for value, label in Customer.Tier.choices
            ],
            "segments": {key or "": count for key, count in segments.items()},
            "consenting": figures["consenting"],
        },
        "persistency": {
            "with_orders": figures["with_orders"],
            "repeat_customers": figures["repeat"],
            "repeat_rate": _share(figures["repeat"], figures["with_orders"]),
            "average_tenure_days": round(float(tenure)) if tenure is not None else None,
        },
        "profitability": {
            "revenue": revenue,
            "margin": figures["margin"],
            # over the revenue net of refunds, as on the customer 360
            "margin_percent": _share(figures["margin"], revenue - figures["refunded"]),
            "lifetime_value": figures["lifetime_value"],
        },
        "performance": {
            "orders": orders,
            "returns": returns,
            "return_rate": _share(returns, orders),
            "refunded": figures["refunded"],
        },
        "prospecting": {
            "predicted_value": figures["predicted"],
            "average_predicted_value": (figures["predicted"] / n).quantize(Decimal("0.01"))
            if n
            else Decimal("0"),
            "churn_high": figures["churn_high"],
        },
        "product": {"top_categories": facts.get("top_categories", [])},
        "promotion": {
            "campaigns": promotion["campaigns"],
            "sends": promotion["sends"],
            "campaign_orders": facts.get("campaign_orders", 0),
            "campaign_revenue": facts.get("campaign_revenue", Decimal("0")),
        },
        "facts": facts,
    }


def campaign_list() -> QuerySet:
    from crm.models import Campaign

    return Campaign.objects.select_related("segment", "created_by", "sent_by")


def campaign_recipient_field(channel: str) -> str:
    """The customer's address for a campaign channel."""
    return "phone" if channel == "sms" else "email"


def campaign_audience(*, segment, channel: str) -> dict:
    """Who a campaign on this segment and channel would reach now: the
    segment's customers, those who consent, and those of them with an
    address for the channel (the recipients). One query."""
    from django.db.models import Count, Q

    field = campaign_recipient_field(channel)
    consent = Q(marketing_consent=True)
    reachable = consent & ~Q(**{field: ""})
    figures = Customer.objects.filter(
        pk__in=segment_customers(segment.filters).order_by().values("pk")
    ).aggregate(
        customers=Count("pk"),
        consenting=Count("pk", filter=consent),
        recipients=Count("pk", filter=reachable),
    )
    figures["no_consent"] = figures["customers"] - figures["consenting"]
    figures["no_address"] = figures["consenting"] - figures["recipients"]
    return figures


def campaign_responses(campaign) -> QuerySet:
    """The orders attributed to a campaign: they carry its code, were placed
    within its attribution window after it was sent, and are not cancelled.
    (Orders reach crm through Campaign.orders; crm imports no higher app.)"""
    from datetime import timedelta

    if campaign.sent_at is None:
        return campaign.orders.none()
    until = campaign.sent_at + timedelta(days=campaign.attribution_days)
    return campaign.orders.filter(placed_at__gte=campaign.sent_at, placed_at__lt=until).exclude(
        status="cancelled"
    )


def campaign_stats(campaign) -> dict:
    """Recipients, delivered, responders (recipients with an attributed
    order), response rate, attributed orders and their revenue (every order
    carrying the code within the window, also from customers it was passed on to)."""
    from decimal import Decimal

    from django.db.models import Count, Q, Sum
    from django.db.models.functions import Coalesce

    from crm.models import CampaignSend

    sends = CampaignSend.objects.filter(campaign=campaign).aggregate(
        recipients=Count("pk"), delivered=Count("pk", filter=Q(notification__status="sent"))
    )
    responses = campaign_responses(campaign)
    orders = responses.aggregate(orders=Count("pk"), revenue=Coalesce(Sum("total"), Decimal("0")))
    responders = (
        responses.filter(customer__campaign_sends__campaign=campaign)
        .values("customer_id")
        .distinct()
        .count()
    )
    return {
        "recipients": sends["recipients"],
        "delivered": sends["delivered"],
        "responders": responders,
        "response_rate": _share(responders, sends["recipients"]),
        "orders": orders["orders"],
        "revenue": orders["revenue"],
    }


# --- Customer 360 ------------------------------------------------------------------
# (imports inside the functions keep this shared module's header untouched)


def customer_360_detail() -> QuerySet[Customer]:
    """The customer of the 360 page and API, with what its header shows."""
    return Customer.objects.select_related(
        "default_address", "account_manager", "merged_into", "score"
    ).prefetch_related("tags")


def customer_score_or_none(customer: Customer):
    """The customer's CustomerScore, or None before the first nightly scoring."""
    from django.core.exceptions import ObjectDoesNotExist

    try:
        return customer.score
    except ObjectDoesNotExist:
        return None


def customer_360(customer: Customer, user) -> dict:
    """Everything the 360 page and GET /api/v1/customers/{code}/360/ show.

    The sections are those registered in crm/hooks.py (by crm and the apps
    above it) that `user` may see: a section naming a permission the user
    lacks is left out, and each section applies its own app's visibility rules
    (e.g. an account manager sees the tickets of the customers they manage).
    Each section costs a fixed number of queries, so the whole costs the same
    for a customer with 3 orders as for one with 3,000. The facts of the
    visible sections feed the KPI cards and the 7P analysis."""
    from crm.hooks import SECTIONS

    sections, facts = [], {}
    for section in sorted(SECTIONS.values(), key=lambda s: (s.order, s.key)):
        if section.permission and not user.has_perm(section.permission):
            continue
        data = section.load(customer, user)
        if data is None:
            continue
        sections.append((section, data))
        facts.update(data.get("facts", {}))
    return {
        "customer": customer,
        "sections": sections,
        "facts": facts,
        "kpis": customer_kpis(facts),
        "seven_p": seven_p(customer, facts),
    }


def _percent(part, whole):
    from decimal import Decimal

    if part is None or not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def customer_kpis(facts: dict) -> list[dict]:
    """The cards at the top of the 360 page: only those whose section the user sees.

    Each is {"key", "label", "value", "kind"}; kind tells how to show the
    value: number, money, percent or churn (a 0..1 risk with its level)."""
    from django.utils.translation import gettext_lazy as _

    cards = [
        ("orders", _("orders"), "number", ("orders", "score_orders_count")),
        ("revenue", _("revenue"), "money", ("revenue", "score_revenue")),
        ("lifetime_value", _("lifetime value"), "money", ("net_revenue", "lifetime_value")),
        ("predicted_value", _("predicted value (12 months)"), "money", ("predicted_value",)),
        ("churn_risk", _("churn risk"), "churn", ("churn_risk",)),
        ("open_tickets", _("open tickets"), "number", ("open_tickets",)),
        ("returns", _("returns"), "number", ("returns",)),
    ]
    kpis = []
    for key, label, kind, sources in cards:
        present = [name for name in sources if name in facts]
        if not present:
            continue
        kpi = {"key": key, "label": label, "kind": kind, "value": facts[present[0]]}
        if kind == "churn":
            kpi["level"] = facts.get("churn_level", "")
            kpi["level_label"] = facts.get("churn_level_label", "")
        kpis.append(kpi)
    return kpis


def seven_p(customer: Customer, facts: dict, now=None) -> list[dict]:
    """The seed's 7P view of one customer, from the facts of the sections the
    user sees: profile, persistency, profitability, performance, prospecting,
    product and promotion. Each P is {"key", "title", "items": [{"key",
    "label", "value", "kind"}]}; an item whose facts are not there (the
    section is hidden from the user, or nothing is known yet) is left out.

    Definitions: tenure runs from the first order; orders per year are the
    orders divided by the tenure in years, at least one year; margin % is the
    margin over the revenue net of refunds; return rate is returns per order;
    response rate is the campaigns answered by an order carrying their code
    over the campaigns received."""
    from decimal import Decimal

    from django.utils import timezone
    from django.utils.translation import gettext_lazy as _

    now = now or timezone.now()
    f = facts

    def item(key, label, value, kind="number"):
        return {"key": key, "label": label, "value": value, "kind": kind}

    profile = [
        item("kind", _("kind"), customer.get_kind_display(), "text"),
        item("tier", _("tier"), customer.get_tier_display(), "text"),
    ]
    if "segment_label" in f:
        profile.append(item("segment", _("RFM segment"), f["segment_label"], "text"))
    address = customer.default_address
    if address is not None:
        profile.append(item("region", _("region"), f"{address.province}{address.city}", "text"))
    # The first order may be older than the record (orders imported with history).
    first_order = f.get("first_order_at")
    since = min(customer.created_at, first_order) if first_order else customer.created_at
    profile.append(item("since", _("customer since"), since, "date"))
    if "contacts" in f:
        profile.append(item("contacts", _("contacts"), f["contacts"]))
    if f.get("tags"):
        profile.append(item("tags", _("tags"), ", ".join(f["tags"]), "text"))

    persistency = []
    if "orders" in f:
        orders = f["orders"] or 0
        first = f.get("first_order_at")
        tenure_days = (now - first).days if first else None
        per_year = None
        if first:
            years = max(Decimal(tenure_days) / Decimal(365), Decimal(1))
            per_year = (Decimal(orders) / years).quantize(Decimal("0.1"))
        persistency += [
            item("first_order_at", _("first order"), first, "date"),
            item("last_order_at", _("last order"), f.get("last_order_at"), "date"),
            item("tenure_days", _("tenure (days)"), tenure_days),
            item("orders_per_year", _("orders per year"), per_year),
            item("repeat", _("repeat customer"), orders >= 2, "bool"),
        ]
    if "interval_days" in f:
        persistency.append(
            item("interval_days", _("usual days between orders"), f["interval_days"])
        )
    if "recency_days" in f:
        persistency.append(item("recency_days", _("days since last order"), f["recency_days"]))

    profitability = []
    if "revenue" in f:
        profitability += [
            item("revenue", _("revenue"), f["revenue"], "money"),
            item("refunded", _("refunded"), f.get("refunded"), "money"),
            item("net_revenue", _("revenue net of refunds"), f.get("net_revenue"), "money"),
            item("margin", _("margin"), f.get("margin"), "money"),
            item(
                "margin_percent",
                _("margin %"),
                _percent(f.get("margin"), f.get("net_revenue")),
                "percent",
            ),
        ]
    elif "score_margin" in f:
        profitability.append(item("margin", _("margin"), f["score_margin"], "money"))

    performance = []
    if "orders" in f:
        performance.append(item("orders", _("orders"), f["orders"]))
        performance.append(item("orders_cancelled", _("cancelled orders"), f["orders_cancelled"]))
    if "returns" in f:
        performance.append(item("returns", _("returns"), f["returns"]))
        if "orders" in f:
            performance.append(
                item(
                    "return_rate", _("return rate"), _percent(f["returns"], f["orders"]), "percent"
                )
            )
    if "late_deliveries" in f:
        performance.append(item("shipments", _("shipments"), f["shipments"]))
        performance.append(item("late_deliveries", _("late deliveries"), f["late_deliveries"]))
        performance.append(
            item(
                "on_time_rate",
                _("on-time delivery rate"),
                _percent(f["delivered_on_time"], f["delivered_with_plan"]),
                "percent",
            )
        )
    if "tickets" in f:
        performance.append(item("tickets", _("tickets"), f["tickets"]))
        performance.append(item("complaints", _("complaints"), f["complaints"]))
    if "csat_average" in f:
        performance.append(item("csat_average", _("satisfaction (1-5)"), f["csat_average"]))

    prospecting = []
    if "predicted_value" in f:
        prospecting += [
            item("lifetime_value", _("lifetime value"), f.get("lifetime_value"), "money"),
            item(
                "predicted_value", _("predicted value (12 months)"), f["predicted_value"], "money"
            ),
            item("churn_risk", _("churn risk"), _percent(f["churn_risk"], 1), "percent"),
            item("churn_level", _("churn risk level"), f.get("churn_level_label"), "text"),
        ]

    product = []
    if "top_categories" in f:
        product.append(
            item("top_categories", _("top categories"), f["top_categories"], "categories")
        )

    promotion = []
    if "campaigns_received" in f:
        promotion.append(
            item("campaigns_received", _("campaigns received"), f["campaigns_received"])
        )
    if "campaign_ids_responded" in f:
        # Answered: an order carried the code of a campaign the customer received.
        responded = set(f["campaign_ids_responded"])
        if "campaign_ids_received" in f:
            responded &= set(f["campaign_ids_received"])
        promotion += [
            item("campaigns_responded", _("campaigns answered"), len(responded)),
            item("campaign_orders", _("orders from campaigns"), f["campaign_orders"]),
            item("campaign_revenue", _("revenue from campaigns"), f["campaign_revenue"], "money"),
        ]
        if "campaigns_received" in f:
            promotion.append(
                item(
                    "response_rate",
                    _("response rate"),
                    _percent(len(responded), f["campaigns_received"]),
                    "percent",
                )
            )

    return [
        {"key": "profile", "title": _("Profile"), "items": profile},
        {"key": "persistency", "title": _("Persistency"), "items": persistency},
        {"key": "profitability", "title": _("Profitability"), "items": profitability},
        {"key": "performance", "title": _("Performance"), "items": performance},
        {"key": "prospecting", "title": _("Prospecting"), "items": prospecting},
        {"key": "product", "title": _("Product"), "items": product},
        {"key": "promotion", "title": _("Promotion"), "items": promotion},
    ]


# --- Customers, contacts, duplicates, merges (area A) ----------------------------


def customer_active_list(*, show_merged: bool = False) -> QuerySet[Customer]:
    """Customers for lists and pickers: merged ones left out unless asked for,
    with their scores (segment, lifetime value) and tags in a fixed number of queries."""
    queryset = Customer.objects.select_related(
        "default_address", "account_manager", "score", "merged_into"
    ).prefetch_related("tags")
    if not show_merged:
        queryset = queryset.filter(merged_into__isnull=True)
    return queryset


def contact_list():
    from crm.models import Contact

    return Contact.objects.select_related("customer")


def merge_list():
    """Merges, newest first, each annotated with `latest_of_survivor` (the
    survivor's latest merge not undone: the only one that can be undone)."""
    from django.db.models import OuterRef, Subquery

    from crm.models import CustomerMerge

    latest = (
        CustomerMerge.objects.filter(survivor_id=OuterRef("survivor_id"), undone_at__isnull=True)
        .order_by("-merged_at", "-id")
        .values("pk")[:1]
    )
    return CustomerMerge.objects.select_related(
        "survivor", "merged", "merged_by", "undone_by"
    ).annotate(latest_of_survivor=Subquery(latest))


# Pairs of active customers that look like one: the same phone, the same
# e-mail, or the phone / e-mail of one is an active contact's of the other.
# Phones and e-mails are stored normalised, so equality is enough. One SQL
# statement, portable across PostgreSQL and SQLite.
_DUPLICATE_PAIRS_SQL = """
WITH pairs AS (
    SELECT a.id AS first_id, b.id AS second_id, 1 AS by_phone, 0 AS by_email, 0 AS by_contact
    FROM crm_customer a JOIN crm_customer b ON b.phone = a.phone AND a.id < b.id
    WHERE a.phone <> '' AND a.merged_into_id IS NULL AND b.merged_into_id IS NULL
    UNION ALL
    SELECT a.id, b.id, 0, 1, 0
    FROM crm_customer a JOIN crm_customer b ON b.email = a.email AND a.id < b.id
    WHERE a.email <> '' AND a.merged_into_id IS NULL AND b.merged_into_id IS NULL
    UNION ALL
    SELECT CASE WHEN a.id < b.id THEN a.id ELSE b.id END,
           CASE WHEN a.id < b.id THEN b.id ELSE a.id END, 0, 0, 1
    FROM crm_customer a
    JOIN crm_contact k ON k.active AND k.customer_id <> a.id
        AND ((a.phone <> '' AND k.phone = a.phone) OR (a.email <> '' AND k.email = a.email))
    JOIN crm_customer b ON b.id = k.customer_id
    WHERE a.merged_into_id IS NULL AND b.merged_into_id IS NULL
),
grouped AS (
    SELECT first_id, second_id, MAX(by_phone) AS by_phone, MAX(by_email) AS by_email,
           MAX(by_contact) AS by_contact
    FROM pairs p
    WHERE NOT EXISTS (
        SELECT 1 FROM crm_duplicatedismissal d
        WHERE d.first_id = p.first_id AND d.second_id = p.second_id
    )
    GROUP BY first_id, second_id
)
"""


class DuplicateSuggestions:
    """The suggested duplicate pairs, as a sequence a paginator can slice:
    `count()` is one query, a slice is one query for the pairs and one for
    their customers. Each item: {"first", "second" (Customers), "reasons"}."""

    def __init__(self, customer_id: int | None = None):
        self.customer_id = customer_id

    def _where(self) -> tuple[str, list]:
        if self.customer_id is None:
            return "", []
        return " WHERE first_id = %s OR second_id = %s", [self.customer_id] * 2

    def count(self) -> int:
        from django.db import connection

        where, params = self._where()
        with connection.cursor() as cursor:
            # Only fixed SQL text is joined; values go as parameters.
            sql = _DUPLICATE_PAIRS_SQL + "SELECT COUNT(*) FROM grouped" + where  # noqa: S608
            cursor.execute(sql, params)
            return cursor.fetchone()[0]

    def __len__(self) -> int:
        return self.count()

    def _fetch(self, offset: int, limit: int) -> list[dict]:
        from django.db import connection

        where, params = self._where()
        # Only fixed SQL text is joined; values go as parameters.
        sql = (
            _DUPLICATE_PAIRS_SQL  # noqa: S608
            + "SELECT first_id, second_id, by_phone, by_email, by_contact FROM grouped"
            + where
            + " ORDER BY first_id, second_id LIMIT %s OFFSET %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, limit, offset])
            rows = cursor.fetchall()
        ids = {pk for row in rows for pk in row[:2]}
        customers = customer_active_list().in_bulk(ids)
        pairs = []
        for first_id, second_id, by_phone, by_email, by_contact in rows:
            if first_id not in customers or second_id not in customers:
                continue  # merged a moment ago
            reasons = [
                name
                for name, hit in (("phone", by_phone), ("email", by_email), ("contact", by_contact))
                if hit
            ]
            pairs.append(
                {
                    "first": customers[first_id],
                    "second": customers[second_id],
                    "reasons": reasons,
                }
            )
        return pairs

    def __getitem__(self, key):
        if isinstance(key, slice):
            start = key.start or 0
            stop = key.stop if key.stop is not None else start + 1000
            return self._fetch(start, max(stop - start, 0))
        found = self._fetch(key, 1)
        if not found:
            raise IndexError(key)
        return found[0]

    def __iter__(self):
        return iter(self[0 : self.count()])


def duplicate_suggestions(*, customer_id: int | None = None) -> DuplicateSuggestions:
    """Suggested duplicate pairs (all, or those of one customer), dismissed pairs left out."""
    return DuplicateSuggestions(customer_id)


# --- Care tasks and interactions (care) ----------------------------------------


def care_task_list() -> QuerySet:
    from crm.models import CareTask

    return CareTask.objects.select_related("customer", "rule", "assignee", "completed_by")


def care_task_scope(user):
    """Which care tasks a signed-in staff user may see: None for all, else a Q.
    Admins see every task; others the tasks assigned to them and the
    unassigned tasks of the customers they manage."""
    from django.db.models import Q

    from erp.core.roles import user_is_admin

    if user_is_admin(user):
        return None
    if not user.is_authenticated or not user.has_perm("crm.view_caretask"):
        return Q(pk__in=[])
    return Q(assignee=user) | Q(assignee__isnull=True, customer__account_manager=user)


def care_tasks_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    queryset = care_task_list() if queryset is None else queryset
    scope = care_task_scope(user)
    return queryset if scope is None else queryset.filter(scope)


def care_task_counts(queryset: QuerySet) -> dict:
    """Open, overdue and due-today counts of a set of tasks, in one query."""
    from datetime import datetime, time, timedelta

    from django.db.models import Count, Q
    from django.utils import timezone

    from crm.models import CareTask

    now = timezone.now()
    tomorrow = timezone.make_aware(
        datetime.combine(timezone.localdate() + timedelta(days=1), time.min)
    )
    open_ = Q(status=CareTask.Status.OPEN)
    return queryset.aggregate(
        open=Count("pk", filter=open_),
        overdue=Count("pk", filter=open_ & Q(due_at__lt=now)),
        due_today=Count("pk", filter=open_ & Q(due_at__gte=now, due_at__lt=tomorrow)),
    )


def care_rule_list() -> QuerySet:
    """The rule rows with how many of their tasks are open."""
    from django.db.models import Count, Q

    from crm.models import CareRule, CareTask

    return CareRule.objects.annotate(
        open_tasks=Count("tasks", filter=Q(tasks__status=CareTask.Status.OPEN))
    ).order_by("code")


def interaction_list() -> QuerySet:
    from crm.models import Interaction

    return Interaction.objects.select_related("customer", "contact", "staff", "care_task")

"""The customer scores and tiers, computed set-based in a few SQL statements.

`customers_score()` (nightly, Celery task `crm.score_customers`) rewrites one
`CustomerScore` row per active customer (`merged_into` empty) from the order
facts that higher apps register (crm.hooks.register_order_facts: one row per
counted order with customer_id, placed_at, revenue, refunded, margin). No
Python loop runs per customer; the same SQL runs on PostgreSQL and SQLite.
Orders placed after `now` are ignored, so a run "as of" a past day is exact.

Per customer (n = counted orders):

- orders_count = n; orders_12m, revenue_12m: orders placed in the 365 days
  before `now` and their revenue (gross of refunds).
- revenue, refunded, margin: sums of the facts; lifetime_value (LTV) =
  revenue - refunded.
- first_order_at, last_order_at; recency_days = whole days from the last
  order to `now` (rounded down).
- interval_days = (last - first) / (n - 1) in days, rounded to 0.1, for n >= 2
  (null otherwise). The "usual interval" used below is interval_days (at least
  1 day) for n >= 2, else settings.CRM_DEFAULT_INTERVAL_DAYS.
- R, F, M scores 1..5 = ceil(5 * cume_dist) among the customers with orders,
  computed exactly in integers: ceil(5 * k / N) where k is the number of those
  customers whose value is <= this one's (ties share the higher score) and N
  their number. R orders by last_order_at (most recent = 5), F by
  orders_count, M by lifetime_value. Customers without orders score 0.
- segment, first match wins:
    prospect     no orders
    new          1 order, placed less than CRM_NEW_CUSTOMER_DAYS days ago
    champions    R >= 4 and F >= 4
    loyal        R = 3 and F >= 4
    cannot_lose  R <= 2 and F = 5
    at_risk      R <= 2 and F in (3, 4)
    potential    R >= 4 and F in (2, 3)
    attention    R = 3 and F in (2, 3)
    promising    R >= 4 and F = 1
    hibernating  (R = 2 and F <= 2) or (R = 3 and F = 1)
    lost         R = 1 and F <= 2
- churn_risk = clamp((recency_days / interval - 1) / (CRM_CHURN_FULL_RATIO - 1),
  0, 1), rounded to 3 decimals: 0 while the customer is within the usual
  interval, 1 at CRM_CHURN_FULL_RATIO times it. churn_level (from the rounded
  risk): none without orders, low below 0.333, medium below 0.667, high from
  0.667.
- previous_churn_level: the level before the last change of level;
  churn_rose_at: the run at which the level last went up (none < low < medium
  < high; a first score counts as coming from none). Both stay as they are
  while the level does not change, so running twice changes nothing.
- predicted_value (12 months) = LTV / n * 365 / interval * (1 - churn_risk),
  rounded to cents (0 without orders).
- computed_tier: the highest TierThreshold tier whose min_spend_12m and
  min_orders_12m are both met by revenue_12m and orders_12m; standard
  otherwise.

The customer's tier is `tier_override` when set (the scoring keeps it), else
computed_tier. Where it changed, a TierChange (by_system) is written and the
customer updated, both set-based. Scores of merged customers are deleted.

`customer_score_refresh(customer_ids=...)` runs the same SQL for a few
customers only (after a merge, say): their figures from their orders, and
their R/F/M ranks against the stored scores of everyone else, so it costs
milliseconds, not a full run. The next nightly run ranks everybody afresh.

Both take an advisory lock (PostgreSQL), so two workers never score at once.
"""

# The SQL here is put together from column names, dialect snippets and
# placeholders only; every value goes in as a parameter.
# ruff: noqa: S608

import itertools
import time
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import hooks
from crm.models import Customer, CustomerScore, TierChange, TierThreshold
from erp.core.db import advisory_lock
from erp.core.errors import DomainError

LOCK_KEY = "crm:customers-score"
TIER_ORDER = [Customer.Tier.VIP, Customer.Tier.GOLD, Customer.Tier.SILVER]
TIER_RANK = {Customer.Tier.STANDARD: 0, Customer.Tier.SILVER: 1, Customer.Tier.GOLD: 2, "vip": 3}

# Columns the scoring writes, in the order of the final SELECT.
SCORE_COLUMNS = [
    "customer_id",
    "orders_count",
    "orders_12m",
    "revenue",
    "revenue_12m",
    "refunded",
    "margin",
    "first_order_at",
    "last_order_at",
    "recency_days",
    "interval_days",
    "r_score",
    "f_score",
    "m_score",
    "segment",
    "lifetime_value",
    "predicted_value",
    "churn_risk",
    "churn_level",
    "previous_churn_level",
    "churn_rose_at",
    "computed_tier",
    "computed_at",
]


# Written on a change of churn level only (see the ON CONFLICT clause).
KEPT = ("previous_churn_level", "churn_rose_at")


class TierInvalid(DomainError):
    status_code = 400
    code = "invalid"


# --- SQL dialect bits ----------------------------------------------------------------


def _days(expr: str) -> str:
    """A timestamp as a number of days (fractional) since a fixed origin."""
    if connection.vendor == "postgresql":
        return f"(EXTRACT(EPOCH FROM {expr}) / 86400.0)"
    return f"julianday({expr})"


def _floor(expr: str) -> str:
    """Round a non-negative number down (SQLite may lack FLOOR)."""
    if connection.vendor == "postgresql":
        return f"FLOOR({expr})"
    return f"CAST({expr} AS INTEGER)"


def _ts_param() -> str:
    return "CAST(%s AS timestamptz)" if connection.vendor == "postgresql" else "%s"


def _ts(value):
    return connection.ops.adapt_datetimefield_value(value)


def _score(value: str, order: str) -> str:
    """ceil(5 * cume_dist()) in integers, over the customers with orders."""
    k = f"COUNT(*) OVER (ORDER BY {value} {order})"
    n = "COUNT(*) OVER ()"
    return (
        f"CASE WHEN 5 * {k} <= {n} THEN 1 WHEN 5 * {k} <= 2 * {n} THEN 2 "
        f"WHEN 5 * {k} <= 3 * {n} THEN 3 WHEN 5 * {k} <= 4 * {n} THEN 4 ELSE 5 END"
    )


def _in_list(column: str, ids: list[int], *, negate: bool = False) -> tuple[str, list]:
    placeholders = ", ".join(["%s"] * len(ids))
    return f"{column} {'NOT IN' if negate else 'IN'} ({placeholders})", list(ids)


# --- The scoring --------------------------------------------------------------------


def _order_facts() -> tuple[str, list] | None:
    """The registered order facts as one SELECT (crm.hooks)."""
    return hooks.order_facts_sql(connection)


def _thresholds() -> dict[str, tuple[Decimal, int]]:
    rows = TierThreshold.objects.filter(tier__in=TIER_ORDER)
    return {row.tier: (row.min_spend_12m, row.min_orders_12m) for row in rows}


def _score_sql(*, now, customer_ids: list[int] | None) -> tuple[str, list]:
    """INSERT ... SELECT ... ON CONFLICT upserting the scores (all active
    customers, or only `customer_ids` ranked against the stored others)."""
    facts = _order_facts()
    ts = _ts_param()
    now_ts = _ts(now)
    since_ts = _ts(now - timedelta(days=365))

    if facts is None:  # nothing registers orders (crm alone): everybody a prospect
        facts_sql = (
            "SELECT CAST(NULL AS INTEGER) AS customer_id, NULL AS placed_at, 0 AS revenue, "
            "0 AS refunded, 0 AS margin"
        )
        facts_params: list = []
        if connection.vendor == "postgresql":
            facts_sql = (
                "SELECT CAST(NULL AS INTEGER) AS customer_id, CAST(NULL AS timestamptz) AS "
                "placed_at, CAST(0 AS NUMERIC) AS revenue, CAST(0 AS NUMERIC) AS refunded, "
                "CAST(0 AS NUMERIC) AS margin WHERE FALSE"
            )
        else:
            facts_sql += " WHERE 0"
    else:
        facts_sql, facts_params = facts

    # Which customers are scored now.
    scope_sql, scope_params = "c.merged_into_id IS NULL", []
    fact_scope_sql, fact_scope_params = f"f.placed_at <= {ts}", [now_ts]
    if customer_ids is not None:
        in_sql, in_params = _in_list("c.id", customer_ids)
        scope_sql += f" AND {in_sql}"
        scope_params += in_params
        in_sql, in_params = _in_list("f.customer_id", customer_ids)
        fact_scope_sql += f" AND {in_sql}"
        fact_scope_params += in_params

    # The population R/F/M are ranked in: the scored customers, plus (when
    # refreshing a few) the stored scores of every other active customer.
    others_sql, others_params = "", []
    if customer_ids is not None:
        not_in_sql, not_in_params = _in_list("s.customer_id", customer_ids, negate=True)
        others_sql = (
            " UNION ALL SELECT s.customer_id, s.orders_count, "
            f"{_days('s.last_order_at')} AS last_days, s.lifetime_value AS ltv, 0 AS mine "
            "FROM crm_customerscore s JOIN crm_customer oc ON oc.id = s.customer_id "
            f"WHERE oc.merged_into_id IS NULL AND s.orders_count > 0 AND {not_in_sql}"
        )
        others_params = not_in_params

    interval_default = float(settings.CRM_DEFAULT_INTERVAL_DAYS)
    churn_span = float(settings.CRM_CHURN_FULL_RATIO) - 1.0
    new_days = int(settings.CRM_NEW_CUSTOMER_DAYS)
    thresholds = _thresholds()
    tier_cases, tier_params = [], []
    for tier in TIER_ORDER:
        if tier in thresholds:
            spend, orders = thresholds[tier]
            tier_cases.append("WHEN b.revenue_12m >= %s AND b.orders_12m >= %s THEN %s")
            if connection.vendor != "postgresql":
                spend = float(spend)  # SQLite compares a text parameter as text
            tier_params += [spend, orders, str(tier)]
    tier_sql = f"CASE {' '.join(tier_cases)} ELSE 'standard' END" if tier_cases else "'standard'"

    now_days = _days(ts)
    sql = f"""
WITH facts AS ({facts_sql}),
agg AS (
  SELECT c.id AS customer_id,
         COUNT(f.customer_id) AS orders_count,
         COALESCE(SUM(CASE WHEN f.placed_at >= {ts} THEN 1 ELSE 0 END), 0) AS orders_12m,
         COALESCE(SUM(f.revenue), 0) AS revenue,
         COALESCE(SUM(CASE WHEN f.placed_at >= {ts} THEN f.revenue ELSE 0 END), 0)
           AS revenue_12m,
         COALESCE(SUM(f.refunded), 0) AS refunded,
         COALESCE(SUM(f.margin), 0) AS margin,
         MIN(f.placed_at) AS first_order_at,
         MAX(f.placed_at) AS last_order_at
  FROM crm_customer c
  LEFT JOIN (SELECT * FROM facts f WHERE {fact_scope_sql}) f ON f.customer_id = c.id
  WHERE {scope_sql}
  GROUP BY c.id
),
base AS (
  SELECT a.*,
         a.revenue - a.refunded AS ltv,
         {_days("a.last_order_at")} AS last_days,
         CASE WHEN a.orders_count > 0
              THEN {_floor(f"({now_days} - {_days('a.last_order_at')})")} END AS recency_days,
         CASE WHEN a.orders_count > 1
              THEN ROUND(CAST(({_days("a.last_order_at")} - {_days("a.first_order_at")})
                              / (a.orders_count - 1) AS NUMERIC), 1) END AS interval_days
  FROM agg a
),
pop AS (
  SELECT customer_id, orders_count, last_days, ltv, 1 AS mine FROM base
  WHERE orders_count > 0
  {others_sql}
),
ranked AS (
  SELECT customer_id, mine,
         {_score("last_days", "ASC")} AS r_score,
         {_score("orders_count", "ASC")} AS f_score,
         {_score("ltv", "ASC")} AS m_score
  FROM pop
),
usual AS (
  SELECT b.*,
         COALESCE(r.r_score, 0) AS r_score,
         COALESCE(r.f_score, 0) AS f_score,
         COALESCE(r.m_score, 0) AS m_score,
         CASE WHEN b.orders_count > 1 AND b.interval_days >= 1 THEN b.interval_days * 1.0
              WHEN b.orders_count > 1 THEN 1.0
              ELSE %s END AS usual_interval
  FROM base b LEFT JOIN ranked r ON r.customer_id = b.customer_id AND r.mine = 1
),
risk AS (
  SELECT u.*,
         CASE WHEN u.orders_count = 0 THEN 0
              ELSE ROUND(CAST(
                CASE WHEN (u.recency_days / u.usual_interval - 1) / %s <= 0 THEN 0
                     WHEN (u.recency_days / u.usual_interval - 1) / %s >= 1 THEN 1
                     ELSE (u.recency_days / u.usual_interval - 1) / %s END
              AS NUMERIC), 3) END AS churn_risk
  FROM usual u
),
scored AS (
  SELECT b.*,
         CASE WHEN b.orders_count = 0 THEN 'prospect'
              WHEN b.orders_count = 1 AND b.recency_days < %s THEN 'new'
              WHEN b.r_score >= 4 AND b.f_score >= 4 THEN 'champions'
              WHEN b.r_score = 3 AND b.f_score >= 4 THEN 'loyal'
              WHEN b.r_score <= 2 AND b.f_score = 5 THEN 'cannot_lose'
              WHEN b.r_score <= 2 AND b.f_score >= 3 THEN 'at_risk'
              WHEN b.r_score >= 4 AND b.f_score >= 2 THEN 'potential'
              WHEN b.r_score = 3 AND b.f_score >= 2 THEN 'attention'
              WHEN b.r_score >= 4 THEN 'promising'
              WHEN b.r_score >= 2 THEN 'hibernating'
              ELSE 'lost' END AS segment,
         CASE WHEN b.orders_count = 0 THEN 'none'
              WHEN b.churn_risk < 0.333 THEN 'low'
              WHEN b.churn_risk < 0.667 THEN 'medium'
              ELSE 'high' END AS churn_level,
         CASE WHEN b.orders_count = 0 THEN 0
              ELSE ROUND(CAST(b.ltv * 1.0 / b.orders_count * 365.0 / b.usual_interval
                              * (1 - b.churn_risk) AS NUMERIC), 2) END AS predicted_value,
         {tier_sql} AS computed_tier
  FROM risk b
)
INSERT INTO crm_customerscore ({", ".join(SCORE_COLUMNS)})
SELECT s.customer_id, s.orders_count, s.orders_12m, s.revenue, s.revenue_12m, s.refunded,
       s.margin, s.first_order_at, s.last_order_at, s.recency_days, s.interval_days,
       s.r_score, s.f_score, s.m_score, s.segment, s.ltv, s.predicted_value, s.churn_risk,
       s.churn_level, 'none',
       CASE WHEN s.churn_level <> 'none' THEN {ts} END,
       s.computed_tier, {ts}
FROM scored s
WHERE 1 = 1
ON CONFLICT (customer_id) DO UPDATE SET
  {", ".join(f"{col} = excluded.{col}" for col in SCORE_COLUMNS[1:] if col not in KEPT)},
  previous_churn_level = CASE
    WHEN excluded.churn_level <> crm_customerscore.churn_level
    THEN crm_customerscore.churn_level
    ELSE crm_customerscore.previous_churn_level END,
  churn_rose_at = CASE
    WHEN {_level_rank("excluded.churn_level")} > {_level_rank("crm_customerscore.churn_level")}
    THEN excluded.computed_at
    ELSE crm_customerscore.churn_rose_at END
"""
    # Parameters in the order their placeholders appear above.
    params = [
        *facts_params,
        *[since_ts, since_ts],  # agg: orders_12m, revenue_12m
        *fact_scope_params,
        *scope_params,
        now_ts,  # base: recency
        *others_params,
        *[interval_default, churn_span, churn_span, churn_span, new_days],
        *tier_params,
        *[now_ts, now_ts],  # churn_rose_at of a first score, computed_at
    ]
    return sql, params


def _level_rank(expr: str) -> str:
    return f"(CASE {expr} WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 ELSE 0 END)"


def _tiers_apply(*, now, customer_ids: list[int] | None) -> int:
    """Customers whose tier (override, else computed) differs get it, with a
    TierChange each. Returns how many changed."""
    target = (
        "CASE WHEN crm_customer.tier_override <> '' THEN crm_customer.tier_override "
        "ELSE COALESCE((SELECT s.computed_tier FROM crm_customerscore s "
        "WHERE s.customer_id = crm_customer.id), 'standard') END"
    )
    scope, scope_params = "crm_customer.merged_into_id IS NULL", []
    if customer_ids is not None:
        in_sql, scope_params = _in_list("crm_customer.id", customer_ids)
        scope += f" AND {in_sql}"
    ts = _ts_param()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO crm_tierchange (customer_id, from_tier, to_tier, by_system, reason, "
            f"changed_at) SELECT crm_customer.id, crm_customer.tier, {target}, %s, '', {ts} "
            f"FROM crm_customer WHERE {scope} AND crm_customer.tier <> {target}",
            [True, _ts(now), *scope_params],
        )
        changed = cursor.rowcount
        if changed:
            cursor.execute(
                f"UPDATE crm_customer SET tier = {target}, updated_at = {ts} "
                f"WHERE {scope} AND crm_customer.tier <> {target}",
                [_ts(now), *scope_params],
            )
    return changed


def _run(*, now, customer_ids: list[int] | None) -> dict:
    started = time.monotonic()
    now = now or timezone.now()
    advisory_lock(LOCK_KEY)
    with connection.cursor() as cursor:
        if customer_ids is None:
            cursor.execute(
                "DELETE FROM crm_customerscore WHERE customer_id IN "
                "(SELECT id FROM crm_customer WHERE merged_into_id IS NOT NULL)"
            )
        sql, params = _score_sql(now=now, customer_ids=customer_ids)
        cursor.execute(sql, params)
        scored = cursor.rowcount
    if scored < 0:  # SQLite does not count the rows of an INSERT that starts WITH
        active = Customer.objects.filter(merged_into__isnull=True)
        if customer_ids is not None:
            active = active.filter(pk__in=customer_ids)
        scored = active.count()
    changes = _tiers_apply(now=now, customer_ids=customer_ids)
    return {
        "customers_scored": scored,
        "tier_changes": changes,
        "seconds": round(time.monotonic() - started, 3),
    }


@transaction.atomic
def customers_score(*, now=None, customer_ids=None) -> dict:
    """Score every active customer (or only `customer_ids`, see
    customer_score_refresh) and apply the tiers. Safe to run twice."""
    if customer_ids is not None:
        customer_ids = sorted({int(pk) for pk in customer_ids})
        if not customer_ids:
            return {"customers_scored": 0, "tier_changes": 0, "seconds": 0.0}
    return _run(now=now, customer_ids=customer_ids)


def customer_score_refresh(*, customer_ids, now=None) -> dict:
    """Re-score a few customers now (after a merge, an override, ...): their
    own figures, ranked against everyone else's stored scores."""
    return customers_score(now=now, customer_ids=list(customer_ids))


# --- Tiers by hand -------------------------------------------------------------------


@transaction.atomic
def customer_tier_override_set(*, customer: Customer, tier: str, reason: str = "", actor=None):
    """Set (or, with tier "", clear) the tier a customer keeps whatever the
    scoring computes; the tier applies at once and the change is recorded."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    reason = (reason or "").strip()
    if tier and tier not in Customer.Tier.values:
        raise TierInvalid(_("Choose a valid tier."), field="tier")
    if tier and not reason:
        raise TierInvalid(_("Say why this customer gets this tier."), field="reason")
    if customer.merged_into_id:
        raise TierInvalid(_("This customer was merged into another."), field="tier")
    if tier:
        new_tier = tier
    else:
        computed = (
            CustomerScore.objects.filter(customer=customer)
            .values_list("computed_tier", flat=True)
            .first()
        )
        new_tier = computed or Customer.Tier.STANDARD
    old_tier = customer.tier
    customer.tier_override = tier
    customer.tier_override_reason = reason if tier else ""
    customer.tier = new_tier
    customer.save(update_fields=["tier_override", "tier_override_reason", "tier", "updated_at"])
    if new_tier != old_tier:
        TierChange.objects.create(
            customer=customer,
            from_tier=old_tier,
            to_tier=new_tier,
            by_system=False,
            changed_by=actor if getattr(actor, "pk", None) else None,
            reason=reason or _("tier set by hand cleared"),
            changed_at=timezone.now(),
        )
    return customer


@transaction.atomic
def tier_thresholds_update(*, thresholds: dict[str, tuple[Decimal, int]]) -> list[TierThreshold]:
    """Change the spend and orders in 12 months each tier needs; a higher
    tier never needs less than a lower one. Tiers apply at the next scoring."""
    rows = {row.tier: row for row in TierThreshold.objects.select_for_update()}
    merged = {tier: (row.min_spend_12m, row.min_orders_12m) for tier, row in rows.items()}
    for tier, (spend, orders) in thresholds.items():
        if tier not in TIER_ORDER:
            raise TierInvalid(_("Choose a valid tier."), field="tier")
        if spend is None or Decimal(spend) < 0:
            raise TierInvalid(_("Enter an amount of 0 or more."), field=f"{tier}_min_spend_12m")
        if orders is None or int(orders) < 0:
            raise TierInvalid(_("Enter 0 or more orders."), field=f"{tier}_min_orders_12m")
        merged[tier] = (Decimal(spend), int(orders))
    ladder = [t for t in reversed(TIER_ORDER) if t in merged]  # silver, gold, vip
    for lower, higher in itertools.pairwise(ladder):
        if merged[higher][0] < merged[lower][0]:
            raise TierInvalid(
                _("%(higher)s must need at least the spend of %(lower)s.")
                % {"higher": Customer.Tier(higher).label, "lower": Customer.Tier(lower).label},
                field=f"{higher}_min_spend_12m",
            )
        if merged[higher][1] < merged[lower][1]:
            raise TierInvalid(
                _("%(higher)s must need at least the orders of %(lower)s.")
                % {"higher": Customer.Tier(higher).label, "lower": Customer.Tier(lower).label},
                field=f"{higher}_min_orders_12m",
            )
    saved = []
    for tier in thresholds:
        spend, orders = merged[tier]
        row = rows.get(tier) or TierThreshold(tier=tier)
        row.min_spend_12m, row.min_orders_12m = spend, orders
        row.save()
        saved.append(row)
    return saved

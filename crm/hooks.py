"""What higher apps give crm, without crm importing them.

crm sits at the bottom of the import direction, yet scores customers on their
orders, raises care tasks from tickets and shipment exceptions, and shows all of
a customer's business on one page. The apps that own that data register here,
from their AppConfig.ready() (each in its own `crm_hooks.py`):

- `register_order_facts(fn)`: the SQL of one row per counted order, the input of
  the nightly scores (orders registers it).
- `register_care_rule(spec)`: a rule that finds care-task causes (orders,
  logistics, after-sales and crm itself register theirs).
- `register_section(section)`: a part of the customer 360 page and API (every
  app with something about a customer).
- `register_segment_facts(fn)`: figures about a set of customers for the 7P
  analysis of a segment.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

# --- Order facts (scores) ------------------------------------------------------

# fn(connection) -> (sql, params). The SELECT yields one row per order that
# counts for the customer's value, with the columns
#   customer_id, placed_at, revenue, refunded, margin
# (revenue: what the customer paid for it; refunded: what went back; margin:
# revenue minus the cost of the goods). crm wraps it as a CTE.
OrderFactsSql = Callable[[Any], tuple[str, list]]
_order_facts: list[OrderFactsSql] = []


def register_order_facts(fn: OrderFactsSql) -> None:
    if fn not in _order_facts:
        _order_facts.append(fn)


ORDER_FACT_COLUMNS = "customer_id, placed_at, revenue, refunded, margin"


def order_facts_sql(connection) -> tuple[str, list] | None:
    """The UNION ALL of every registered order-facts SELECT, or None. Each
    part is a derived table (SQLite refuses parenthesised compound parts)."""
    if not _order_facts:
        return None
    parts, params = [], []
    for index, fn in enumerate(_order_facts):
        sql, part_params = fn(connection)
        parts.append(f"SELECT {ORDER_FACT_COLUMNS} FROM ({sql}) facts_{index}")  # noqa: S608
        params.extend(part_params)
    return " UNION ALL ".join(parts), params


# --- Care rules ------------------------------------------------------------------


@dataclass(frozen=True)
class CareCause:
    """One reason to care for a customer, found by a rule."""

    customer_id: int
    key: str  # unique per rule: "ticket:42:resolved"; never reused for another cause
    occurred_at: datetime  # the task is due `delay_days` after this
    reference: str = ""  # what staff look up: an order or ticket number
    detail: str = ""  # one line shown on the task, in the language of the job
    priority: str = "normal"  # crm.models.CareTask.Priority value


@dataclass(frozen=True)
class CareRuleSpec:
    """A care rule. `find(rule, since, until)` yields the causes that happened
    in [since, until) (rule is the crm.models.CareRule row, for its threshold)."""

    code: str
    name: Any  # lazy translated: the task title shown to staff
    description: Any  # lazy translated: what the rule does, on the rules page
    find: Callable[[Any, datetime, datetime], Iterable[CareCause]]
    default_delay_days: int = 0
    default_threshold: Decimal | None = None
    default_enabled: bool = True
    order: int = 100


CARE_RULES: dict[str, CareRuleSpec] = {}


def register_care_rule(spec: CareRuleSpec) -> None:
    CARE_RULES[spec.code] = spec


# --- Customer 360 sections -----------------------------------------------------


@dataclass(frozen=True)
class Section:
    """A part of the customer 360 page and of GET /api/v1/customers/{code}/360/.

    `load(customer, user)` returns the section's data in a fixed number of
    queries however much history the customer has (lists are cut to `limit`
    rows, with totals counted in SQL), or None to leave the section out
    (e.g. the user may not see it). `as_json(data)` makes it JSON-safe for
    the API. `facts` in the data (a dict) feed the 7P analysis."""

    key: str
    title: Any  # lazy translated
    template: str  # rendered with {"section": data, "customer": customer}
    load: Callable[[Any, Any], dict | None]
    as_json: Callable[[dict], dict]
    permission: str = ""  # the user must hold it to see the section
    order: int = 100
    limit: int = field(default=10)


SECTIONS: dict[str, Section] = {}


def register_section(section: Section) -> None:
    SECTIONS[section.key] = section


# --- Segment facts (7P over a set of customers) --------------------------------

# fn(customer_queryset) -> dict of figures (fixed number of queries).
SegmentFacts = Callable[[Any], dict]
_segment_facts: list[SegmentFacts] = []


def register_segment_facts(fn: SegmentFacts) -> None:
    if fn not in _segment_facts:
        _segment_facts.append(fn)


def segment_facts(customers) -> dict:
    facts: dict = {}
    for fn in _segment_facts:
        facts.update(fn(customers))
    return facts

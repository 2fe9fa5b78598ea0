"""The nightly scoring on a fixed data set whose figures are computed by hand
(see crm/services/scoring.py for the formulas).

As of NOW, with the default settings (usual interval 90 days, churn full at
4x the interval, new for 30 days) and tier thresholds (silver 2000/2, gold
10000/5, VIP 50000/10):

  A  4 orders of 1000, 10/40/70/100 days ago (+ a cancelled one)
     interval 30.0, recency 10, churn 0, LTV 4000, predicted 1000*365/30 = 12166.67
  B  2 orders of 3000, 200 and 300 days ago, 500 refunded on the older
     interval 100.0, recency 200, churn (2-1)/3 = 0.333 medium, LTV 5500,
     predicted 2750*365/100*0.667 = 6695.01, margin 2*1000-500 = 1500
  C  1 order of 200, 5 days ago (+ one placed after NOW, ignored): new,
     predicted 200*365/90 = 811.11
  D  1 order of 500, 300 days ago: churn (300/90-1)/3 = 0.778 high,
     predicted 500*365/90*0.222 = 450.17
  E  10 orders of 6000, 1/11/.../91 days ago: interval 10.0, VIP,
     predicted 6000*365/10 = 219000
  F  no orders: prospect

R by last order (oldest first D, B, A, C, E) = 1..5; F by orders (C, D tie
on 1 -> both 2; B 3; A 4; E 5); M by LTV (C 200, D 500, A 4000, B 5500,
E 60000) = 1..5.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from crm.models import Customer, CustomerScore, TierChange, TierThreshold
from crm.services.scoring import (
    TierInvalid,
    customer_score_refresh,
    customer_tier_override_set,
    customers_score,
    tier_thresholds_update,
)
from orders.models import Order, OrderLine, Refund
from tests.factories import CustomerFactory, ProductFactory, SalesChannelFactory

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SCORE_FIELDS = [
    f.attname for f in CustomerScore._meta.concrete_fields if f.attname != "customer_id"
]


class Shop:
    def __init__(self):
        self.channel = SalesChannelFactory(code="SCORE")
        self.product = ProductFactory(sku="SCORE-1")
        self.n = 0

    def order(self, customer, days_ago, total, cost, *, status=Order.Status.COMPLETED):
        self.n += 1
        order = Order.objects.create(
            number=f"SO-T-{self.n:05d}",
            channel=self.channel,
            customer=customer,
            placed_at=NOW - timedelta(days=days_ago),
            total=Decimal(total),
            subtotal=Decimal(total),
            status=status,
            tracking_token=f"tok-score-{self.n}",
        )
        OrderLine.objects.create(
            order=order,
            line_no=1,
            product=self.product,
            sku=self.product.sku,
            name="x",
            quantity=2,
            unit_price=Decimal(total) / 2,
            line_total=Decimal(total),
            unit_cost=Decimal(cost) / 2,
        )
        return order


@pytest.fixture
def data(db):
    shop = Shop()
    c = {key: CustomerFactory(code=f"C-{key}", name=key) for key in "ABCDEF"}
    for days in (10, 40, 70, 100):
        shop.order(c["A"], days, "1000", "600")
    shop.order(c["A"], 20, "9999", "0", status=Order.Status.CANCELLED)
    shop.order(c["B"], 200, "3000", "2000")
    old = shop.order(c["B"], 300, "3000", "2000")
    Refund.objects.create(order=old, amount=Decimal("500"), reason="damaged", refunded_at=NOW)
    shop.order(c["C"], 5, "200", "100")
    shop.order(c["C"], -2, "7777", "0")  # after NOW: not counted yet
    shop.order(c["D"], 300, "500", "250")
    for i in range(10):
        shop.order(c["E"], 1 + 10 * i, "6000", "3000")
    c["shop"] = shop
    return c


def score_of(customer) -> CustomerScore:
    return CustomerScore.objects.get(customer=customer)


def test_scores_match_the_hand_computed_figures(data):
    summary = customers_score(now=NOW)
    assert summary["customers_scored"] == 6

    a = score_of(data["A"])
    assert (a.orders_count, a.orders_12m) == (4, 4)
    assert a.revenue == a.revenue_12m == a.lifetime_value == Decimal("4000.00")
    assert a.refunded == 0
    assert a.margin == Decimal("1600.00")
    assert a.recency_days == 10
    assert a.interval_days == Decimal("30.0")
    assert (a.r_score, a.f_score, a.m_score) == (3, 4, 3)
    assert a.segment == CustomerScore.Segment.LOYAL
    assert a.churn_risk == 0
    assert a.churn_level == CustomerScore.ChurnLevel.LOW
    assert a.predicted_value == Decimal("12166.67")
    assert a.computed_tier == Customer.Tier.SILVER
    assert a.first_order_at == NOW - timedelta(days=100)
    assert a.last_order_at == NOW - timedelta(days=10)

    b = score_of(data["B"])
    assert (b.orders_count, b.orders_12m) == (2, 2)
    assert (b.revenue, b.refunded, b.lifetime_value) == (
        Decimal("6000.00"),
        Decimal("500.00"),
        Decimal("5500.00"),
    )
    assert b.margin == Decimal("1500.00")
    assert b.recency_days == 200
    assert b.interval_days == Decimal("100.0")
    assert (b.r_score, b.f_score, b.m_score) == (2, 3, 4)
    assert b.segment == CustomerScore.Segment.AT_RISK
    assert b.churn_risk == Decimal("0.333")
    assert b.churn_level == CustomerScore.ChurnLevel.MEDIUM
    assert b.predicted_value == Decimal("6695.01")
    assert b.computed_tier == Customer.Tier.SILVER

    c = score_of(data["C"])
    assert (c.orders_count, c.recency_days, c.interval_days) == (1, 5, None)
    assert (c.r_score, c.f_score, c.m_score) == (4, 2, 1)
    assert c.segment == CustomerScore.Segment.NEW
    assert c.predicted_value == Decimal("811.11")
    assert c.computed_tier == Customer.Tier.STANDARD

    d = score_of(data["D"])
    assert (d.r_score, d.f_score, d.m_score) == (1, 2, 2)
    assert d.segment == CustomerScore.Segment.LOST
    assert d.churn_risk == Decimal("0.778")
    assert d.churn_level == CustomerScore.ChurnLevel.HIGH
    assert d.churn_rose_at == NOW  # first scored: from none to high
    assert d.predicted_value == Decimal("450.17")

    e = score_of(data["E"])
    assert (e.orders_count, e.orders_12m, e.recency_days) == (10, 10, 1)
    assert e.interval_days == Decimal("10.0")
    assert (e.r_score, e.f_score, e.m_score) == (5, 5, 5)
    assert e.segment == CustomerScore.Segment.CHAMPIONS
    assert e.predicted_value == Decimal("219000.00")
    assert e.computed_tier == Customer.Tier.VIP

    f = score_of(data["F"])
    assert (f.orders_count, f.r_score, f.f_score, f.m_score) == (0, 0, 0, 0)
    assert f.segment == CustomerScore.Segment.PROSPECT
    assert f.churn_level == CustomerScore.ChurnLevel.NONE
    assert (f.recency_days, f.last_order_at, f.churn_rose_at) == (None, None, None)
    assert f.lifetime_value == f.predicted_value == 0
    assert f.computed_at == NOW


def test_tiers_applied_and_recorded_once(data):
    summary = customers_score(now=NOW)
    assert summary["tier_changes"] == 3
    tiers = dict(Customer.objects.values_list("code", "tier"))
    assert tiers == {
        "C-A": "silver",
        "C-B": "silver",
        "C-C": "standard",
        "C-D": "standard",
        "C-E": "vip",
        "C-F": "standard",
    }
    change = TierChange.objects.get(customer=data["E"])
    assert (change.from_tier, change.to_tier, change.by_system) == ("standard", "vip", True)
    assert change.changed_at == NOW

    before = {
        s.customer_id: [getattr(s, name) for name in SCORE_FIELDS]
        for s in CustomerScore.objects.all()
    }
    again = customers_score(now=NOW)
    assert again["tier_changes"] == 0
    assert TierChange.objects.count() == 3
    after = {
        s.customer_id: [getattr(s, name) for name in SCORE_FIELDS]
        for s in CustomerScore.objects.all()
    }
    assert after == before


def test_churn_rising_is_stamped_and_previous_level_kept(data):
    customers_score(now=NOW)
    later = NOW + timedelta(days=100)
    customers_score(now=later)
    b = score_of(data["B"])
    # 300 days since the last order, interval 100: (3-1)/3 = 0.667 -> high
    assert b.churn_risk == Decimal("0.667")
    assert b.churn_level == CustomerScore.ChurnLevel.HIGH
    assert b.previous_churn_level == CustomerScore.ChurnLevel.MEDIUM
    assert b.churn_rose_at == later
    d = score_of(data["D"])  # was high, still high: the first stamp stays
    assert (d.churn_level, d.churn_rose_at) == ("high", NOW)
    # Only one order of B is within a year by then: silver (2 orders) is lost.
    assert b.orders_12m == 1
    assert Customer.objects.get(pk=data["B"].pk).tier == "standard"
    assert TierChange.objects.filter(customer=data["B"], to_tier="standard").exists()

    # A new order brings B back: the level falls; the rise stamp stays.
    data["shop"].order(data["B"], -101, "100", "50")
    customers_score(now=later + timedelta(days=1))
    b = score_of(data["B"])
    assert b.churn_level == CustomerScore.ChurnLevel.LOW
    assert b.previous_churn_level == CustomerScore.ChurnLevel.HIGH
    assert b.churn_rose_at == later


def test_override_is_kept_by_the_scoring_and_recorded(data, make_user):
    manager = make_user("account_manager")
    customers_score(now=NOW)
    customer_tier_override_set(customer=data["C"], tier="gold", reason="key account", actor=manager)
    c = Customer.objects.get(pk=data["C"].pk)
    assert (c.tier, c.tier_override, c.tier_override_reason) == ("gold", "gold", "key account")
    change = c.tier_changes.get()
    assert (change.from_tier, change.to_tier, change.by_system) == ("standard", "gold", False)
    assert change.changed_by == manager

    customers_score(now=NOW)
    assert Customer.objects.get(pk=c.pk).tier == "gold"
    assert score_of(c).computed_tier == "standard"

    customer_tier_override_set(customer=c, tier="", reason="", actor=manager)
    c.refresh_from_db()
    assert (c.tier, c.tier_override, c.tier_override_reason) == ("standard", "", "")
    assert c.tier_changes.count() == 2


def test_override_needs_a_reason_and_a_valid_tier(data):
    with pytest.raises(TierInvalid) as exc:
        customer_tier_override_set(customer=data["A"], tier="gold", reason=" ")
    assert exc.value.field == "reason"
    with pytest.raises(TierInvalid) as exc:
        customer_tier_override_set(customer=data["A"], tier="platinum", reason="x")
    assert exc.value.field == "tier"


def test_thresholds_change_the_computed_tier(data):
    tier_thresholds_update(thresholds={"silver": (Decimal("5000"), 2)})
    customers_score(now=NOW)
    assert Customer.objects.get(pk=data["A"].pk).tier == "standard"  # 4000 < 5000
    assert Customer.objects.get(pk=data["B"].pk).tier == "silver"  # 6000, 2 orders


def test_thresholds_keep_the_ladder(db):
    with pytest.raises(TierInvalid) as exc:
        tier_thresholds_update(thresholds={"gold": (Decimal("1000"), 5)})
    assert exc.value.field == "gold_min_spend_12m"
    with pytest.raises(TierInvalid) as exc:
        tier_thresholds_update(thresholds={"vip": (Decimal("50000"), 3)})
    assert exc.value.field == "vip_min_orders_12m"
    assert TierThreshold.objects.get(tier="gold").min_spend_12m == Decimal("10000")


def test_merged_customers_are_not_scored(data):
    customers_score(now=NOW)
    Customer.objects.filter(pk=data["D"].pk).update(merged_into=data["A"])
    summary = customers_score(now=NOW)
    assert summary["customers_scored"] == 5
    assert not CustomerScore.objects.filter(customer=data["D"]).exists()


def test_refresh_scores_only_the_given_customers_ranked_against_the_rest(data):
    customers_score(now=NOW)
    g = CustomerFactory(code="C-G", name="G")
    data["shop"].order(g, 3, "300", "100")
    data["shop"].order(g, 13, "300", "100")
    later = NOW + timedelta(hours=1)
    summary = customer_score_refresh(customer_ids=[g.pk], now=later)
    assert summary["customers_scored"] == 1
    s = score_of(g)
    assert (s.orders_count, s.interval_days, s.recency_days) == (2, Decimal("10.0"), 3)
    # Population by last order: D, B, A, C, G, E -> G 5th of 6: ceil(5*5/6) = 5;
    # orders: C, D (1), B, G (2) -> ceil(5*4/6) = 4; LTV 600: C, D, G -> ceil(5*3/6) = 3.
    assert (s.r_score, s.f_score, s.m_score) == (5, 4, 3)
    assert s.segment == CustomerScore.Segment.CHAMPIONS
    assert s.computed_at == later
    assert score_of(data["A"]).computed_at == NOW  # the others are left alone
    assert customer_score_refresh(customer_ids=[])["customers_scored"] == 0

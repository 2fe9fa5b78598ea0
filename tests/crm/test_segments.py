"""Segments: every filter of the segment filter, validation of saved
filters, live counts, the 7P panel of a segment."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import Address, Customer, CustomerScore, Tag
from crm.selectors import segment_customers, segment_seven_p
from crm.services.segments import (
    SegmentInvalid,
    segment_create,
    segment_delete,
    segment_filters_clean,
    segment_update,
)
from orders.models import Order
from orders.services import LineInput, order_create
from tests.factories import CustomerFactory, SalesChannelFactory
from tests.orders.conftest import place, stock, world  # noqa: F401  (shared fixtures)

# The shared fixtures are imported above and taken as arguments below.
# ruff: noqa: F811

pytestmark = pytest.mark.django_db


def score(customer, **fields):
    fields.setdefault("computed_at", timezone.now())
    return CustomerScore.objects.create(customer=customer, **fields)


def codes(filters):
    return sorted(
        segment_customers(segment_filters_clean(filters=filters)).values_list("code", flat=True)
    )


def buy(world, customer, *lines, channel=None, days_ago=0, campaign_code=""):
    order, _created = order_create(
        channel=channel or world["channel"],
        customer={"code": customer.code},
        shipping_address={
            "recipient": customer.name,
            "phone": "13800000000",
            "province": "上海市",
            "city": "上海市",
            "street": "人民路1号",
        },
        lines=[
            LineInput(product=world[sku], quantity=qty, unit_price=Decimal("100"))
            for sku, qty in lines
        ],
        placed_at=timezone.now() - timedelta(days=days_ago),
        campaign_code=campaign_code,
    )
    return order


@pytest.fixture
def people(make_user):
    manager = make_user("account_manager", username="mgr-li")
    vip = Tag.objects.create(name="wholesale")
    a = CustomerFactory(
        code="A",
        tier=Customer.Tier.VIP,
        marketing_consent=True,
        account_manager=manager,
        language=Customer.Language.EN,
    )
    b = CustomerFactory(code="B", tier=Customer.Tier.GOLD, kind=Customer.Kind.COMPANY)
    c = CustomerFactory(code="C")
    merged = CustomerFactory(
        code="M", tier=Customer.Tier.VIP, marketing_consent=True, merged_into=a
    )
    a.tags.add(vip)
    addr = Address.objects.create(
        customer=b, recipient="x", phone="1", province="浙江省", city="杭州市", street="1"
    )
    b.default_address = addr
    b.save(update_fields=["default_address"])
    now = timezone.now()
    score(
        a,
        segment="champions",
        churn_level="low",
        lifetime_value=Decimal("9000"),
        orders_count=8,
        last_order_at=now - timedelta(days=3),
    )
    score(
        b,
        segment="at_risk",
        churn_level="high",
        lifetime_value=Decimal("1200"),
        orders_count=2,
        last_order_at=now - timedelta(days=200),
    )
    score(merged, segment="champions", lifetime_value=Decimal("99999"), orders_count=50)
    return {"a": a, "b": b, "c": c, "merged": merged, "manager": manager}


def test_each_filter_selects_its_customers(people):
    today = timezone.localdate()
    assert codes({}) == ["A", "B", "C"]  # merged customers never count
    assert codes({"tier": ["vip", "gold"]}) == ["A", "B"]
    assert codes({"tier": "gold"}) == ["B"]
    assert codes({"kind": "company"}) == ["B"]
    assert codes({"tags": ["wholesale"]}) == ["A"]
    assert codes({"account_manager": "mgr-li"}) == ["A"]
    assert codes({"marketing_consent": "true"}) == ["A"]
    assert codes({"marketing_consent": False}) == ["B", "C"]
    assert codes({"language": "en"}) == ["A"]
    assert codes({"province": "浙江省"}) == ["B"]
    assert codes({"segment": ["champions"]}) == ["A"]
    assert codes({"churn_level": ["high", "medium"]}) == ["B"]
    assert codes({"min_ltv": "1000", "max_ltv": "5000"}) == ["B"]
    assert codes({"min_orders": 3}) == ["A"]
    assert codes({"max_orders": 2}) == ["B"]
    assert codes({"last_order_after": (today - timedelta(days=30)).isoformat()}) == ["A"]
    assert codes({"last_order_before": (today - timedelta(days=30)).isoformat()}) == ["B"]


def test_bought_category_within_days_and_channel(people, world, stock):
    world["tea"].category = "Tea"
    world["tea"].save(update_fields=["category"])
    world["cup"].category = "Cups"
    world["cup"].save(update_fields=["category"])
    shop = SalesChannelFactory(code="SHOP", default_warehouse=world["sh"])
    buy(world, people["a"], ("tea", 1), ("tea", 2), days_ago=10)  # two lines: one customer row
    buy(world, people["b"], ("tea", 1), days_ago=100)
    buy(world, people["c"], ("cup", 1), channel=shop)
    cancelled = buy(world, people["c"], ("tea", 1))
    Order.objects.filter(pk=cancelled.pk).update(status=Order.Status.CANCELLED)

    assert codes({"bought_category": "tea"}) == ["A", "B"]  # cancelled orders do not count
    assert codes({"bought_category": "Tea", "bought_within_days": 30}) == ["A"]
    assert codes({"bought_category": "cups"}) == ["C"]
    assert codes({"channel": "SHOP"}) == ["C"]
    assert codes({"channel": "WEB"}) == ["A", "B"]
    assert segment_customers(segment_filters_clean(filters={"bought_category": "tea"})).count() == 2


def test_saved_filters_are_checked_and_normalised(people):
    assert segment_filters_clean(
        filters={"tier": "vip", "min_ltv": "1000.00", "marketing_consent": True, "kind": ""}
    ) == {"tier": ["vip"], "min_ltv": "1000", "marketing_consent": "true"}
    for filters, field in [
        ({"colour": "red"}, "colour"),
        ({"tier": ["diamond"]}, "tier"),
        ({"min_ltv": "lots"}, "min_ltv"),
        ({"tags": ["no-such-tag"]}, "tags"),
        ({"last_order_after": "yesterday"}, "last_order_after"),
        ({"bought_within_days": 30}, "bought_category"),
        ({"bought_category": "tea", "bought_within_days": 0}, "bought_within_days"),
        ({"kind": ["person", "company"]}, "kind"),
        (["tier"], "filters"),
    ]:
        with pytest.raises(SegmentInvalid) as caught:
            segment_filters_clean(filters=filters)
        assert caught.value.field == field, filters


def test_segment_create_update_delete(people, make_user):
    actor = make_user("account_manager")
    segment = segment_create(name=" VIPs ", filters={"tier": "vip"}, actor=actor)
    assert (segment.name, segment.filters, segment.created_by) == ("VIPs", {"tier": ["vip"]}, actor)
    with pytest.raises(SegmentInvalid) as caught:
        segment_create(name="vips", filters={})
    assert caught.value.field == "name"
    segment = segment_update(segment=segment, filters={"tier": ["gold"]}, description="gold")
    assert segment.filters == {"tier": ["gold"]} and segment.description == "gold"
    assert list(segment_customers(segment.filters).values_list("code", flat=True)) == ["B"]
    segment_delete(segment=segment)
    assert not type(segment).objects.filter(pk=segment.pk).exists()


def test_a_filter_broken_later_selects_nobody(people):
    tag = Tag.objects.create(name="fair")
    people["c"].tags.add(tag)
    filters = segment_filters_clean(filters={"tags": ["fair"]})
    assert codes(filters) == ["C"]
    tag.delete()
    # Never "everybody" because a filter went stale.
    assert segment_customers(filters).count() == 0


def test_seven_p_of_a_segment(people, world, stock, make_user):
    world["tea"].category = "Tea"
    world["tea"].save(update_fields=["category"])
    a, b = people["a"], people["b"]
    CustomerScore.objects.filter(customer=a).update(
        revenue=Decimal("1000"),
        margin=Decimal("400"),
        refunded=Decimal("0"),
        recency_days=10,
        interval_days=Decimal("20"),
        orders_count=3,
        predicted_value=Decimal("600"),
    )
    CustomerScore.objects.filter(customer=b).update(
        revenue=Decimal("500"),
        margin=Decimal("100"),
        recency_days=30,
        interval_days=None,
        orders_count=1,
        predicted_value=Decimal("100"),
    )
    buy(world, a, ("tea", 2))  # 200
    buy(world, a, ("cup", 1))  # 100
    buy(world, b, ("tea", 1))  # 100
    from aftersales.models import ReturnRequest

    order = Order.objects.filter(customer=b).first()
    ReturnRequest.objects.create(
        number="RMA-1", kind="return", order=order, customer=b, reason="broken"
    )
    customers = segment_customers(segment_filters_clean(filters={"tier": ["vip", "gold"]}))
    panel = segment_seven_p(customers)
    assert panel["profile"]["customers"] == 2
    tiers = {row["tier"]: row["customers"] for row in panel["profile"]["tiers"]}
    assert tiers == {"standard": 0, "silver": 0, "gold": 1, "vip": 1}
    assert panel["persistency"]["repeat_rate"] == Decimal("50.0")  # 1 of 2 buyers
    # tenure: A 10 + 20 * (3 - 1) = 50 days, B 30 days -> 40
    assert panel["persistency"]["average_tenure_days"] == 40
    assert panel["profitability"]["margin"] == Decimal("500")
    assert panel["profitability"]["margin_percent"] == Decimal("33.3")  # 500 / 1500
    assert panel["performance"]["orders"] == 3  # from the orders' own facts
    assert panel["performance"]["returns"] == 1
    assert panel["performance"]["return_rate"] == Decimal("33.3")
    assert panel["prospecting"]["predicted_value"] == Decimal("700")
    assert panel["prospecting"]["churn_high"] == 1
    top = panel["product"]["top_categories"]
    assert top[0]["category"] == "Tea" and top[0]["revenue"] == Decimal("300")
    assert top[0]["customers"] == 2
    assert panel["promotion"]["sends"] == 0


def test_seven_p_costs_the_same_queries_for_more_customers(people, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def run():
        with CaptureQueriesContext(connection) as ctx:
            segment_seven_p(segment_customers({}))
        return len(ctx.captured_queries)

    few = run()
    for n in range(10):
        score(CustomerFactory(), orders_count=n)
    assert run() == few

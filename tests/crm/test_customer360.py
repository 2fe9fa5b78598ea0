"""The customer 360 page (crm:customer-detail) and GET /api/v1/customers/{code}/360/:
sections by permission and visibility, KPI and 7P figures, actions, and a
query count that stays flat as the customer's history grows."""

import itertools
import secrets
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from aftersales.models import Feedback, RepairOrder, ReturnRequest, Ticket
from crm.hooks import SECTIONS
from crm.models import (
    Address,
    Campaign,
    CampaignSend,
    CareTask,
    Contact,
    Customer,
    CustomerScore,
    Interaction,
    Segment,
    Tag,
    TierChange,
)
from crm.views.customer360 import ACTIONS
from logistics.models import Shipment, ShipmentEvent
from orders.models import Order, OrderLine, Payment, Refund
from tests.factories import CarrierFactory, CustomerFactory
from tests.orders.conftest import world  # noqa: F401  (shared fixture)

_seq = itertools.count(1)


def _n(prefix: str) -> str:
    return f"{prefix}-{next(_seq):06d}"


def page_url(customer) -> str:
    return reverse("crm:customer-detail", args=[customer.code])


def api_url(customer) -> str:
    return f"/api/v1/customers/{customer.code}/360/"


def history(world, customer, n, *, campaign=None, ticket_assignee=None):  # noqa: F811
    """n orders (each one line of 2 × TEA-1 at 100, cost 40), each with a
    payment, a shipment with two tracking events and a ticket; plus n returns,
    repairs, surveys, interactions, care tasks and tier changes."""
    now = timezone.now()
    carrier = CarrierFactory()
    for i in range(n):
        order = Order.objects.create(
            number=_n("SO"),
            channel=world["channel"],
            customer=customer,
            placed_at=now - timedelta(days=10 * (n - i)),
            status=Order.Status.DELIVERED,
            subtotal=Decimal("200.00"),
            total=Decimal("200.00"),
            tracking_token=secrets.token_hex(16),
            campaign=campaign,
        )
        OrderLine.objects.create(
            order=order,
            line_no=1,
            product=world["tea"],
            sku="TEA-1",
            name="tea",
            quantity=2,
            unit_price=Decimal("100"),
            line_total=Decimal("200.00"),
            unit_cost=Decimal("40"),
        )
        Payment.objects.create(order=order, amount=Decimal("200.00"), method="alipay", paid_at=now)
        shipment = Shipment.objects.create(
            number=_n("SH"),
            order=order,
            warehouse=world["sh"],
            carrier=carrier,
            tracking_number=f"SF{i}",
            status=Shipment.Status.DELIVERED,
            planned_delivery_at=now - timedelta(days=1),
            delivered_at=now - timedelta(days=1, hours=1),
        )
        for hours, text in ((5, "picked up"), (2, "signed for")):
            ShipmentEvent.objects.create(
                shipment=shipment,
                kind=ShipmentEvent.Kind.TRACKING,
                source=ShipmentEvent.Source.CARRIER,
                occurred_at=now - timedelta(hours=hours),
                description=text,
            )
        ticket = Ticket.objects.create(
            number=_n("TK"),
            subject=f"question {i}",
            customer=customer,
            order=order,
            kind=Ticket.Kind.INQUIRY,
            channel=Ticket.Channel.PHONE,
            assignee=ticket_assignee,
            public_token=secrets.token_hex(16),
        )
        Feedback.objects.create(
            ticket=ticket, customer=customer, token=secrets.token_hex(16), csat=4
        )
        ReturnRequest.objects.create(
            number=_n("RMA"),
            kind=ReturnRequest.Kind.RETURN,
            order=order,
            customer=customer,
            reason="too big",
        )
        RepairOrder.objects.create(
            number=_n("RP"), customer=customer, product=world["tea"], fault_description="leaks"
        )
        Interaction.objects.create(
            customer=customer,
            kind=Interaction.Kind.CALL,
            direction=Interaction.Direction.OUTBOUND,
            subject=f"call {i}",
            occurred_at=now - timedelta(hours=i),
        )
        CareTask.objects.create(
            customer=customer,
            title=f"follow up {i}",
            due_at=now + timedelta(days=i),
            assignee=customer.account_manager,
        )
        TierChange.objects.create(
            customer=customer, from_tier="standard", to_tier="silver", changed_at=now
        )
        Contact.objects.create(customer=customer, name=f"contact {i}")
        Address.objects.create(
            customer=customer,
            recipient="王芳",
            phone="13800000000",
            province="上海市",
            city="上海市",
            street=f"人民路{i}号",
        )


def staff_client(user, api=False):
    client = APIClient() if api else Client()
    client.force_login(user)
    return client


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries)


# --- Bounded queries ---------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "account_manager", "aftersales_agent"])
def test_page_and_api_cost_the_same_queries_for_3_and_30_orders(world, make_user, role):  # noqa: F811
    user = make_user(role)
    manager = user if role == "account_manager" else None
    small = CustomerFactory(account_manager=manager)
    big = CustomerFactory(account_manager=manager)
    segment = Segment.objects.create(name="all")
    campaign = Campaign.objects.create(
        code="CP-1", name="spring", segment=segment, channel="sms", message="hi"
    )
    for customer, n in ((small, 3), (big, 30)):
        history(world, customer, n, campaign=campaign, ticket_assignee=user)
        CampaignSend.objects.create(campaign=campaign, customer=customer, recipient="139")
        customer.tags.add(Tag.objects.get_or_create(name="vip-fair")[0])
    page, api = staff_client(user), staff_client(user, api=True)
    count_queries(page, page_url(small))  # warm up (session, content types)
    count_queries(api, api_url(small))

    page_small, page_big = count_queries(page, page_url(small)), count_queries(page, page_url(big))
    api_small, api_big = count_queries(api, api_url(small)), count_queries(api, api_url(big))

    assert page_small == page_big
    assert api_small == api_big
    # and the big customer's sections are cut to their limit but counted in full
    body = api.get(api_url(big)).json()
    assert len(body["sections"]["orders"]["rows"]) == SECTIONS["orders"].limit
    assert body["sections"]["orders"]["totals"]["count"] == 30
    assert body["sections"]["tickets"]["totals"]["count"] == 30
    assert len(body["sections"]["tickets"]["rows"]) == SECTIONS["tickets"].limit


# --- Sections by permission and visibility ----------------------------------------


def sections_of(user, customer) -> set[str]:
    response = staff_client(user, api=True).get(api_url(customer))
    assert response.status_code == 200
    return set(response.json()["sections"])


def test_sections_follow_permissions(world, make_user):  # noqa: F811
    customer = CustomerFactory()
    history(world, customer, 2)
    everything = {
        "profile",
        "scores",
        "orders",
        "shipments",
        "tickets",
        "returns",
        "repairs",
        "feedback",
        "interactions",
        "care_tasks",
        "campaigns",
    }
    assert sections_of(make_user("admin"), customer) == everything
    # an order clerk: no after-sales permissions, no care tasks or campaigns
    assert sections_of(make_user("order_clerk"), customer) == {
        "profile",
        "scores",
        "orders",
        "shipments",
        "interactions",
    }
    # an analyst: no tickets, feedback or interactions (conversations)
    analyst = sections_of(make_user("analyst"), customer)
    assert {"tickets", "feedback", "interactions"}.isdisjoint(analyst)
    assert {"orders", "shipments", "returns", "repairs", "campaigns"} <= analyst
    # an account manager does not see shipments (no logistics permission)
    assert "shipments" not in sections_of(make_user("account_manager"), customer)


def test_page_leaves_out_sections_the_role_may_not_see(world, make_user):  # noqa: F811
    customer = CustomerFactory()
    history(world, customer, 1)
    response = staff_client(make_user("order_clerk")).get(
        page_url(customer), HTTP_ACCEPT_LANGUAGE="en"
    )
    html = response.content.decode()
    assert 'id="section-orders"' in html
    assert 'id="section-tickets"' not in html
    assert 'id="section-feedback"' not in html
    assert 'id="kpi-open-tickets"' not in html and 'id="kpi-open_tickets"' not in html
    assert 'id="kpi-orders"' in html


def test_account_manager_sees_tickets_only_of_their_customers(world, make_user):  # noqa: F811
    mine, other = make_user("account_manager"), make_user("account_manager")
    customer = CustomerFactory(account_manager=mine)
    history(world, customer, 2)

    own = staff_client(mine, api=True).get(api_url(customer)).json()["sections"]
    assert own["tickets"]["totals"]["count"] == 2
    assert len(own["tickets"]["rows"]) == 2
    assert own["returns"]["totals"]["count"] == 2
    assert own["repairs"]["totals"]["count"] == 2
    assert own["feedback"]["totals"]["sent"] == 2
    assert own["care_tasks"]["totals"]["count"] == 2

    theirs = staff_client(other, api=True).get(api_url(customer)).json()["sections"]
    assert theirs["tickets"]["totals"]["count"] == 0
    assert theirs["tickets"]["rows"] == []
    assert theirs["tickets"]["limited"] is True
    assert theirs["returns"]["totals"]["count"] == 0
    assert theirs["repairs"]["totals"]["count"] == 0
    assert theirs["feedback"]["totals"]["sent"] == 0
    assert theirs["care_tasks"]["totals"]["count"] == 0
    # and the page says the list is narrowed
    html = staff_client(other).get(page_url(customer), HTTP_ACCEPT_LANGUAGE="en").content
    assert b'id="tickets-limited"' in html
    assert b"question 0" not in html


def test_agent_sees_own_and_loose_tickets_not_a_colleagues(world, make_user):  # noqa: F811
    agent, colleague = make_user("aftersales_agent"), make_user("aftersales_agent")
    customer = CustomerFactory()
    history(world, customer, 1, ticket_assignee=agent)  # mine
    history(world, customer, 1)  # loose: no team, nobody
    history(world, customer, 1, ticket_assignee=colleague)
    rows = staff_client(agent, api=True).get(api_url(customer)).json()["sections"]["tickets"]
    assert rows["totals"]["count"] == 2
    assert {row["assignee"] for row in rows["rows"]} == {agent.username, None}


def test_roles_without_customer_access_are_refused(world, make_user):  # noqa: F811
    customer = CustomerFactory()
    warehouse = make_user("warehouse")
    assert staff_client(warehouse).get(page_url(customer)).status_code == 403
    assert staff_client(warehouse, api=True).get(api_url(customer)).status_code == 403
    # not signed in
    assert Client().get(page_url(customer)).status_code == 302
    assert APIClient().get(api_url(customer)).status_code == 401
    # unknown customer
    admin = make_user("admin")
    assert staff_client(admin).get("/crm/customers/NOPE/").status_code == 404
    assert staff_client(admin, api=True).get("/api/v1/customers/NOPE/360/").status_code == 404


# --- Figures -----------------------------------------------------------------------


def test_kpis_and_seven_p_figures(world, make_user):  # noqa: F811
    """3 delivered orders of 200 (cost 80 each), one cancelled of 200, a
    refund of 50 on the first; 3 returns (one rejected), two campaigns
    received, one answered by an order."""
    customer = CustomerFactory()
    segment = Segment.objects.create(name="all")
    answered = Campaign.objects.create(
        code="CP-A", name="a", segment=segment, channel="sms", message="hi"
    )
    ignored = Campaign.objects.create(
        code="CP-B", name="b", segment=segment, channel="sms", message="hi"
    )
    unsent = Campaign.objects.create(
        code="CP-C", name="c", segment=segment, channel="sms", message="hi"
    )
    history(world, customer, 3)
    orders = list(Order.objects.filter(customer=customer).order_by("placed_at"))
    orders[0].campaign = answered
    orders[0].save()
    orders[1].campaign = unsent  # carried a code the customer never received
    orders[1].save()
    Refund.objects.create(
        order=orders[0], amount=Decimal("50.00"), reason="damaged", refunded_at=timezone.now()
    )
    cancelled = Order.objects.create(
        number=_n("SO"),
        channel=world["channel"],
        customer=customer,
        placed_at=timezone.now(),
        status=Order.Status.CANCELLED,
        total=Decimal("200.00"),
        tracking_token=secrets.token_hex(16),
    )
    OrderLine.objects.create(
        order=cancelled,
        line_no=1,
        product=world["cup"],
        sku="CUP-1",
        name="cup",
        quantity=10,
        unit_price=Decimal("20"),
        line_total=Decimal("200.00"),
        unit_cost=Decimal("5"),
    )
    ReturnRequest.objects.filter(customer=customer).filter(
        pk=ReturnRequest.objects.filter(customer=customer).order_by("pk")[0].pk
    ).update(status=ReturnRequest.Status.REJECTED)
    for campaign in (answered, ignored):
        CampaignSend.objects.create(campaign=campaign, customer=customer, recipient="139")
    CustomerScore.objects.create(
        customer=customer,
        orders_count=3,
        revenue=Decimal("600"),
        lifetime_value=Decimal("550"),
        predicted_value=Decimal("1234.50"),
        churn_risk=Decimal("0.250"),
        churn_level=CustomerScore.ChurnLevel.LOW,
        segment=CustomerScore.Segment.LOYAL,
        computed_at=timezone.now(),
    )
    body = (
        staff_client(make_user("admin"), api=True)
        .get(api_url(customer), HTTP_ACCEPT_LANGUAGE="en")
        .json()
    )

    kpis = {kpi["key"]: kpi for kpi in body["kpis"]}
    assert kpis["orders"]["value"] == 3  # the cancelled one does not count
    assert kpis["revenue"]["value"] == "600.00"
    assert kpis["lifetime_value"]["value"] == "550.00"  # live: revenue - refunded
    assert kpis["predicted_value"]["value"] == "1234.50"
    assert kpis["churn_risk"]["value"] == "0.250"
    assert kpis["churn_risk"]["level"] == "low"
    assert kpis["open_tickets"]["value"] == 3
    assert kpis["returns"]["value"] == 2  # the rejected request sent nothing back

    p = body["seven_p"]
    assert p["profitability"]["revenue"] == "600.00"
    assert p["profitability"]["refunded"] == "50.00"
    assert p["profitability"]["net_revenue"] == "550.00"
    # 600 of lines - 3 × 2 × 40 of cost - 50 refunded
    assert p["profitability"]["margin"] == "310.00"
    assert p["profitability"]["margin_percent"] == "56.4"  # 310 / 550
    assert p["performance"]["orders"] == 3
    assert p["performance"]["orders_cancelled"] == 1
    assert p["performance"]["return_rate"] == "66.7"
    assert p["performance"]["late_deliveries"] == 0
    assert p["performance"]["on_time_rate"] == "100.0"
    assert p["performance"]["csat_average"] == 4.0
    assert p["persistency"]["repeat"] is True
    assert p["prospecting"]["predicted_value"] == "1234.50"
    assert p["prospecting"]["churn_risk"] == "25.0"
    assert p["product"]["top_categories"][0]["quantity"] == 6  # cancelled cups left out
    assert p["promotion"]["campaigns_received"] == 2
    assert p["promotion"]["campaigns_responded"] == 1  # CP-C was never sent to them
    assert p["promotion"]["campaign_orders"] == 2
    assert p["promotion"]["response_rate"] == "50.0"
    assert p["profile"]["segment"] == "loyal"
    assert kpis["orders"]["label"] == "orders"

    orders = body["sections"]["orders"]
    assert orders["totals"]["count"] == 4
    assert orders["totals"]["cancelled"] == 1
    assert orders["totals"]["paid"] == "600.00"
    assert {row["status"]: row["count"] for row in orders["by_status"]} == {
        "delivered": 3,
        "cancelled": 1,
    }
    shipment = body["sections"]["shipments"]["rows"][0]
    assert shipment["latest_event"]["description"] == "signed for"
    assert shipment["carrier"]


def test_page_shows_header_kpis_seven_p_and_sections(world, make_user):  # noqa: F811
    manager = make_user("account_manager", first_name="娜", last_name="李")
    customer = CustomerFactory(
        account_manager=manager,
        tier=Customer.Tier.GOLD,
        marketing_consent=True,
        consent_at=timezone.now(),
        consent_source=Customer.ConsentSource.PORTAL,
    )
    history(world, customer, 2)
    response = staff_client(make_user("admin")).get(page_url(customer), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-tier="gold"' in html
    assert "李娜" in html
    assert "marketing consent" in html
    for key in ("orders", "revenue", "lifetime_value", "open_tickets", "returns"):
        assert f'id="kpi-{key}"' in html
    for p in (
        "profile",
        "persistency",
        "profitability",
        "performance",
        "prospecting",
        "product",
        "promotion",
    ):
        assert f'id="p-{p}"' in html
    for key in SECTIONS:
        assert f'id="section-{key}"' in html
    order = Order.objects.filter(customer=customer).first()
    assert reverse("orders:order-detail", args=[order.number]) in html
    assert f"{reverse('orders:order-list')}?customer={customer.code}" in html
    assert "signed for" in html  # the latest tracking event
    assert "Not scored yet" in html


def test_merged_customer_points_to_the_survivor(world, make_user):  # noqa: F811
    survivor = CustomerFactory()
    merged = CustomerFactory(merged_into=survivor)
    admin = make_user("admin")
    html = staff_client(admin).get(page_url(merged), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="merged-notice"' in html
    assert page_url(survivor) in html
    assert 'id="customer-actions"' not in html
    body = staff_client(admin, api=True).get(api_url(merged)).json()
    assert body["customer"]["merged_into"] == survivor.code


def test_action_buttons_need_permission_and_an_existing_page(world, make_user):  # noqa: F811
    customer = CustomerFactory()
    manager = make_user("account_manager")
    html = staff_client(manager).get(page_url(customer)).content.decode()
    for name, _label, _icon, perm in ACTIONS:
        try:
            url = reverse(name, args=[customer.code])
        except NoReverseMatch:
            url = None
        shown = f'id="action-{name.split(":")[1]}"' in html
        assert shown == (url is not None and manager.has_perm(perm)), name
    # an analyst only looks
    analyst_html = staff_client(make_user("analyst")).get(page_url(customer)).content.decode()
    assert 'id="customer-actions"' not in analyst_html


# --- Integrators -------------------------------------------------------------------


def test_token_sees_the_sections_its_scopes_cover(world, integration):  # noqa: F811
    manager_customer = CustomerFactory()
    history(world, manager_customer, 2)
    crm_only = integration("crm:read").get(api_url(manager_customer))
    assert crm_only.status_code == 200
    sections = set(crm_only.json()["sections"])
    assert "orders" not in sections and "tickets" not in sections
    assert {"profile", "scores"} <= sections

    wide = integration("crm:read orders:read logistics:read aftersales:read")
    body = wide.get(api_url(manager_customer)).json()
    assert body["sections"]["orders"]["totals"]["count"] == 2
    # tokens see every ticket, as the after-sales API shows them
    assert body["sections"]["tickets"]["totals"]["count"] == 2
    assert body["sections"]["tickets"]["limited"] is False

    assert integration("orders:read").get(api_url(manager_customer)).status_code == 403

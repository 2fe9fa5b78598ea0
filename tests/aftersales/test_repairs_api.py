"""Repairs over the API: open from an order line, work through the actions,
read the cost split, filters, and who may do what."""

import secrets
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from aftersales.models import RepairOrder, Ticket
from aftersales.services.teams import team_create
from inventory.models import StockLevel, StockMove
from inventory.services import stock_receive, stock_reserve
from tests.factories import CustomerFactory, ProductFactory, WarehouseFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/repairs/"


@pytest.fixture
def shop(world, stock, place, frozen_clock):
    """An order of one TEA-1 (12 months' warranty) placed today, 2026-11-27,
    and spare part ELEM-1 (list price 50) with 3 in stock at SP01."""
    stock("sh", "tea", 5)
    order = place(("tea", 1))
    parts = WarehouseFactory(code="SP01")
    element = ProductFactory(sku="ELEM-1", list_price=Decimal("50"))
    stock_receive(warehouse=parts, product=element, quantity=3, unit_cost=Decimal("30"))
    return {"order": order, "parts": parts, "element": element, "clock": frozen_clock}


def create_body(shop, **extra):
    return {
        "customer": shop["order"].customer.code,
        "product": "TEA-1",
        "serial_number": "SN-42",
        "fault_description": "Lid does not close.",
        "order": shop["order"].number,
        "line": 1,
        "parts_warehouse": "SP01",
        **extra,
    }


def test_open_work_and_return_a_repair(shop, staff_api, make_user):
    api = staff_api("aftersales_agent")
    made = api.post(URL, create_body(shop), format="json")
    assert made.status_code == 201, made.content
    body = made.json()
    number = body["number"]
    assert number.startswith("RP-20261127-")
    assert body["status"] == "reported"
    assert body["purchase_date"] == "2026-11-27"
    assert (body["warranty_until"], body["in_warranty"]) == ("2027-11-27", True)
    assert RepairOrder.objects.get(number=body["number"]).ticket.number == body["ticket"]
    assert body["order"] == shop["order"].number and body["line"] == 1
    tech = make_user("aftersales_agent", username="li.tech")
    url = f"{URL}{number}/"
    assert api.post(f"{url}assign/", {"technician": "li.tech"}).json()["technician"] == "li.tech"
    diagnosed = api.post(f"{url}diagnose/", {"diagnosis": "Hinge broken."})
    assert diagnosed.status_code == 200 and diagnosed.json()["status"] == "diagnosing"
    assert api.post(f"{url}transition/", {"status": "repairing"}).json()["status"] == "repairing"
    part = api.post(f"{url}parts/", {"product": "ELEM-1", "quantity": 2})
    assert part.status_code == 200, part.content
    assert part.json()["parts"][0]["stock_move_reference"] == number
    labour = api.post(f"{url}labour/", {"hours": "1.50"})
    body = labour.json()
    assert (body["parts_price"], body["labour_amount"], body["total_amount"]) == (
        "100.00",
        "120.00",
        "220.00",
    )
    assert (body["covered_amount"], body["charged_amount"]) == ("220.00", "0.00")
    voided = api.post(
        f"{url}diagnose/",
        {"diagnosis": "Hinge broken.", "warranty_void_reason": "Dropped on tiles."},
    ).json()
    assert (voided["in_warranty"], voided["covered_amount"], voided["charged_amount"]) == (
        False,
        "0.00",
        "220.00",
    )
    assert api.post(f"{url}complete/", {"note": "OK"}).json()["status"] == "done"
    returned = api.post(f"{url}return/", {"tracking_number": "SF9"}).json()
    assert returned["status"] == "returned_to_customer"
    assert "SF9" in returned["events"][-1]["reason"]
    level = StockLevel.objects.get(warehouse=shop["parts"], product=shop["element"])
    assert level.on_hand == 1
    detail = api.get(url).json()
    assert detail["technician"] == tech.username
    assert [p["sku"] for p in detail["parts"]] == ["ELEM-1"]


def test_errors_name_the_field_and_conflicts_are_409(shop, staff_api):
    api = staff_api("aftersales_agent")
    missing = api.post(URL, create_body(shop, fault_description=""), format="json")
    assert missing.status_code == 400
    assert "fault_description" in missing.json()["error"]["fields"]
    no_line = api.post(URL, create_body(shop, line=9), format="json")
    assert no_line.status_code == 400 and "line" in no_line.json()["error"]["fields"]
    wrong_product = api.post(URL, create_body(shop, product="CUP-1"), format="json")
    assert wrong_product.status_code == 400
    assert "order_line" in wrong_product.json()["error"]["fields"]
    assert not RepairOrder.objects.exists()

    number = api.post(URL, create_body(shop), format="json").json()["number"]
    jump = api.post(f"{URL}{number}/transition/", {"status": "done"})
    assert jump.status_code == 409
    assert jump.json()["error"]["code"] == "transition_not_allowed"
    early_part = api.post(f"{URL}{number}/parts/", {"product": "ELEM-1", "quantity": 1})
    assert early_part.status_code == 409 and early_part.json()["error"]["code"] == "conflict"
    cancel = api.post(f"{URL}{number}/cancel/", {})
    assert cancel.status_code == 400 and "reason" in cancel.json()["error"]["fields"]
    assert api.post(f"{URL}RP-NOPE/diagnose/", {"diagnosis": "x"}).status_code == 404


def test_reserved_parts_are_never_taken(shop, staff_api):
    api = staff_api("aftersales_agent")
    level = StockLevel.objects.get(warehouse=shop["parts"], product=shop["element"])
    assert stock_reserve(level_id=level.pk, quantity=2)
    number = api.post(URL, create_body(shop), format="json").json()["number"]
    api.post(f"{URL}{number}/diagnose/", {"diagnosis": "Hinge broken."})
    refused = api.post(f"{URL}{number}/parts/", {"product": "ELEM-1", "quantity": 2})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "insufficient_stock"
    assert "quantity" in refused.json()["error"]["fields"]
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (3, 2)
    assert not StockMove.objects.filter(kind="repair_consumption").exists()
    assert api.get(f"{URL}{number}/").json()["parts"] == []


def test_filters(shop, staff_api):
    api = staff_api("aftersales_agent")
    inside = api.post(URL, create_body(shop), format="json").json()["number"]
    body = create_body(shop, purchase_date="2024-01-01", serial_number="OLD-1")
    del body["order"], body["line"]
    outside = api.post(URL, body, format="json")
    assert outside.status_code == 201, outside.content
    outside = outside.json()["number"]
    api.post(f"{URL}{inside}/diagnose/", {"diagnosis": "x"})

    def numbers(query):
        response = api.get(URL, query)
        assert response.status_code == 200
        return {row["number"] for row in response.json()["results"]}

    assert numbers({}) == {inside, outside}
    assert numbers({"in_warranty": "true"}) == {inside}
    assert numbers({"in_warranty": "false"}) == {outside}
    assert numbers({"status": "diagnosing"}) == {inside}
    assert numbers({"status": ["reported", "diagnosing"]}) == {inside, outside}
    assert numbers({"q": "OLD-1"}) == {outside}
    assert numbers({"customer": shop["order"].customer.code}) == {inside, outside}


def test_who_may_do_what(shop, staff_api, integration, client):
    assert client.get(URL).status_code in (401, 403)
    agent = staff_api("aftersales_agent")
    number = agent.post(URL, create_body(shop), format="json").json()["number"]
    assert staff_api("warehouse").get(URL).status_code == 403
    assert staff_api("order_clerk").get(f"{URL}{number}/").status_code == 403
    manager = staff_api("account_manager")  # manages no customer of these repairs
    assert manager.get(f"{URL}{number}/").status_code == 404
    assert manager.post(f"{URL}{number}/diagnose/", {"diagnosis": "x"}).status_code == 403
    assert manager.post(URL, create_body(shop), format="json").status_code == 403
    outsider = integration("orders:read orders:write")
    assert outsider.get(URL).status_code == 403
    reader = integration("aftersales:read")
    assert reader.get(f"{URL}{number}/").status_code == 200
    assert reader.post(f"{URL}{number}/cancel/", {"reason": "x"}).status_code == 403
    writer = integration("aftersales:read aftersales:write")
    made = writer.post(URL, create_body(shop), format="json")
    assert made.status_code == 201
    assert RepairOrder.objects.get(number=made.json()["number"]).ticket.channel == "api"
    cancelled = writer.post(f"{URL}{number}/cancel/", {"reason": "客户取消"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


def test_list_and_detail_queries_do_not_grow_with_rows(
    shop, staff_api, django_assert_max_num_queries
):
    api = staff_api("aftersales_agent")
    for n in range(6):
        number = api.post(URL, create_body(shop, serial_number=f"SN-{n}"), format="json").json()[
            "number"
        ]
    api.post(f"{URL}{number}/diagnose/", {"diagnosis": "x"})
    api.post(f"{URL}{number}/parts/", {"product": "ELEM-1", "quantity": 1})
    api.post(f"{URL}{number}/parts/", {"product": "ELEM-1", "quantity": 1})
    with django_assert_max_num_queries(8):
        assert api.get(URL).json()["count"] == 6
    with django_assert_max_num_queries(10):
        assert len(api.get(f"{URL}{number}/").json()["parts"]) == 2


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_an_account_manager_reads_only_the_repairs_of_their_customers(
    shop, staff_api, make_user, integration
):
    agent = staff_api("aftersales_agent")
    theirs = agent.post(URL, create_body(shop), format="json").json()["number"]
    body = create_body(shop, customer=CustomerFactory().code, purchase_date="2026-01-02")
    del body["order"], body["line"]
    others = agent.post(URL, body, format="json").json()["number"]
    manager = make_user("account_manager")
    customer = shop["order"].customer
    customer.account_manager = manager
    customer.save()
    own = signed_in(manager)
    assert [row["number"] for row in own.get(URL).json()["results"]] == [theirs]
    assert own.get(f"{URL}{theirs}/").status_code == 200
    assert own.get(f"{URL}{others}/").status_code == 404
    stranger = staff_api("account_manager")
    assert stranger.get(URL).json()["count"] == 0
    assert stranger.get(f"{URL}{theirs}/").status_code == 404
    assert agent.get(URL).json()["count"] == 2
    assert integration("aftersales:read").get(URL).json()["count"] == 2


def test_a_repair_links_only_a_ticket_the_user_may_see(shop, make_user, integration):
    ann = make_user("aftersales_agent", username="ann")
    cat = make_user("aftersales_agent", username="cat")
    logi = team_create(code="LOGI", name="物流售后组", members=[cat])
    customer = shop["order"].customer

    def ticket(number, **kwargs):
        return Ticket.objects.create(
            number=number,
            subject="Lid",
            customer=customer,
            kind=Ticket.Kind.COMPLAINT,
            channel=Ticket.Channel.PHONE,
            public_token=secrets.token_urlsafe(24),
            **kwargs,
        )

    mine = ticket("TK-MINE", assignee=ann)
    theirs = ticket("TK-LOGI", team=logi, assignee=cat)
    api = signed_in(ann)
    refused = api.post(URL, create_body(shop, ticket=theirs.number), format="json")
    assert refused.status_code == 400 and "ticket" in refused.json()["error"]["fields"]
    assert not RepairOrder.objects.exists()
    made = api.post(URL, create_body(shop, ticket=mine.number), format="json")
    assert made.status_code == 201 and made.json()["ticket"] == "TK-MINE"
    assert Ticket.objects.count() == 2  # no repair ticket was opened
    token = integration("aftersales:read aftersales:write")
    linked = token.post(URL, create_body(shop, ticket=theirs.number), format="json")
    assert linked.status_code == 201 and linked.json()["ticket"] == "TK-LOGI"


def test_an_order_line_fixes_the_purchase_date(shop, staff_api):
    api = staff_api("aftersales_agent")
    moved = api.post(URL, create_body(shop, purchase_date="2026-06-01"), format="json")
    assert moved.status_code == 400
    assert list(moved.json()["error"]["fields"]) == ["purchase_date"]
    assert not RepairOrder.objects.exists()
    same = api.post(URL, create_body(shop, purchase_date="2026-11-27"), format="json")
    assert same.status_code == 201 and same.json()["purchase_date"] == "2026-11-27"

"""Returns over the API: the flow by the roles that do each step, the error
format naming the line, multipart photos, filters, and who is refused."""

import io
from decimal import Decimal

import pytest
from PIL import Image

from aftersales.models import ReturnRequest
from inventory.models import StockLevel, StockMove
from orders.models import Refund
from orders.services import order_payment_record

pytestmark = pytest.mark.django_db

URL = "/api/v1/returns/"


@pytest.fixture
def paid(frozen_clock, delivered):
    order_payment_record(order=delivered, amount=Decimal("500.00"), method="alipay")
    return delivered


def create(api, order, lines=None, **extra):
    body = {
        "order": order.number,
        "kind": "return",
        "reason": "尺码不合适",
        "lines": lines or [{"order_line": 1, "quantity": 2, "condition": "unopened"}],
        **extra,
    }
    return api.post(URL, body, format="json")


def photo_file(name="damage.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    buffer.name = name
    buffer.seek(0)
    return buffer


def test_the_flow_over_the_api_by_agent_and_warehouse(paid, staff_api, world, carrier):
    agent, warehouse = staff_api("aftersales_agent"), staff_api("warehouse")
    response = create(agent, paid)
    assert response.status_code == 201, response.content
    body = response.json()
    number = body["number"]
    assert body["status"] == "requested" and body["order"] == paid.number
    assert body["ticket"].startswith("TK-")
    assert body["lines"][0]["line"] == 1 and body["lines"][0]["quantity"] == 2
    assert body["allowed_transitions"] == ["approved", "cancelled", "rejected"]

    assert agent.post(f"{URL}{number}/approve/", {}, format="json").status_code == 200
    response = agent.post(
        f"{URL}{number}/label/", {"carrier": "SF", "tracking_number": "SF-R-9"}, format="json"
    )
    assert response.json()["status"] == "awaiting_receipt"
    response = warehouse.post(
        f"{URL}{number}/receive/",
        {"warehouse": "SH01", "receive_into": "stock", "lines": [{"line": 1, "quantity": 2}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["lines"][0]["quantity_received"] == 2
    level = StockLevel.objects.get(warehouse=world["sh"], product=world["tea"])
    assert level.on_hand == 9
    assert StockMove.objects.filter(kind="return", reference=number, quantity=2).exists()

    response = warehouse.post(
        f"{URL}{number}/inspect/",
        {"lines": [{"line": 1, "disposition": "restock", "condition": "opened"}]},
        format="json",
    )
    assert response.json()["lines"][0]["disposition"] == "restock"
    response = agent.post(f"{URL}{number}/refund/", {}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "refunded" and body["refund_amount"] == "200.00"
    assert [(r["amount"], r["reference"]) for r in body["refunds"]] == [("200.00", number)]
    assert [e["to_status"] for e in body["events"]][-1] == "refunded"


def test_asking_for_more_than_is_left_names_the_line(paid, staff_api):
    agent = staff_api("aftersales_agent")
    assert create(agent, paid, lines=[{"order_line": 1, "quantity": 3}]).status_code == 201
    response = create(agent, paid, lines=[{"order_line": 1, "quantity": 1}])
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["lines[0].quantity"]
    assert ReturnRequest.objects.count() == 1
    # Serializer-level errors name the line the same way.
    response = create(agent, paid, lines=[{"order_line": 1, "quantity": 0}])
    assert list(response.json()["error"]["fields"]) == ["lines[0].quantity"]


def test_over_refund_answers_409_and_writes_nothing(paid, staff_api, world, carrier):
    from aftersales.services.returns import (
        return_approve,
        return_inspect,
        return_receive,
    )
    from orders.services import order_refund

    agent = staff_api("aftersales_agent")
    number = create(agent, paid).json()["number"]
    rma = ReturnRequest.objects.get(number=number)
    return_approve(rma=rma)
    return_receive(rma=rma, warehouse=world["sh"], receive_into="stock")
    return_inspect(rma=rma, lines=[{"line": 1, "disposition": "restock"}])
    order_refund(order=paid, amount=Decimal("400.00"), reason="运费补偿")
    response = agent.post(f"{URL}{number}/refund/", {}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "refund_exceeds_paid" and list(error["fields"]) == ["amount"]
    assert "100.00" in error["message"]
    assert Refund.objects.count() == 1
    assert agent.get(f"{URL}{number}/").json()["status"] == "inspected"
    response = agent.post(f"{URL}{number}/refund/", {"amount": "100.00"}, format="json")
    assert response.json()["refund_amount"] == "100.00"


def test_multipart_request_with_photos(paid, staff_api):
    agent = staff_api("aftersales_agent")
    response = agent.post(
        URL,
        {
            "order": paid.number,
            "kind": "return",
            "reason": "杯子碎了",
            "lines": '[{"order_line": 2, "quantity": 1, "condition": "damaged"}]',
            "photos": [photo_file("a.png"), photo_file("b.png")],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    photos = response.json()["photos"]
    assert [p["caption"] for p in photos] == ["a.png", "b.png"]
    # Served through the API to whoever may see the return, never from /media/.
    assert photos[0]["url"] == f"{URL}{response.json()['number']}/photos/{photos[0]['id']}"
    image = agent.get(photos[0]["url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content).startswith(b"\x89PNG")
    # A file that is not an image is refused, naming it.
    not_image = io.BytesIO(b"%PDF-1.4 nope")
    not_image.name = "invoice.pdf"
    response = agent.post(
        URL,
        {
            "order": paid.number,
            "kind": "return",
            "reason": "x",
            "lines": '[{"order_line": 1, "quantity": 1}]',
            "photos": [not_image],
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert "photos[0]" in response.json()["error"]["fields"]


def test_reject_needs_a_reason(paid, staff_api):
    agent = staff_api("aftersales_agent")
    number = create(agent, paid).json()["number"]
    response = agent.post(f"{URL}{number}/reject/", {}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]
    response = agent.post(f"{URL}{number}/reject/", {"reason": "  "}, format="json")
    assert response.status_code == 400
    response = agent.post(f"{URL}{number}/reject/", {"reason": "超过七天"}, format="json")
    assert response.json()["status"] == "rejected"
    assert response.json()["rejection_reason"] == "超过七天"


def test_exchange_over_the_api_links_the_replacement(paid, staff_api, world, carrier):
    agent, warehouse = staff_api("aftersales_agent"), staff_api("warehouse")
    response = create(
        agent,
        paid,
        kind="exchange",
        lines=[{"order_line": 1, "quantity": 1, "replacement_product": "CUP-1"}],
    )
    number = response.json()["number"]
    agent.post(f"{URL}{number}/approve/", {}, format="json")
    warehouse.post(
        f"{URL}{number}/receive/",
        {"warehouse": "SH01", "receive_into": "quarantine"},
        format="json",
    )
    warehouse.post(
        f"{URL}{number}/inspect/", {"lines": [{"line": 1, "disposition": "restock"}]}, format="json"
    )
    response = agent.post(f"{URL}{number}/exchange/", {}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "exchanged"
    assert body["replacement_order"].startswith("SO-")
    assert body["price_difference"] == "-80.00"


def test_list_filters(paid, staff_api):
    agent = staff_api("aftersales_agent")
    first = create(agent, paid, lines=[{"order_line": 1, "quantity": 1}]).json()["number"]
    second = create(agent, paid, kind="exchange", lines=[{"order_line": 2, "quantity": 1}])
    second = second.json()["number"]
    agent.post(f"{URL}{first}/approve/", {}, format="json")

    def numbers(query):
        response = agent.get(URL + query)
        assert response.status_code == 200, response.content
        return sorted(row["number"] for row in response.json()["results"])

    assert numbers("") == sorted([first, second])
    assert numbers("?status=approved") == [first]
    assert numbers("?status=approved&status=requested") == sorted([first, second])
    assert numbers("?kind=exchange") == [second]
    assert numbers(f"?order={paid.number}") == sorted([first, second])
    assert numbers(f"?customer={paid.customer.code}") == sorted([first, second])
    assert numbers(f"?q={second}") == [second]
    assert numbers("?requested_from=2026-11-27&requested_to=2026-11-27") == sorted([first, second])
    assert numbers("?requested_from=2026-11-28") == []
    row = agent.get(URL + f"?q={first}").json()["results"][0]
    assert (row["units"], row["units_received"]) == (1, 0)


def test_list_queries_do_not_grow_with_rows(paid, staff_api, django_assert_max_num_queries):
    agent = staff_api("aftersales_agent")
    for line in (1, 2):
        create(agent, paid, lines=[{"order_line": line, "quantity": 1}])
    with django_assert_max_num_queries(12):
        assert agent.get(URL).status_code == 200


def test_roles_are_refused_what_they_may_not_do(paid, staff_api):
    agent = staff_api("aftersales_agent")
    number = create(agent, paid).json()["number"]
    approve = f"{URL}{number}/approve/"
    for role in ("analyst", "order_clerk", "warehouse", "account_manager"):
        api = staff_api(role)
        response = api.post(approve, {}, format="json")
        assert response.status_code == 403, role
        assert api.post(f"{URL}{number}/refund/", {}, format="json").status_code == 403
    # The warehouse may look, receive and inspect, but neither ask for nor approve a return.
    warehouse = staff_api("warehouse")
    assert warehouse.get(f"{URL}{number}/").status_code == 200
    assert create(warehouse, paid, lines=[{"order_line": 2, "quantity": 1}]).status_code == 403
    # An order clerk does not see returns at all; an analyst reads but cannot write.
    assert staff_api("order_clerk").get(URL).status_code == 403
    analyst = staff_api("analyst")
    assert analyst.get(URL).status_code == 200
    assert analyst.post(f"{URL}{number}/receive/", {}, format="json").status_code == 403
    assert ReturnRequest.objects.get(number=number).status == "requested"
    agent.post(approve, {}, format="json")
    response = warehouse.post(
        f"{URL}{number}/receive/", {"warehouse": "SH01", "receive_into": "stock"}, format="json"
    )
    assert response.status_code == 200
    # Anonymous callers are asked to authenticate.
    from rest_framework.test import APIClient

    assert APIClient().get(URL).status_code == 401


def test_integrations_need_the_write_scope(paid, integration):
    reader = integration("aftersales:read")
    assert reader.get(URL).status_code == 200
    response = create(reader, paid)
    assert response.status_code == 403
    assert not ReturnRequest.objects.exists()
    writer = integration("aftersales:read aftersales:write")
    response = create(writer, paid)
    assert response.status_code == 201, response.content
    rma = ReturnRequest.objects.get()
    assert rma.ticket.channel == "api"


def test_the_schema_documents_the_return_endpoints(admin_client):
    schema = admin_client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/returns/"])
    for step in (
        "approve",
        "reject",
        "label",
        "receive",
        "inspect",
        "refund",
        "exchange",
        "cancel",
    ):
        operation = paths[f"/api/v1/returns/{{number}}/{step}/"]["post"]
        assert operation["tags"] == ["aftersales"] and operation["summary"]
        assert {"oauth2": ["aftersales:write"]} in operation["security"]
    create = paths["/api/v1/returns/"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(create)


# --- Review fixes ---------------------------------------------------------------


@pytest.fixture
def managers(paid, make_user):
    """Two account managers: `mine` manages the order's customer, `other` does not."""
    from rest_framework.test import APIClient

    mine, other = make_user("account_manager"), make_user("account_manager")
    paid.customer.account_manager = mine
    paid.customer.save()
    clients = {}
    for name, user in (("mine", mine), ("other", other)):
        clients[name] = APIClient()
        clients[name].force_login(user)
    return clients


def test_account_managers_see_only_their_customers_returns(paid, staff_api, managers):
    agent = staff_api("aftersales_agent")
    created = agent.post(
        URL,
        {
            "order": paid.number,
            "kind": "return",
            "reason": "x",
            "lines": '[{"order_line": 1, "quantity": 1}]',
            "photos": [photo_file()],
        },
        format="multipart",
    ).json()
    number, photo = created["number"], created["photos"][0]["url"]
    mine, other = managers["mine"], managers["other"]
    assert [r["number"] for r in mine.get(URL).json()["results"]] == [number]
    assert mine.get(f"{URL}{number}/").status_code == 200
    assert mine.get(photo).status_code == 200
    assert other.get(URL).json()["results"] == []
    assert other.get(f"{URL}{number}/").status_code == 404
    assert other.get(photo).status_code == 404
    # Whoever works returns sees them all; so do integrations.
    assert staff_api("warehouse").get(f"{URL}{number}/").status_code == 200
    assert agent.get(photo).status_code == 200


def test_integrations_see_every_return_and_its_photos(paid, staff_api, integration):
    agent = staff_api("aftersales_agent")
    body = agent.post(
        URL,
        {
            "order": paid.number,
            "kind": "return",
            "reason": "x",
            "lines": '[{"order_line": 1, "quantity": 1}]',
            "photos": [photo_file()],
        },
        format="multipart",
    ).json()
    reader = integration("aftersales:read")
    assert [r["number"] for r in reader.get(URL).json()["results"]] == [body["number"]]
    assert reader.get(body["photos"][0]["url"]).status_code == 200
    assert reader.get(f"{URL}{body['number']}/photos/999999/").status_code == 404


def test_photos_other_than_jpeg_png_webp_are_refused(paid, staff_api):
    gif = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(gif, format="GIF")
    gif.name = "anim.gif"
    gif.seek(0)
    response = staff_api("aftersales_agent").post(
        URL,
        {
            "order": paid.number,
            "kind": "return",
            "reason": "x",
            "lines": '[{"order_line": 1, "quantity": 1}]',
            "photos": [photo_file("ok.png"), gif],
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["photos[1]"]
    assert not ReturnRequest.objects.exists()


def test_the_system_channel_is_refused(paid, staff_api):
    response = create(staff_api("aftersales_agent"), paid, channel="system")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["channel"]
    assert not ReturnRequest.objects.exists()


def test_a_ticket_is_linked_only_if_the_caller_may_see_it(paid, staff_api, service_desk):
    from aftersales.models import Ticket
    from aftersales.services.tickets import ticket_create
    from crm.models import Customer

    # Auto-assigned to the GENERAL team (ann and bob): a new agent does not see it.
    ticket = ticket_create(
        customer=paid.customer, subject="茶叶受潮", kind="complaint", channel="email", order=paid
    )
    assert ticket.team == service_desk["general"]
    outsider = staff_api("aftersales_agent")
    response = create(outsider, paid, ticket=ticket.number)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["ticket"]
    assert not ReturnRequest.objects.exists()

    from rest_framework.test import APIClient

    ann = APIClient()
    ann.force_login(service_desk["ann"])
    response = create(ann, paid, ticket=ticket.number)
    assert response.status_code == 201, response.content
    assert response.json()["ticket"] == ticket.number
    assert Ticket.objects.count() == 1
    # A ticket of another customer is refused even to those who see it.
    stranger = Customer.objects.create(code="C-OTHER", name="李四")
    theirs = ticket_create(customer=stranger, subject="别的", kind="complaint", channel="phone")
    response = create(ann, paid, ticket=theirs.number, lines=[{"order_line": 2, "quantity": 1}])
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["ticket"]


def test_integrations_may_link_any_ticket_of_the_customer(paid, integration, service_desk):
    from aftersales.services.tickets import ticket_create

    ticket = ticket_create(
        customer=paid.customer, subject="茶叶受潮", kind="complaint", channel="email", order=paid
    )
    writer = integration("aftersales:read aftersales:write")
    response = create(writer, paid, ticket=ticket.number)
    assert response.status_code == 201, response.content
    assert response.json()["ticket"] == ticket.number

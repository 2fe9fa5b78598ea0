"""Repair pages: the board, the list with filters and export, the detail
with its warranty verdict, parts, cost split and actions, the new-repair
form, and who may open them."""

import secrets
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from aftersales.models import RepairOrder, ReturnLine, ReturnRequest, Ticket
from aftersales.services.repairs import repair_create, repair_diagnose, repair_transition
from aftersales.services.teams import team_create
from inventory.models import StockLevel, StockMove
from inventory.services import stock_receive
from tests.factories import CustomerFactory, ProductFactory, WarehouseFactory

pytestmark = pytest.mark.django_db
Status = RepairOrder.Status


@pytest.fixture
def shop(world, stock, place, frozen_clock):
    stock("sh", "tea", 5)
    order = place(("tea", 1))
    parts = WarehouseFactory(code="SP01")
    element = ProductFactory(sku="ELEM-1", name="加热片", list_price=Decimal("50"))
    stock_receive(warehouse=parts, product=element, quantity=3, unit_cost=Decimal("30"))
    return {"order": order, "customer": order.customer, "tea": world["tea"], "parts": parts}


def open_repair(shop, **kwargs) -> RepairOrder:
    values = {
        "customer": shop["customer"],
        "product": shop["tea"],
        "fault_description": "盖子关不上",
        "serial_number": "SN-42",
        "parts_warehouse": shop["parts"],
        "purchase_date": date(2026, 6, 1),
    }
    return repair_create(**{**values, **kwargs})


def test_board_counts_repairs_per_status(shop, role_client):
    reported = open_repair(shop)
    diagnosing = open_repair(shop, serial_number="SN-43")
    repair_diagnose(repair=diagnosing, diagnosis="Hinge broken.")
    cancelled = open_repair(shop, serial_number="SN-44")
    repair_transition(repair=cancelled, to_status=Status.CANCELLED, reason="No longer needed")
    page = role_client("aftersales_agent").get("/aftersales/repairs/board/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="column-reported" data-count="1"' in html
    assert 'id="column-diagnosing" data-count="1"' in html
    assert 'id="column-repairing" data-count="0"' in html
    assert f'data-number="{reported.number}"' in html
    assert f'data-number="{cancelled.number}"' not in html  # finished: counted below
    assert "?status=cancelled" in html


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def managed_by(shop, make_user) -> Client:
    """The account manager of the shop's customer, signed in."""
    manager = make_user("account_manager")
    shop["customer"].account_manager = manager
    shop["customer"].save()
    return signed_in(manager)


def test_list_filters_and_exports(shop, role_client, make_user):
    inside = open_repair(shop)
    outside = open_repair(shop, purchase_date=date(2024, 1, 1), serial_number="OLD-1")
    client = managed_by(shop, make_user)
    page = client.get("/aftersales/repairs/", {"in_warranty": "false"})
    assert page.status_code == 200
    html = page.content.decode()
    assert outside.number in html and inside.number not in html
    assert f"/aftersales/repairs/{outside.number}/" in html
    export = client.get("/aftersales/repairs/", {"q": "OLD-1", "export": "csv"})
    assert export.status_code == 200
    rows = export.content.decode("utf-8-sig").strip().splitlines()
    assert len(rows) == 2 and outside.number in rows[1]


def test_an_account_manager_sees_only_the_repairs_of_their_customers(shop, role_client, make_user):
    theirs = open_repair(shop)
    other_customer = CustomerFactory(name="李雷")
    others = open_repair(shop, customer=other_customer, serial_number="SN-LI")
    own = managed_by(shop, make_user)
    html = own.get("/aftersales/repairs/").content.decode()
    assert theirs.number in html and others.number not in html
    board = own.get("/aftersales/repairs/board/").content.decode()
    assert f'data-number="{theirs.number}"' in board and others.number not in board
    assert 'id="column-reported" data-count="1"' in board
    assert own.get(f"/aftersales/repairs/{theirs.number}/").status_code == 200
    assert own.get(f"/aftersales/repairs/{others.number}/").status_code == 404
    export = own.get("/aftersales/repairs/", {"export": "csv"}).content.decode("utf-8-sig")
    assert theirs.number in export and others.number not in export and "SN-LI" not in export

    stranger = role_client("account_manager")  # manages neither customer
    html = stranger.get("/aftersales/repairs/").content.decode()
    assert theirs.number not in html and others.number not in html
    board = stranger.get("/aftersales/repairs/board/").content.decode()
    assert 'id="column-reported" data-count="0"' in board and "repair-card" not in board
    for repair in (theirs, others):
        assert stranger.get(f"/aftersales/repairs/{repair.number}/").status_code == 404
    rows = stranger.get("/aftersales/repairs/", {"export": "csv"}).content.decode("utf-8-sig")
    assert len(rows.strip().splitlines()) == 1  # the headings only
    # Agents and technicians work on every repair.
    agent = role_client("aftersales_agent").get("/aftersales/repairs/").content.decode()
    assert theirs.number in agent and others.number in agent


def test_detail_shows_warranty_parts_cost_and_actions(shop, role_client):
    repair = open_repair(shop)
    client = role_client("aftersales_agent")
    url = f"/aftersales/repairs/{repair.number}/"
    page = client.get(url).content.decode()
    assert 'data-in-warranty="true"' in page and "2027-06-01" in page
    assert 'id="action-diagnose"' in page and 'id="action-part"' not in page
    assert client.post(f"{url}diagnose/", {"diagnosis": "Hinge broken."}).status_code == 302
    response = client.post(
        f"{url}part/", {"product": "elem-1", "warehouse": "SP01", "quantity": "2"}, follow=True
    )
    assert response.status_code == 200
    assert StockLevel.objects.get(warehouse=shop["parts"], product__sku="ELEM-1").on_hand == 1
    move = StockMove.objects.get(kind="repair_consumption")
    client.post(f"{url}labour/", {"hours": "1.5"})
    page = client.get(url).content.decode()
    assert f"#{move.pk} {repair.number}" in page
    assert '<dd class="col-5 mb-0 text-end" id="parts-price">100.00</dd>' in page
    assert 'id="covered-amount">220.00<' in page
    assert 'id="charged-amount">0.00<' in page
    client.post(f"{url}diagnose/", {"diagnosis": "Hinge broken.", "warranty_void_reason": "摔坏"})
    page = client.get(url).content.decode()
    assert 'data-in-warranty="false"' in page and 'id="warranty-void-reason">摔坏<' in page
    assert 'id="charged-amount">220.00<' in page


def test_a_refused_action_shows_the_reason(shop, role_client):
    repair = open_repair(shop)
    client = role_client("aftersales_agent")
    url = f"/aftersales/repairs/{repair.number}/"
    client.post(f"{url}diagnose/", {"diagnosis": "Hinge broken."})
    response = client.post(f"{url}part/", {"product": "ELEM-1", "quantity": "9"}, follow=True)
    html = response.content.decode()
    assert "alert-danger" in html and "ELEM-1" in html  # the stock service's reason
    assert not StockMove.objects.filter(kind="repair_consumption").exists()
    response = client.post(f"{url}part/", {"product": "NOPE", "quantity": "1"}, follow=True)
    assert response.status_code == 200
    assert not StockMove.objects.filter(kind="repair_consumption").exists()
    response = client.post(f"{url}transition/", {"status": "done"}, follow=True)
    repair.refresh_from_db()
    assert repair.status == Status.DIAGNOSING


def test_new_repair_form(shop, role_client):
    client = role_client("aftersales_agent")
    assert client.get("/aftersales/repairs/new/").status_code == 200
    order = shop["order"]
    response = client.post(
        "/aftersales/repairs/new/",
        {
            "customer": shop["customer"].code,
            "product": "TEA-1",
            "fault_description": "盖子关不上",
            "order": order.number,
            "line": "1",
        },
    )
    repair = RepairOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/aftersales/repairs/{repair.number}/"
    assert repair.order_line == order.lines.get() and repair.purchase_date == date(2026, 11, 27)
    assert repair.ticket is not None and repair.ticket.kind == "repair"
    wrong = client.post(
        "/aftersales/repairs/new/",
        {
            "customer": shop["customer"].code,
            "product": "CUP-1",
            "fault_description": "x",
            "order": order.number,
            "line": "1",
        },
    )
    assert wrong.status_code == 200
    assert "TEA-1" in wrong.content.decode()  # the line is for TEA-1, said on the line field
    assert RepairOrder.objects.count() == 1
    unknown = client.post(
        "/aftersales/repairs/new/",
        {"customer": "NOPE", "product": "TEA-1", "fault_description": "x"},
    )
    assert unknown.status_code == 200 and RepairOrder.objects.count() == 1


def test_who_may_open_the_pages(shop, role_client, client, make_user):
    repair = open_repair(shop)
    url = f"/aftersales/repairs/{repair.number}/"
    assert client.get("/aftersales/repairs/board/").status_code == 302  # to sign in
    warehouse = role_client("warehouse")
    for path in ("/aftersales/repairs/board/", "/aftersales/repairs/", url):
        assert warehouse.get(path).status_code == 403
    stranger = role_client("account_manager")
    assert stranger.get(url).status_code == 404  # not a customer they manage
    manager = managed_by(shop, make_user)
    page = manager.get(url)
    assert page.status_code == 200 and 'id="repair-actions"' not in page.content.decode()
    assert manager.get("/aftersales/repairs/new/").status_code == 403
    assert manager.post(f"{url}diagnose/", {"diagnosis": "x"}).status_code == 403
    repair.refresh_from_db()
    assert repair.status == Status.REPORTED
    nav = role_client("aftersales_agent").get("/aftersales/repairs/").content.decode()
    assert "/aftersales/repairs/board/" in nav and "/aftersales/feedback/" in nav


def test_board_and_list_queries_do_not_grow_with_rows(
    shop, role_client, django_assert_max_num_queries
):
    for n in range(8):
        repair = open_repair(shop, serial_number=f"SN-{n}")
        if n % 2:
            repair_diagnose(repair=repair, diagnosis="x")
    client = role_client("aftersales_agent")
    with django_assert_max_num_queries(14):
        assert client.get("/aftersales/repairs/board/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/aftersales/repairs/").status_code == 200


# --- A repair started from a ticket, a repair of a returned unit ------------------


def a_ticket(customer, number="TK-20261127-00042", **kwargs) -> Ticket:
    return Ticket.objects.create(
        number=number,
        subject="盖子关不上",
        customer=customer,
        kind=Ticket.Kind.COMPLAINT,
        channel=Ticket.Channel.PHONE,
        public_token=secrets.token_urlsafe(24),
        **kwargs,
    )


def test_a_repair_started_from_a_ticket_is_linked_to_it(shop, make_user):
    ann = make_user("aftersales_agent", username="ann")
    order = shop["order"]
    ticket = a_ticket(shop["customer"], order=order, order_line=order.lines.get(), assignee=ann)
    client = signed_in(ann)
    url = f"/aftersales/repairs/new/?ticket={ticket.number}"
    form = client.get(url)
    assert form.status_code == 200
    html = form.content.decode()
    assert ticket.number in html  # the title says which ticket
    assert f'name="customer" value="{shop["customer"].code}"' in html
    assert f'name="order" value="{order.number}"' in html and 'name="line" value="1"' in html
    assert 'name="product" value="TEA-1"' in html
    response = client.post(
        url,
        {
            "customer": shop["customer"].code,
            "product": "TEA-1",
            "fault_description": "盖子关不上",
            "order": order.number,
            "line": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()
    repair = RepairOrder.objects.get()
    assert repair.ticket == ticket
    assert Ticket.objects.count() == 1  # no second ticket was opened
    assert ticket.events.filter(kind="linked", to_value=repair.number).exists()
    assert (
        repair.number
        in signed_in(ann).get(f"/aftersales/tickets/{ticket.number}/").content.decode()
    )


def test_a_repair_cannot_be_started_from_a_ticket_the_user_may_not_see(shop, make_user):
    ann = make_user("aftersales_agent", username="ann")
    cat = make_user("aftersales_agent", username="cat")
    logi = team_create(code="LOGI", name="物流售后组", members=[cat])
    ticket = a_ticket(shop["customer"], team=logi, assignee=cat)
    body = {"customer": shop["customer"].code, "product": "TEA-1", "fault_description": "x"}
    client = signed_in(ann)
    assert client.get(f"/aftersales/repairs/new/?ticket={ticket.number}").status_code == 404
    assert client.post(f"/aftersales/repairs/new/?ticket={ticket.number}", body).status_code == 404
    assert client.get("/aftersales/repairs/new/?ticket=TK-NOPE").status_code == 404
    assert not RepairOrder.objects.exists()
    # Another customer's ticket: refused, said on the form.
    other = a_ticket(CustomerFactory(), number="TK-20261127-00043")
    refused = client.post(f"/aftersales/repairs/new/?ticket={other.number}", body)
    assert refused.status_code == 200 and other.number in refused.content.decode()
    assert not RepairOrder.objects.exists()


def test_the_form_refuses_a_purchase_date_other_than_the_orders(shop, role_client):
    client = role_client("aftersales_agent")
    order = shop["order"]
    page = client.post(
        "/aftersales/repairs/new/",
        {
            "customer": shop["customer"].code,
            "product": "TEA-1",
            "fault_description": "盖子关不上",
            "order": order.number,
            "line": "1",
            "purchase_date": "2026-06-01",
        },
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "2026-11-27" in html and "invalid-feedback" in html
    assert not RepairOrder.objects.exists()


def test_the_detail_of_a_repair_of_a_returned_unit_says_internal(shop, role_client):
    order = shop["order"]
    rma = ReturnRequest.objects.create(
        number="RMA-20261127-00001",
        kind=ReturnRequest.Kind.RETURN,
        order=order,
        customer=order.customer,
        reason="坏了",
    )
    line = ReturnLine.objects.create(request=rma, order_line=order.lines.get(), quantity=1)
    repair = repair_create(
        customer=order.customer,
        product=shop["tea"],
        fault_description="Returned as faulty.",
        order_line=line.order_line,
        return_line=line,
        parts_warehouse=shop["parts"],
    )
    client = role_client("aftersales_agent")
    url = f"/aftersales/repairs/{repair.number}/"
    client.post(f"{url}diagnose/", {"diagnosis": "Hinge broken."})
    client.post(f"{url}labour/", {"hours": "1"})
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="warranty-verdict"' in html and "RMA-20261127-00001" in html
    verdict = html.split('id="warranty-verdict"')[1].split("</div>")[0]
    assert "Internal" in verdict and "RMA-20261127-00001" in verdict
    assert "In warranty" not in verdict and "Out of warranty" not in verdict
    assert 'id="labour-amount">80.00<' in html
    assert 'id="covered-amount">0.00<' in html and 'id="charged-amount">0.00<' in html

"""Return pages: the board, the list with export, one return with the
actions a role may use, the request form, and the order page's returns."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from aftersales.models import ReturnRequest
from aftersales.services.returns import return_approve, return_request_create
from inventory.models import StockMove
from orders.services import order_payment_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(frozen_clock, delivered):
    order_payment_record(order=delivered, amount=Decimal("500.00"), method="alipay")
    return delivered


@pytest.fixture
def rma(paid):
    tea = paid.lines.get(line_no=1)
    return return_request_create(
        order=paid,
        kind="return",
        reason="包装破损",
        lines=[{"order_line": tea, "quantity": 2, "condition": "damaged"}],
    )


def action_forms(html: str) -> set[str]:
    return set(re.findall(r'id="action-([a-z]+)"', html))


def test_board_counts_returns_per_stage(rma, paid, role_client):
    approved = return_request_create(
        order=paid, kind="exchange", reason="换色", lines=[{"order_line": 2, "quantity": 1}]
    )
    return_approve(rma=approved)
    response = role_client("aftersales_agent").get("/aftersales/returns/board/")
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'id="column-requested" data-count="1"', html)
    assert re.search(r'id="column-approved" data-count="1"', html)
    assert re.search(r'id="column-inspected" data-count="0"', html)
    assert f'data-number="{rma.number}"' in html and f'data-number="{approved.number}"' in html
    # Filtered like the list.
    response = role_client("aftersales_agent").get("/aftersales/returns/board/?kind=exchange")
    html = response.content.decode()
    assert re.search(r'id="column-requested" data-count="0"', html)
    assert f'data-number="{approved.number}"' in html


def test_list_filters_and_exports(rma, role_client):
    client = role_client("aftersales_agent")
    response = client.get("/aftersales/returns/")
    assert response.status_code == 200
    assert rma.number in response.content.decode()
    assert rma.number not in client.get("/aftersales/returns/?status=refunded").content.decode()
    export = client.get("/aftersales/returns/?export=csv")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert rma.number in export.content.decode("utf-8-sig")


def test_detail_offers_what_the_role_may_do(rma, role_client):
    url = f"/aftersales/returns/{rma.number}/"
    agent = role_client("aftersales_agent").get(url)
    assert agent.status_code == 200
    html = agent.content.decode()
    assert 'data-status="requested"' in html and "包装破损" in html
    assert action_forms(html) == {"approve", "reject", "cancel"}
    # The warehouse sees the return but can do nothing until it is approved ...
    warehouse = role_client("warehouse")
    assert action_forms(warehouse.get(url).content.decode()) == set()
    return_approve(rma=rma)
    # ... and then receives it, but still cannot approve, label or refund.
    assert action_forms(warehouse.get(url).content.decode()) == {"receive"}
    # After-sales agents may do every step, receiving included.
    assert action_forms(role_client("aftersales_agent").get(url).content.decode()) == {
        "label",
        "receive",
        "cancel",
    }
    assert action_forms(role_client("analyst").get(url).content.decode()) == set()


def test_the_flow_through_the_pages(rma, role_client, world, carrier):
    agent, warehouse = role_client("aftersales_agent"), role_client("warehouse")
    base = f"/aftersales/returns/{rma.number}/"
    response = agent.post(base + "approve/", {"reason": "同意"}, follow=True)
    assert response.status_code == 200
    response = agent.post(base + "label/", {"carrier": carrier.pk, "tracking_number": "SF-R-5"})
    assert response.status_code == 302
    response = warehouse.post(
        base + "receive/", {"warehouse": "SH01", "receive_into": "stock", "line_1": "2"}
    )
    assert response.status_code == 302
    assert StockMove.objects.filter(kind="return", reference=rma.number, quantity=2).exists()
    warehouse.post(
        base + "inspect/",
        {"line_1_disposition": "restock", "line_1_condition": "opened", "line_1_note": "完好"},
    )
    page = agent.get(base).content.decode()
    assert action_forms(page) == {"refund", "exchange"}
    assert 'id="return-value">CNY 200.00' in page
    agent.post(base + "refund/", {"amount": "150.00", "reason": "包装破损，部分退款"})
    rma.refresh_from_db()
    assert (rma.status, rma.refund_amount) == ("refunded", Decimal("150.00"))
    page = agent.get(base).content.decode()
    assert 'id="refunds"' in page and "150.00" in page
    assert page.count('data-status="') >= 6  # the timeline


def test_a_refused_action_shows_the_reason_and_changes_nothing(rma, role_client):
    client = role_client("aftersales_agent")
    response = client.post(f"/aftersales/returns/{rma.number}/reject/", {"reason": ""}, follow=True)
    assert response.status_code == 200
    assert "alert" in response.content.decode()
    rma.refresh_from_db()
    assert rma.status == "requested"


def test_roles_without_the_permission_get_403(rma, role_client):
    approve = f"/aftersales/returns/{rma.number}/approve/"
    for role in ("analyst", "order_clerk", "warehouse", "account_manager"):
        assert role_client(role).post(approve, {"reason": ""}).status_code == 403, role
    rma.refresh_from_db()
    assert rma.status == "requested"
    # An order clerk does not see returns; the warehouse sees the board but cannot request one.
    clerk = role_client("order_clerk")
    assert clerk.get("/aftersales/returns/board/").status_code == 403
    assert clerk.get(f"/aftersales/returns/{rma.number}/").status_code == 403
    warehouse = role_client("warehouse")
    assert warehouse.get("/aftersales/returns/board/").status_code == 200
    assert warehouse.get(f"/aftersales/returns/new/{rma.order.number}/").status_code == 403
    # Anonymous visitors are sent to sign in.
    response = Client().get("/aftersales/returns/board/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_request_form_shows_the_maximum_and_creates_the_return(paid, role_client):
    client = role_client("aftersales_agent")
    url = f"/aftersales/returns/new/{paid.number}/"
    html = client.get(url).content.decode()
    assert 'data-line="1" data-max="3"' in html and 'data-line="2" data-max="2"' in html
    # More than may come back: refused by the form, nothing written.
    response = client.post(url, {"kind": "return", "reason": "太大", "line_1_quantity": "4"})
    assert response.status_code == 200
    assert not ReturnRequest.objects.exists()
    response = client.post(
        url,
        {
            "kind": "return",
            "reason": "太大",
            "line_1_quantity": "1",
            "line_1_condition": "unopened",
            "line_2_quantity": "0",
        },
    )
    rma = ReturnRequest.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{rma.number}/")
    assert rma.lines.get().quantity == 1
    # The maximum shown now counts the open return.
    assert 'data-line="1" data-max="2"' in client.get(url).content.decode()
    # No units at all: refused.
    response = client.post(url, {"kind": "return", "reason": "x"})
    assert response.status_code == 200 and ReturnRequest.objects.count() == 1


def test_request_form_needs_a_reason(paid, role_client):
    client = role_client("aftersales_agent")
    url = f"/aftersales/returns/new/{paid.number}/"
    response = client.post(url, {"kind": "return", "reason": "", "line_2_quantity": "1"})
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert not ReturnRequest.objects.exists()


def test_order_page_links_returns_and_refunds(rma, paid, role_client):
    html = (
        role_client("aftersales_agent")
        .get(reverse("orders:order-detail", args=[paid.number]))
        .content.decode()
    )
    assert 'id="request-return"' in html
    assert 'id="order-returns"' in html and rma.number in html
    # An order clerk sees the order but neither the returns nor the button.
    html = (
        role_client("order_clerk")
        .get(reverse("orders:order-detail", args=[paid.number]))
        .content.decode()
    )
    assert 'id="request-return"' not in html
    assert 'id="order-returns"' not in html


def test_navigation_lists_the_return_pages(role_client):
    html = role_client("warehouse").get("/aftersales/returns/").content.decode()
    assert 'href="/aftersales/returns/board/"' in html


def test_request_form_takes_photos(paid, role_client):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    def png(name):
        buffer = io.BytesIO()
        Image.new("RGB", (4, 4), "blue").save(buffer, format="PNG")
        return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")

    response = role_client("aftersales_agent").post(
        f"/aftersales/returns/new/{paid.number}/",
        {
            "kind": "exchange",
            "reason": "颜色不对",
            "line_2_quantity": "1",
            "line_2_replacement": "TEA-1",
            "photos": [png("a.png"), png("b.png")],
        },
    )
    assert response.status_code == 302
    rma = ReturnRequest.objects.get()
    assert rma.photos.count() == 2
    assert rma.lines.get().replacement_product.sku == "TEA-1"
    html = role_client("aftersales_agent").get(f"/aftersales/returns/{rma.number}/").content
    assert b'id="photos"' in html


# --- Review fixes ---------------------------------------------------------------


def _png(name="a.png"):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def managers(rma, make_user):
    """Browsers of two account managers: `mine` manages the return's customer, `other` not."""
    mine, other = make_user("account_manager"), make_user("account_manager")
    rma.customer.account_manager = mine
    rma.customer.save()
    clients = {}
    for name, user in (("mine", mine), ("other", other)):
        clients[name] = Client()
        clients[name].force_login(user)
    return clients


def test_account_managers_see_only_their_customers_returns(rma, managers):
    mine, other = managers["mine"], managers["other"]
    detail = f"/aftersales/returns/{rma.number}/"
    assert mine.get(detail).status_code == 200
    assert rma.number in mine.get("/aftersales/returns/").content.decode()
    assert f'data-number="{rma.number}"' in mine.get("/aftersales/returns/board/").content.decode()
    assert rma.number in mine.get("/aftersales/returns/?export=csv").content.decode("utf-8-sig")

    assert other.get(detail).status_code == 404
    page = other.get("/aftersales/returns/")
    assert page.status_code == 200 and rma.number not in page.content.decode()
    board = other.get("/aftersales/returns/board/").content.decode()
    assert re.search(r'id="column-requested" data-count="0"', board)
    assert f'data-number="{rma.number}"' not in board
    assert rma.number not in other.get("/aftersales/returns/?export=csv").content.decode(
        "utf-8-sig"
    )


def test_actions_on_a_return_one_may_not_see_are_404(rma, make_user):
    # A user who may approve but only look at returns (no change/receive): only
    # their own customers' returns.
    from django.contrib.auth.models import Permission

    user = make_user("account_manager")
    user.user_permissions.add(Permission.objects.get(codename="approve_returnrequest"))
    client = Client()
    client.force_login(user)
    response = client.post(f"/aftersales/returns/{rma.number}/approve/", {"reason": ""})
    assert response.status_code == 404
    rma.refresh_from_db()
    assert rma.status == "requested"


def test_photos_are_served_to_those_who_may_see_the_return(paid, role_client, managers):
    agent = role_client("aftersales_agent")
    response = agent.post(
        f"/aftersales/returns/new/{paid.number}/",
        {"kind": "return", "reason": "破损", "line_2_quantity": "1", "photos": [_png()]},
    )
    assert response.status_code == 302
    rma = ReturnRequest.objects.exclude(lines__order_line__line_no=1).get()
    photo = rma.photos.get()
    url = f"/aftersales/returns/{rma.number}/photos/{photo.pk}/"
    html = agent.get(f"/aftersales/returns/{rma.number}/").content.decode()
    assert f'src="{url}"' in html and "/media/" not in html
    image = agent.get(url)
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image["Cache-Control"] == "private, no-store"
    assert managers["mine"].get(url).status_code == 200
    assert managers["other"].get(url).status_code == 404
    assert agent.get(f"/aftersales/returns/{rma.number}/photos/{photo.pk + 1}/").status_code == 404
    assert role_client("order_clerk").get(url).status_code == 403
    assert Client().get(url).status_code == 302


def test_a_return_started_from_a_ticket_is_linked_to_it(paid, role_client):
    from aftersales.models import Ticket, TicketEvent
    from aftersales.services.tickets import ticket_create

    ticket = ticket_create(
        customer=paid.customer, subject="杯子碎了", kind="complaint", channel="phone", order=paid
    )
    client = role_client("aftersales_agent")
    url = f"/aftersales/returns/new/{paid.number}/?ticket={ticket.number}"
    html = client.get(url).content.decode()
    assert f'name="ticket" value="{ticket.number}"' in html and 'id="from-ticket"' in html
    # Posted to the plain address: the hidden field carries the ticket.
    response = client.post(
        f"/aftersales/returns/new/{paid.number}/",
        {"ticket": ticket.number, "kind": "return", "reason": "碎了", "line_2_quantity": "1"},
    )
    assert response.status_code == 302
    rma = ReturnRequest.objects.get()
    assert rma.ticket == ticket
    assert Ticket.objects.count() == 1  # no second ticket
    assert ticket.events.filter(kind=TicketEvent.Kind.LINKED, to_value=rma.number).exists()


def test_a_ticket_one_may_not_see_cannot_start_a_return(paid, role_client, service_desk):
    from aftersales.services.tickets import ticket_create

    ticket = ticket_create(
        customer=paid.customer, subject="杯子碎了", kind="complaint", channel="phone", order=paid
    )
    assert ticket.team == service_desk["general"]  # not the new agent's team
    client = role_client("aftersales_agent")
    url = f"/aftersales/returns/new/{paid.number}/"
    assert client.get(f"{url}?ticket={ticket.number}").status_code == 404
    assert client.get(f"{url}?ticket=TK-NOPE").status_code == 404
    response = client.post(
        url, {"ticket": ticket.number, "kind": "return", "reason": "x", "line_2_quantity": "1"}
    )
    assert response.status_code == 404
    assert not ReturnRequest.objects.exists()


def test_a_ticket_of_another_customer_is_refused_on_the_form(paid, role_client):
    from aftersales.services.tickets import ticket_create
    from crm.models import Customer

    stranger = Customer.objects.create(code="C-OTHER", name="李四")
    ticket = ticket_create(customer=stranger, subject="别的", kind="complaint", channel="phone")
    client = role_client("aftersales_agent")
    response = client.post(
        f"/aftersales/returns/new/{paid.number}/",
        {"ticket": ticket.number, "kind": "return", "reason": "x", "line_2_quantity": "1"},
    )
    assert response.status_code == 200
    assert "alert-danger" in response.content.decode()
    assert not ReturnRequest.objects.exists()

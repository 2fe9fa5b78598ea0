"""Order staff pages: the list with filters and at-risk rows, the detail with
lines, reservations and timeline, the actions, and the phone / store order entry."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Customer
from inventory.models import StockLevel
from orders.models import Order, OrderEvent, OrderLine, Reservation, SalesChannel
from orders.services import order_confirm
from tests.factories import ProductFactory, SalesChannelFactory

S = Order.Status
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def detail_url(order):
    return reverse("orders:order-detail", args=[order.number])


def action_url(order, action):
    return reverse("orders:order-action", args=[order.number, action])


def rows(body: str) -> list[str]:
    """The <tr> of the list table's body, as text."""
    tbody = body.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr[^>]*>.*?</tr>", tbody, flags=re.S)


def level(world, warehouse, product):
    lvl = StockLevel.objects.get(warehouse=world[warehouse], product=world[product])
    return lvl.on_hand, lvl.reserved


# --- list ---------------------------------------------------------------


def test_list_filters_and_marks_orders_at_risk(world, stock, place, role_client):
    stock("sh", "tea", 10)
    soon = place(("tea", 1), promised_in=1)  # within ORDER_AT_RISK_DAYS: at risk
    later = place(("cup", 2), promised_in=20, phone="13900000002")
    confirmed = place(("tea", 3), promised_in=20, phone="13900000003")
    order_confirm(order=confirmed)
    client = role_client("warehouse")  # view only

    body = client.get("/orders/orders/", **EN).content.decode()
    listed = rows(body)
    assert len(listed) == 3
    risky = [row for row in listed if soon.number in row]
    assert len(risky) == 1 and 'class="table-warning"' in risky[0]
    assert all('class="table-warning"' not in row for row in listed if soon.number not in row)
    assert f'href="{detail_url(soon)}"' in body
    assert "orders/new/" not in body  # no "New" button without orders.add_order

    body = client.get("/orders/orders/?at_risk=true").content.decode()
    assert [soon.number in row for row in rows(body)] == [True]

    body = client.get("/orders/orders/?status=confirmed").content.decode()
    assert len(rows(body)) == 1 and confirmed.number in body

    body = client.get("/orders/orders/?status=pending&status=confirmed").content.decode()
    assert len(rows(body)) == 3

    body = client.get(f"/orders/orders/?q={later.number}").content.decode()
    assert len(rows(body)) == 1 and later.number in body

    body = client.get("/orders/orders/?q=13900000003").content.decode()  # by customer phone
    assert len(rows(body)) == 1 and confirmed.number in body

    body = client.get("/orders/orders/?channel=WEB&ordering=-total").content.decode()
    assert confirmed.number in rows(body)[0]  # 300 is the largest total

    body = client.get("/orders/orders/?q=nobody", **EN).content.decode()
    assert 'id="empty-state"' in body and "No orders match these filters." in body


def test_list_counts_at_risk_from_today_not_from_when_the_process_started(
    world, place, role_client, monkeypatch
):
    """The list's queryset was built once, when the module was imported, so
    its at-risk horizon stood still while the days went by."""
    order = place(("tea", 1), promised_in=5)
    client = role_client("warehouse")
    assert client.get("/orders/orders/?at_risk=true").context["paginator"].count == 0
    later = timezone.now() + timedelta(days=3)  # the promised date is two days away
    monkeypatch.setattr(timezone, "now", lambda: later)
    client = role_client("warehouse")  # signed in afresh: a session lasts 12 hours
    listed = rows(client.get("/orders/orders/?at_risk=true").content.decode())
    assert len(listed) == 1 and order.number in listed[0]


def test_list_offers_new_order_to_clerks(world, role_client):
    body = role_client("order_clerk").get("/orders/orders/").content.decode()
    assert f'href="{reverse("orders:order-create")}"' in body


def test_list_query_count_is_bounded(world, place, role_client, django_assert_max_num_queries):
    for index in range(20):
        place(("tea", 1), phone=f"1380000{index:04d}", promised_in=index % 6)
    client = role_client("order_clerk")
    with django_assert_max_num_queries(15):
        response = client.get("/orders/orders/")
    assert response.status_code == 200
    assert len(rows(response.content.decode())) == 20


def test_list_needs_the_view_permission(world, make_user, client):
    assert client.get("/orders/orders/").status_code == 302  # to sign in
    client.force_login(make_user())  # no role at all
    assert client.get("/orders/orders/").status_code == 403


# --- detail -------------------------------------------------------------


def test_detail_shows_lines_reservations_and_timeline(world, stock, place, role_client):
    stock("sh", "tea", 3)
    stock("bj", "tea", 2)
    order = place(("tea", 5), ("cup", 1), ref="T-778")
    world["channel"].allow_backorder = True
    world["channel"].save()
    order_confirm(order=order, reason="customer called")
    client = role_client("order_clerk")
    body = client.get(detail_url(order), **EN).content.decode()

    assert order.number in body
    assert 'data-status="confirmed"' in body
    assert "T-778" in body and "人民路1号" in body and "王芳" in body
    assert order.customer.code in body and "13800000001" in body
    lines = body.split('id="lines"', 1)[1].split("</table>", 1)[0]
    assert 'data-sku="TEA-1"' in lines and 'data-sku="CUP-1"' in lines
    cup_row = re.search(r'<tr data-sku="CUP-1">.*?</tr>', lines, flags=re.S).group(0)
    assert '<td class="text-end line-backordered text-danger">1</td>' in cup_row  # no stock
    reservations = body.split('id="reservations"', 1)[1].split("</table>", 1)[0]
    assert reservations.count('data-status="active"') == 2  # split: SH01 3, BJ01 2
    assert ">SH01<" in reservations and ">BJ01<" in reservations
    timeline = body.split('id="timeline"', 1)[1].split("</table>", 1)[0]
    kinds = re.findall(r'data-kind="(\w+)"', timeline)
    assert kinds == ["created", "allocated", "backordered", "status"]
    assert "customer called" in timeline
    assert "pending → confirmed" in timeline
    assert (
        timeline.count("customer-visible")
        == OrderEvent.objects.filter(order=order, visible_to_customer=True).count()
    )


def test_unknown_order_is_404(world, role_client):
    assert role_client("order_clerk").get("/orders/orders/SO-NOPE/").status_code == 404


# --- actions ------------------------------------------------------------


def test_clerk_confirms_then_cancels_and_stock_follows(world, stock, place, role_client):
    stock("sh", "tea", 10)
    order = place(("tea", 4))
    client = role_client("order_clerk")
    body = client.get(detail_url(order)).content.decode()
    for action in ("confirm", "hold", "cancel"):
        assert f'id="action-{action}"' in body
    assert 'id="action-release"' not in body

    response = client.post(action_url(order, "confirm"), {"reason": ""}, follow=True, **EN)
    assert response.redirect_chain[-1][0] == detail_url(order)
    order.refresh_from_db()
    assert order.status == S.CONFIRMED
    assert level(world, "sh", "tea") == (10, 4)
    body = response.content.decode()
    assert "alert-success" in body and f"Order {order.number} is now confirmed." in body
    assert 'id="action-confirm"' not in body and 'id="action-cancel"' in body

    response = client.post(action_url(order, "cancel"), {"reason": "changed mind"}, follow=True)
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert level(world, "sh", "tea") == (10, 0)
    assert Reservation.objects.get(order_line__order=order).status == "released"
    assert 'id="order-actions"' not in response.content.decode()  # nothing left to do
    assert order.events.filter(to_status=S.CANCELLED, reason="changed mind").exists()


def test_hold_and_release(world, stock, place, role_client):
    stock("sh", "tea", 10)
    order = place(("tea", 1))
    client = role_client("order_clerk")
    client.post(action_url(order, "hold"), {"reason": "check address"})
    order.refresh_from_db()
    assert order.status == S.ON_HOLD
    body = client.get(detail_url(order)).content.decode()
    assert 'id="action-release"' in body and 'id="action-cancel"' in body
    assert 'id="action-confirm"' not in body and 'id="action-hold"' not in body
    client.post(action_url(order, "release"))
    order.refresh_from_db()
    assert order.status == S.PENDING


def test_refused_actions_show_the_reason_as_an_error(world, stock, place, role_client):
    stock("sh", "tea", 1)
    order = place(("tea", 5))  # the channel allows no backorders
    client = role_client("order_clerk")

    response = client.post(action_url(order, "confirm"), follow=True, **EN)
    body = response.content.decode()
    assert response.redirect_chain[-1][0] == detail_url(order)
    assert "alert-danger" in body and "4 unit(s) missing" in body
    order.refresh_from_db()
    assert order.status == S.PENDING
    assert level(world, "sh", "tea") == (1, 0)

    body = client.post(action_url(order, "cancel"), {"reason": " "}, follow=True).content.decode()
    assert "alert-danger" in body
    order.refresh_from_db()
    assert order.status == S.PENDING

    client.post(action_url(order, "cancel"), {"reason": "duplicate"})
    body = client.post(action_url(order, "hold"), follow=True).content.decode()
    assert "alert-danger" in body
    order.refresh_from_db()
    assert order.status == S.CANCELLED


def test_action_needs_post_and_a_known_action(world, place, role_client):
    order = place(("tea", 1))
    client = role_client("order_clerk")
    assert client.get(action_url(order, "confirm")).status_code == 405
    assert client.post(action_url(order, "ship")).status_code == 404
    order.refresh_from_db()
    assert order.status == S.PENDING


def test_warehouse_sees_the_order_but_may_not_change_it(world, stock, place, role_client):
    stock("sh", "tea", 10)
    order = place(("tea", 2))
    client = role_client("warehouse")
    response = client.get(detail_url(order))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-sku="TEA-1"' in body
    assert 'id="order-actions"' not in body and "action-confirm" not in body
    for action in ("confirm", "cancel", "hold", "release"):
        assert client.post(action_url(order, action), {"reason": "x"}).status_code == 403
    order.refresh_from_db()
    assert order.status == S.PENDING
    assert level(world, "sh", "tea") == (10, 0)


def test_anonymous_action_goes_to_sign_in(world, place, client):
    order = place(("tea", 1))
    response = client.post(action_url(order, "confirm"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- entry --------------------------------------------------------------


@pytest.fixture
def phone_channel(world):
    return SalesChannelFactory(
        code="PHONE", kind=SalesChannel.Kind.PHONE, default_warehouse=world["sh"]
    )


def entry(channel="PHONE", lines=(), **fields):
    """The POST data of the entry form: header fields and up to 10 line rows."""
    data = {
        "channel": channel,
        "name": "赵敏",
        "phone": "138 1111 2222",
        "email": "",
        "recipient": "",
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "street": "文三路100号",
        "postcode": "310000",
        "promised_date": (timezone.localdate() + timedelta(days=7)).isoformat(),
        "note": "call before delivery",
        "lines-TOTAL_FORMS": "10",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "10",
    }
    for index in range(10):
        product, quantity, price = lines[index] if index < len(lines) else ("", "", "")
        data[f"lines-{index}-product"] = product
        data[f"lines-{index}-quantity"] = quantity
        data[f"lines-{index}-unit_price"] = price
    data.update(fields)
    return data


def test_entry_page_renders_rows_and_product_suggestions(world, phone_channel, role_client):
    ProductFactory(sku="OLD-1", active=False)
    body = role_client("order_clerk").get("/orders/orders/new/").content.decode()
    assert body.count('list="product-options"') == 10
    assert body.count("autofocus") == 1  # the customer name, not every product row
    datalist = body.split('<datalist id="product-options">', 1)[1].split("</datalist>", 1)[0]
    assert 'value="TEA-1"' in datalist and 'value="CUP-1"' in datalist
    assert "OLD-1" not in datalist
    assert 'value="PHONE"' in body and 'type="date"' in body
    assert "<script>" not in body  # the CSP forbids inline scripts


def test_entry_creates_the_order(world, phone_channel, role_client):
    client = role_client("order_clerk")
    response = client.post(
        "/orders/orders/new/",
        entry(lines=[("TEA-1", "2", ""), ("", "", ""), ("cup-1", "", "18.50")]),
    )
    assert response.status_code == 302
    order = Order.objects.get()
    assert response["Location"] == detail_url(order)
    assert order.channel == phone_channel and order.status == S.PENDING
    assert order.created_by is not None and order.created_by.groups.filter(name="order_clerk")
    assert order.promised_date == timezone.localdate() + timedelta(days=7)
    assert order.note == "call before delivery"
    assert order.shipping_address["recipient"] == "赵敏"  # defaults to the customer's name
    assert order.shipping_address["city"] == "杭州市"
    assert order.shipping_address["phone"] == "138 1111 2222"
    lines = list(order.lines.values_list("line_no", "sku", "quantity", "unit_price"))
    assert lines == [(1, "TEA-1", 2, Decimal("100.00")), (2, "CUP-1", 1, Decimal("18.50"))]
    assert order.total == Decimal("218.50")
    customer = Customer.objects.get()
    assert order.customer == customer
    assert (customer.name, customer.phone) == ("赵敏", "13811112222")
    assert customer.default_address.street == "文三路100号"
    body = client.get(response["Location"]).content.decode()
    assert f"已为 赵敏 创建订单 {order.number}" in body  # the message, in the user's language


def test_entry_for_a_known_phone_uses_the_existing_customer(
    world, phone_channel, place, role_client
):
    place(("tea", 1), phone="13800000001")
    response = role_client("order_clerk").post(
        "/orders/orders/new/",
        entry(phone="13800000001", recipient="张三", lines=[("TEA-1", "1", "")]),
    )
    assert response.status_code == 302
    assert Customer.objects.count() == 1
    order = Order.objects.get(channel=phone_channel)
    assert order.shipping_address["recipient"] == "张三"


@pytest.mark.parametrize(
    ("changes", "field_error"),
    [
        ({"phone": ""}, "phone"),
        ({"lines-0-product": "NO-SUCH-SKU"}, "lines-0-product"),
        ({"lines-0-product": ""}, "lines-0-product"),  # the first row is required
        ({"lines-0-quantity": "0"}, "lines-0-quantity"),
        ({"lines-3-quantity": "2"}, "lines-3-product"),  # a quantity without a product
        ({"street": ""}, "street"),  # a phone order is shipped
        ({"channel": "NOPE"}, "channel"),
    ],
)
def test_entry_errors_write_nothing(world, phone_channel, role_client, changes, field_error):
    data = entry(lines=[("TEA-1", "2", "")])
    data.update(changes)
    response = role_client("order_clerk").post("/orders/orders/new/", data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "invalid-feedback" in body
    assert f'name="{field_error}"' in body
    form_field = field_error.split("-")[-1]
    errors = response.context["form"].errors
    formset_errors = response.context["formset"].errors
    assert form_field in errors or any(form_field in e for e in formset_errors)
    assert not Order.objects.exists()
    assert not OrderLine.objects.exists()
    assert not Customer.objects.exists()
    if field_error != "lines-0-product":  # what was typed is kept
        assert re.search(r'name="lines-0-product"[^>]*value="TEA-1"', body)


def test_entry_service_errors_become_form_errors(world, role_client):
    inactive = SalesChannelFactory(code="SHOP", kind=SalesChannel.Kind.OFFLINE_STORE)
    client = role_client("order_clerk")
    # A store order needs no address; a bad phone is refused by the customer service.
    no_address = dict.fromkeys(("province", "city", "district", "street", "postcode"), "")
    data = entry(channel="SHOP", phone="abc", lines=[("TEA-1", "1", "")], **no_address)
    response = client.post("/orders/orders/new/", data, **EN)
    assert response.status_code == 200
    assert "Enter a valid phone number." in response.content.decode()
    assert "phone" in response.context["form"].errors
    assert not Order.objects.exists() and not Customer.objects.exists()
    inactive.active = False
    inactive.save()
    data = entry(channel="SHOP", lines=[("TEA-1", "1", "")], **no_address)
    response = client.post("/orders/orders/new/", data)
    assert "channel" in response.context["form"].errors  # no longer offered


def test_entry_needs_the_add_permission(world, role_client):
    client = role_client("warehouse")
    assert client.get("/orders/orders/new/").status_code == 403
    assert client.post("/orders/orders/new/", entry(lines=[("TEA-1", "1", "")])).status_code == 403
    assert not Order.objects.exists()


def test_store_order_needs_no_address(world, role_client):
    SalesChannelFactory(code="SHOP", kind=SalesChannel.Kind.OFFLINE_STORE)
    no_address = dict.fromkeys(("province", "city", "district", "street", "postcode"), "")
    data = entry(channel="SHOP", lines=[("TEA-1", "1", "90")], **no_address)
    response = role_client("order_clerk").post("/orders/orders/new/", data)
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.total == Decimal("90.00")
    assert order.shipping_address["street"] == ""
    assert Customer.objects.get().default_address is None

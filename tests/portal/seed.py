"""Two customers' orders with everything the order page can show, and, next
to it, everything it must never show (staff-only events, internal notes,
costs, the other customer). Imported by the portal tests as fixtures."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from aftersales.services.returns import return_request_create
from aftersales.services.tickets import ticket_create, ticket_note, ticket_reply
from logistics.models import ShipmentEvent
from logistics.services import shipment_create, shipment_deliver, shipment_dispatch
from logistics.services.tracking import scan_event_record, tracking_event_ingest
from orders.models import OrderEvent, OrderLine
from orders.services import LineInput, order_confirm, order_create
from orders.services.lifecycle import order_hold, order_release
from orders.services.payments import order_payment_record, order_refund
from tests.logistics.conftest import carrier, packed, weighed  # noqa: F401
from tests.orders.conftest import place, stock, world  # noqa: F401

# Strings that exist in the database and must never reach a portal page.
SECRETS = {
    "hold_reason": "SECRET-HOLD-REASON",
    "release_reason": "SECRET-RELEASE-REASON",
    "order_note": "SECRET-ORDER-NOTE",
    "confirm_reason": "SECRET-CONFIRM-REASON",
    "scan_note": "SECRET-SCAN-NOTE",
    "staff_event": "SECRET-STAFF-EVENT",
    "ticket_note": "SECRET-TICKET-NOTE",
    "system_ticket": "SECRET-SYSTEM-TICKET",
    "customer_note": "SECRET-CUSTOMER-NOTE",
    "unit_cost": "4321.98",
    "unit_cost_grouped": "4,321",
    "b_name": "李雷雷",
    "b_phone": "13955556666",
    "b_tracking": "SFBBB200",
    "b_event": "B-ONLY-EVENT",
    "b_street": "B街99号",
}


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (96, 72), (170, 130, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def make_order(things, *, name, phone, postcode, street, lines, address_phone=None):
    """An order of `lines` [(product key in `things`, quantity)] at 100.00 a unit."""
    order, _created = order_create(
        channel=things["channel"],
        customer={"name": name, "phone": phone},
        shipping_address={
            "recipient": name,
            "phone": address_phone or phone,
            "province": "上海市",
            "city": "上海市",
            "district": "浦东新区",
            "street": street,
            "postcode": postcode,
        },
        promised_date=timezone.localdate() + timedelta(days=5),
        lines=[
            LineInput(product=things[sku], quantity=qty, unit_price=Decimal("100"))
            for sku, qty in lines
        ],
    )
    return order


def ship(order, things, carrier, packed, tracking_number):  # noqa: F811
    shipment = shipment_create(order=order, warehouse=things["sh"])
    packed(shipment)
    return shipment_dispatch(shipment=shipment, carrier=carrier, tracking_number=tracking_number)


@pytest.fixture
def order_a(world, weighed, stock, carrier, packed, make_user):  # noqa: F811
    """王芳's order: confirmed (with a staff-only hold in between), paid, shipped
    by SF with carrier events, delivered with a photo, a complaint with an
    internal note, a return and a refund; and every staff-only thing beside."""
    stock("sh", "tea", 20)
    stock("sh", "cup", 20)
    agent = make_user("aftersales_agent", username="agent")
    order = make_order(
        world,
        name="王芳",
        phone="13800001234",
        address_phone="021-5555-7788",
        postcode="200120",
        street="人民路1号",
        lines=[("tea", 3), ("cup", 2)],
    )
    order.customer.note = SECRETS["customer_note"]
    order.customer.save(update_fields=["note"])
    OrderLine.objects.filter(order=order).update(unit_cost=Decimal("4321.9876"))
    order_confirm(order=order, reason=SECRETS["confirm_reason"])
    order_hold(order=order, reason=SECRETS["hold_reason"])
    order_release(order=order, reason=SECRETS["release_reason"])
    OrderEvent.objects.create(order=order, kind=OrderEvent.Kind.NOTE, reason=SECRETS["order_note"])
    order_payment_record(order=order, amount=order.total, method="alipay")
    shipment = ship(order, world, carrier, packed, "SF100A")
    now = timezone.now()
    tracking_event_ingest(
        shipment=shipment,
        external_id="A-1",
        status="in_transit",
        occurred_at=now,
        location="上海浦东转运中心",
        description="快件已到达上海浦东转运中心",
    )
    scan_event_record(shipment=shipment, scanner_id="DOCK-7", description=SECRETS["scan_note"])
    ShipmentEvent.objects.create(
        shipment=shipment,
        kind=ShipmentEvent.Kind.NOTE,
        source=ShipmentEvent.Source.STAFF,
        occurred_at=now,
        description=SECRETS["staff_event"],
        visible_to_customer=False,
    )
    shipment_deliver(
        shipment=shipment,
        recipient_name="王芳本人",
        photo=SimpleUploadedFile("pod.png", png_bytes(), content_type="image/png"),
    )
    order.refresh_from_db()
    ticket = ticket_create(
        customer=order.customer,
        order=order,
        subject="Cup arrived chipped",
        kind="complaint",
        channel="portal",
        description="The cup is chipped.",
    )
    ticket_note(ticket=ticket, body=SECRETS["ticket_note"], actor=agent)
    ticket_reply(ticket=ticket, body="Sorry - a new cup is on its way.", actor=agent)
    ticket_create(
        customer=order.customer,
        order=order,
        subject=SECRETS["system_ticket"],
        kind="logistics_exception",
        channel="system",
        description=SECRETS["system_ticket"],
    )
    cup = order.lines.get(sku="CUP-1")
    rma = return_request_create(
        order=order,
        kind="return",
        lines=[{"order_line": cup, "quantity": 1, "reason": "chipped"}],
        reason="chipped",
        channel="portal",
    )
    order_refund(order=order, amount=Decimal("20.00"), reason="goodwill")
    order.refresh_from_db()
    order.seed = {"shipment": shipment, "ticket": ticket, "rma": rma}
    return order


@pytest.fixture
def order_b(world, stock, carrier, packed, order_a):  # noqa: F811
    """李雷雷's order: another customer, shipped with its own events."""
    order = make_order(
        world,
        name=SECRETS["b_name"],
        phone=SECRETS["b_phone"],
        postcode="100000",
        street=SECRETS["b_street"],
        lines=[("tea", 1)],
    )
    order_confirm(order=order)
    shipment = ship(order, world, carrier, packed, SECRETS["b_tracking"])
    tracking_event_ingest(
        shipment=shipment,
        external_id="B-1",
        status="in_transit",
        occurred_at=timezone.now(),
        location="北京顺义",
        description=SECRETS["b_event"],
    )
    ticket_create(
        customer=order.customer,
        order=order,
        subject="Where is it?",
        kind="inquiry",
        channel="portal",
        description="Where is my tea?",
    )
    order.refresh_from_db()
    return order

"""After-sales tells the customer when logistics reports a problem with
their delivery: one e-mail per exception, however often the signal or the
task runs."""

import pytest
from django.core import mail

from aftersales.models import CustomerNotice
from aftersales.services import exception_notice_send
from logistics.models import ShipmentException
from logistics.services import exception_open, shipment_create, shipment_dispatch
from orders.services import order_confirm

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_the_road(world, weighed, stock, place, carrier, packed):
    stock("sh", "tea", 5)
    order = place(("tea", 2))
    order.customer.email = "wang.fang@example.com"
    order.customer.save()
    order_confirm(order=order)
    shipment = shipment_create(order=order, warehouse=world["sh"])
    packed(shipment)
    return shipment_dispatch(shipment=shipment, carrier=carrier, tracking_number="SF42")


def test_a_failed_attempt_emails_the_customer_once(on_the_road, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        exception, _created = exception_open(
            shipment=on_the_road, kind=ShipmentException.Kind.FAILED_ATTEMPT, details="无人"
        )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["wang.fang@example.com"]
    assert on_the_road.order.number in message.subject
    assert "未能送达" in message.body and on_the_road.number in message.body
    assert "SF42" in message.body  # the carrier's tracking link
    # The task retried, or the signal delivered again: nothing more is sent.
    exception_notice_send(exception_id=exception.pk)
    assert len(mail.outbox) == 1
    notice = CustomerNotice.objects.get()
    assert notice.status == CustomerNotice.Status.SENT and notice.sent_at is not None


def test_cold_chain_problems_stay_with_staff_and_no_address_is_skipped(
    on_the_road, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        exception_open(shipment=on_the_road, kind=ShipmentException.Kind.TEMPERATURE)
    assert mail.outbox == [] and not CustomerNotice.objects.exists()

    customer = on_the_road.order.customer
    customer.email = ""
    customer.save()
    with django_capture_on_commit_callbacks(execute=True):
        exception_open(shipment=on_the_road, kind=ShipmentException.Kind.DAMAGED)
    assert mail.outbox == []
    assert CustomerNotice.objects.get().status == CustomerNotice.Status.SKIPPED

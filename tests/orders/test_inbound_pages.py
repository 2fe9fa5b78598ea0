"""Staff pages for the channels' inbound messages: list, detail, apply again."""

import pytest
from django.test import Client

from orders.models import InboundMessage, Order, SalesChannel
from orders.services.inbound import channel_connector_set
from tests.factories import ProductFactory, SalesChannelFactory
from tests.orders.test_inbound import post_marketplace, trade_created, trade_paid

LIST = "/orders/inbound/"


@pytest.fixture
def market(world):
    channel = SalesChannelFactory(code="TMALL", kind=SalesChannel.Kind.MARKETPLACE)
    channel, _secret = channel_connector_set(channel=channel, connector="marketplace")
    return channel


def _url(name, *args):
    from django.urls import reverse

    return reverse(f"orders:{name}", args=args)


def test_list_shows_messages_with_filters_and_an_empty_state(market, role_client):
    client = role_client("warehouse")  # may look, not change
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    empty = client.get(_url("inbound-list"))
    assert empty.status_code == 200
    assert 'id="empty-state"' in empty.content.decode()
    filtered = client.get(_url("inbound-list"), {"status": "held"}).content.decode()
    assert "No inbound messages match these filters." in filtered

    channel = Client(HTTP_ACCEPT_LANGUAGE="en")  # its errors are stored in English
    post_marketplace(channel, market, trade_created(sku="NOPE-1"))
    post_marketplace(channel, market, trade_paid(tid="LATER"))
    page = client.get(_url("inbound-list")).content.decode()
    assert "TB1001-created" in page and "LATER-paid" in page
    failed = client.get(_url("inbound-list"), {"status": "failed"}).content.decode()
    assert "TB1001-created" in failed and "LATER-paid" not in failed
    assert "Unknown SKU NOPE-1" in failed


def test_detail_shows_payload_and_error_and_apply_again_fixes_it(market, role_client):
    post_marketplace(Client(), market, trade_created(sku="NEW-1"))
    message = InboundMessage.objects.get()
    viewer = role_client("warehouse")
    viewer.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = viewer.get(_url("inbound-detail", message.pk)).content.decode()
    assert "trade.orders[0].outer_sku_id" in page
    assert "世纪大道100号" in page  # the payload, readable
    assert "Apply again" not in page  # a viewer cannot
    assert viewer.post(_url("inbound-retry", message.pk)).status_code == 403

    ProductFactory(sku="NEW-1")
    clerk = role_client("order_clerk")
    clerk.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert "Apply again" in clerk.get(_url("inbound-detail", message.pk)).content.decode()
    response = clerk.post(_url("inbound-retry", message.pk), follow=True)
    assert "is now applied" in response.content.decode()
    order = Order.objects.get()
    assert order.number in response.content.decode()
    # Applied: no button any more, and a second POST changes nothing.
    assert "Apply again" not in response.content.decode()
    again = clerk.post(_url("inbound-retry", message.pk), follow=True)
    assert "only failed, held or expired ones" in again.content.decode()
    assert Order.objects.count() == 1


def test_pages_need_sign_in_and_permission(market, make_user):
    assert Client().get(_url("inbound-list")).status_code == 302  # to the sign-in page
    nobody = Client()
    nobody.force_login(make_user())
    assert nobody.get(_url("inbound-list")).status_code == 403

"""A client generated from our OpenAPI schema with openapi-python-client
works: it creates an order, confirms it and reads its status, in-process
through httpx's WSGI transport (no server) with a real OAuth2 token."""

import importlib
import json
import subprocess
import sys
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone

from inventory.services import stock_receive
from orders.models import Order, SalesChannel
from tests.api.conftest import generated_schema
from tests.factories import ProductFactory, SalesChannelFactory, WarehouseFactory

PACKAGE = "erp_generated_client"


@pytest.fixture(scope="module")
def generated_client(tmp_path_factory):
    """Generate the client package once per module and import it."""
    out = tmp_path_factory.mktemp("client")
    # In English, as integrators generate it (`spectacular --lang en`): titles
    # become names in the generated code.
    (out / "schema.json").write_text(json.dumps(generated_schema("en")), encoding="utf-8")
    # No post hooks: the generator would otherwise run ruff over the output.
    (out / "config.yml").write_text(f"post_hooks: []\npackage_name_override: {PACKAGE}\n")
    generator = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(out / "schema.json"),
            "--config",
            str(out / "config.yml"),
            "--meta",
            "none",
            "--output-path",
            str(out / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (out / PACKAGE / "client.py").exists(), result.stdout + result.stderr
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@contextmanager
def in_process_client(client_class, token):
    """A generated client talking to Django's WSGI handler in-process, inside
    the test's transaction.

    As Django's own test client does, the handler must not close the database
    connection at the end of each request (that would end the test's open
    transaction). Enter this after anything that uses Django's test client
    (the token fetch): it reconnects those signals when it finishes."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield client_class(
            base_url="http://testserver",
            token=token,
            httpx_args={"transport": httpx.WSGITransport(app=WSGIHandler())},
        )
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_generated_client_creates_confirms_and_reads_an_order(generated_client, integration):
    warehouse = WarehouseFactory(code="SH01")
    tea = ProductFactory(sku="TEA-1", list_price=Decimal("100"))
    SalesChannelFactory(code="WEB", kind=SalesChannel.Kind.WEB_STORE, default_warehouse=warehouse)
    stock_receive(warehouse=warehouse, product=tea, quantity=10)
    token = integration("orders:read orders:write").credentials_token

    with in_process_client(generated_client.AuthenticatedClient, token) as client:
        _create_confirm_read(client)


def _create_confirm_read(client):
    from erp_generated_client.api.orders import (
        orders_confirm_create,
        orders_create,
        orders_retrieve,
    )
    from erp_generated_client.models import (
        CustomerRefRequest,
        OrderCreateRequest,
        OrderDetail,
        OrderLineInputRequest,
        ShippingAddressRequest,
    )

    created = orders_create.sync_detailed(
        client=client,
        body=OrderCreateRequest(
            channel="WEB",
            external_ref="WEB-GEN-1",
            customer=CustomerRefRequest(name="王芳", phone="13800138000"),
            shipping_address=ShippingAddressRequest(
                recipient="王芳", phone="13800138000", city="上海市", street="世纪大道100号"
            ),
            promised_date=timezone.localdate() + timedelta(days=5),
            lines=[OrderLineInputRequest(sku="TEA-1", quantity=2, unit_price="100.00")],
        ),
    )
    assert created.status_code == 201, created.content
    order = created.parsed
    assert isinstance(order, OrderDetail)
    assert order.status == "pending" and order.total == "200.00"

    confirmed = orders_confirm_create.sync_detailed(order.number, client=client)
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.parsed.status == "confirmed"

    read = orders_retrieve.sync(order.number, client=client)
    assert isinstance(read, OrderDetail)
    assert read.number == order.number and read.status == "confirmed"
    assert Order.objects.get(number=order.number).status == Order.Status.CONFIRMED


@pytest.mark.django_db
def test_generated_client_sees_the_house_error_format(generated_client, integration):
    token = integration("orders:read").credentials_token
    from erp_generated_client import AuthenticatedClient
    from erp_generated_client.api.orders import orders_confirm_create, orders_retrieve
    from erp_generated_client.models import Error

    with in_process_client(AuthenticatedClient, token) as client:
        missing = orders_retrieve.sync_detailed("SO-NOPE", client=client)
        assert missing.status_code == 404
        assert isinstance(missing.parsed, Error) and missing.parsed.error.code == "not_found"
        refused = orders_confirm_create.sync_detailed("SO-NOPE", client=client)
        assert refused.status_code == 403  # the token has no orders:write
        assert "orders:write" in refused.parsed.error.message

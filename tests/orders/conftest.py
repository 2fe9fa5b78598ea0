from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.services import stock_receive
from orders.models import SalesChannel
from orders.services import LineInput, order_create
from tests.factories import ProductFactory, SalesChannelFactory, WarehouseFactory


@pytest.fixture
def world(db):
    """Two warehouses (Shanghai, Beijing), two products, a channel shipping from Shanghai."""
    sh = WarehouseFactory(
        code="SH01", city="上海市", latitude=Decimal("31.23"), longitude=Decimal("121.47")
    )
    bj = WarehouseFactory(
        code="BJ01", city="北京市", latitude=Decimal("39.90"), longitude=Decimal("116.40")
    )
    gz = WarehouseFactory(
        code="GZ01", city="广州市", latitude=Decimal("23.13"), longitude=Decimal("113.26")
    )
    tea = ProductFactory(sku="TEA-1", unit_cost=Decimal("40"), list_price=Decimal("100"))
    cup = ProductFactory(sku="CUP-1", unit_cost=Decimal("5"), list_price=Decimal("20"))
    channel = SalesChannelFactory(
        code="WEB", kind=SalesChannel.Kind.WEB_STORE, default_warehouse=sh, allow_backorder=False
    )
    return {"sh": sh, "bj": bj, "gz": gz, "tea": tea, "cup": cup, "channel": channel}


@pytest.fixture
def stock(world):
    def put(warehouse, product, quantity):
        stock_receive(warehouse=world[warehouse], product=world[product], quantity=quantity)

    return put


@pytest.fixture
def place(world):
    def make(*lines, channel=None, ref="", city="上海市", phone="13800000001", promised_in=5):
        order, _created = order_create(
            channel=channel or world["channel"],
            external_ref=ref,
            customer={"name": "王芳", "phone": phone},
            shipping_address={
                "recipient": "王芳",
                "phone": phone,
                "province": "",
                "city": city,
                "street": "人民路1号",
            },
            promised_date=timezone.localdate() + timedelta(days=promised_in),
            lines=[
                LineInput(product=world[sku], quantity=qty, unit_price=Decimal("100"))
                for sku, qty in lines
            ],
        )
        return order

    return make

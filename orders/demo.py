"""Demo sales channels of every kind, and orders in every status."""

from contextlib import suppress

from orders.models import SalesChannel
from orders.services import channel_create

K = SalesChannel.Kind
# code, name, kind, default warehouse, auto confirm, allow backorder
CHANNELS = [
    ("TMALL", "天猫旗舰店", K.MARKETPLACE, "SH01", True, False),
    ("JD", "京东自营店", K.MARKETPLACE, "BJ01", True, False),
    ("WEB", "官方商城", K.WEB_STORE, "SH01", True, True),
    ("DOUYIN", "抖音小店", K.SOCIAL, "GZ01", True, False),
    ("WECHAT", "微信小程序商城", K.SOCIAL, "GZ01", False, True),
    ("SHOP-SH", "上海南京路门店", K.OFFLINE_STORE, "SH01", True, False),
    ("PHONE", "客服电话订购", K.PHONE, "SH01", False, True),
    ("B2B", "企业采购", K.B2B, "BJ01", False, True),
    ("API", "开放平台接口", K.API, None, False, False),
]


def seed(ctx) -> None:
    warehouses = ctx.data["warehouses"]
    for code, name, kind, warehouse, auto_confirm, backorder in CHANNELS:
        if SalesChannel.objects.filter(code=code).exists():
            continue
        channel_create(
            code=code,
            name=name,
            kind=kind,
            default_warehouse=warehouses.get(warehouse) if warehouse else None,
            auto_confirm=auto_confirm,
            allow_backorder=backorder,
        )
    ctx.report("sales channels", SalesChannel.objects.count())
    seed_orders(ctx)


def seed_orders(ctx) -> None:
    """N orders over the last five weeks, in every status, through the services."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from crm.models import Customer
    from inventory.models import Product
    from orders.models import Order
    from orders.services import (
        LineInput,
        StockShortage,
        TransitionNotAllowed,
        order_cancel,
        order_confirm,
        order_create,
        order_hold,
    )

    count = ctx.options["orders"]
    if Order.objects.filter(external_ref__startswith="DEMO-").exists():
        ctx.report("orders", Order.objects.count(), 0)
        return
    rng = ctx.rng("orders")
    clerk = ctx.data["users"]["clerk"]
    channels = list(SalesChannel.objects.filter(active=True).order_by("code"))
    customers = list(Customer.objects.select_related("default_address").order_by("code"))
    products = list(Product.objects.filter(active=True).order_by("sku"))
    # target status -> weight
    plan = [
        ("pending", 8),
        ("confirmed", 20),
        ("in_fulfilment", 10),
        ("on_hold", 4),
        ("cancelled", 5),
        ("partially_shipped", 3),
        ("shipped", 15),
        ("delivered", 20),
        ("completed", 15),
    ]
    statuses = [s for s, w in plan for _ in range(w)]
    fulfil = ctx.data.setdefault("fulfil", [])
    created = 0
    for index in range(1, count + 1):
        customer = rng.choice(customers)
        address = customer.default_address
        placed_days_ago = rng.randint(0, 35)
        placed_at = timezone.now() - timedelta(days=placed_days_ago, hours=rng.randint(0, 23))
        target = rng.choice(statuses)
        if target in ("pending", "confirmed", "in_fulfilment", "on_hold"):
            placed_at = timezone.now() - timedelta(days=rng.randint(0, 6), hours=rng.randint(0, 23))
        promised = timezone.localtime(placed_at).date() + timedelta(days=rng.randint(2, 10))
        lines = [
            LineInput(
                product=p,
                quantity=rng.randint(1, 3),
                unit_price=p.list_price,
                discount=Decimal(rng.choice([0, 0, 0, 5, 10])),
            )
            for p in rng.sample(products, rng.randint(1, 3))
        ]
        order, _created = order_create(
            channel=rng.choice(channels),
            external_ref=f"DEMO-{index:05d}",
            customer={"code": customer.code},
            shipping_address={
                "recipient": address.recipient,
                "phone": address.phone,
                "province": address.province,
                "city": address.city,
                "district": address.district,
                "street": address.street,
                "postcode": address.postcode,
            },
            promised_date=promised,
            lines=lines,
            placed_at=placed_at,
            shipping_total=Decimal(rng.choice([0, 0, 8, 12])),
            actor=clerk,
        )
        created += 1
        with suppress(StockShortage, TransitionNotAllowed):
            # short stock: the order stays where it got to, as in real life
            _advance(order, target, clerk, (order_cancel, order_confirm, order_hold), fulfil)
    ctx.report("orders", Order.objects.count(), created)


def _advance(order, target, actor, services, fulfil) -> None:
    order_cancel, order_confirm, order_hold = services
    order.refresh_from_db()
    if target == "pending":
        return
    if target == "cancelled":
        order_cancel(order=order, actor=actor, reason="客户申请取消")
        return
    if order.status == "pending":
        order_confirm(order=order, actor=actor)
    if target == "on_hold":
        order_hold(order=order, actor=actor, reason="收货地址待核实")
        return
    if target == "confirmed":
        return
    # Picking, packing and shipping are logistics' work: its demo takes the
    # order on to its target status through shipments.
    fulfil.append((order.pk, target))

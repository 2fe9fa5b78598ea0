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


# Inbound connectors of the demo channels, with known secrets so the README's
# curl examples work against `make run` (demo data only: never in production).
DEMO_CONNECTORS = {
    "TMALL": ("marketplace", "demo-tmall-inbound-secret"),
    "JD": ("marketplace", "demo-jd-inbound-secret-00"),
    "WEB": ("web_store", "demo-web-store-token-0001"),
}


def seed_connectors() -> None:
    from orders.services.inbound import channel_connector_set

    for code, (connector, secret) in DEMO_CONNECTORS.items():
        channel = SalesChannel.objects.filter(code=code, connector="").first()
        if channel is not None:
            channel_connector_set(channel=channel, connector=connector, secret=secret)


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
    seed_connectors()
    seed_orders(ctx)
    seed_history(ctx)


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


def seed_history(ctx) -> None:
    """Two years of completed orders before the demo's five weeks, so that
    customers differ in how recently, how often and how much they bought
    (what the CRM scores read). Written in bulk: history, not live intake,
    so no stock moves, shipments or events."""
    from datetime import timedelta

    from django.utils import timezone

    from crm.models import Customer
    from inventory.models import Product
    from orders.models import Order

    if Order.objects.filter(external_ref__startswith="HIST-").exists():
        return
    rng = ctx.rng("orders-history")
    channels = list(SalesChannel.objects.filter(active=True).exclude(code="API").order_by("code"))
    customers = list(Customer.objects.select_related("default_address").order_by("code"))
    products = list(Product.objects.filter(active=True).order_by("sku"))
    now = timezone.now()
    # (share of customers, orders from..to, first order days ago, last order days ago)
    profiles = [
        (0.25, (6, 14), (500, 720), (40, 70)),  # loyal: often, until lately
        (0.20, (3, 8), (450, 720), (200, 420)),  # lapsed: used to buy, stopped
        (0.30, (1, 3), (60, 700), (40, 300)),  # occasional
        (0.25, (0, 0), (0, 0), (0, 0)),  # only the recent orders, if any
    ]
    orders, lines = [], []
    for customer in customers:
        counts, first, last = _pick_profile(rng.random(), profiles)
        n = rng.randint(*counts)
        if not n:
            continue
        first_days, last_days = rng.randint(*first), rng.randint(*last)
        first_days = max(first_days, last_days)
        big = customer.kind == Customer.Kind.COMPANY or customer.tier in ("gold", "vip")
        for k in range(n):
            days = last_days + (first_days - last_days) * k // max(n - 1, 1)
            placed_at = now - timedelta(days=days, hours=rng.randint(0, 23))
            chosen = rng.sample(products, rng.randint(1, 3))
            order_lines = [
                history_line(
                    line_no=line_no,
                    product=product,
                    quantity=rng.randint(5, 40) if big else rng.randint(1, 3),
                )
                for line_no, product in enumerate(chosen, start=1)
            ]
            orders.append(
                history_order(
                    number=f"SO-{timezone.localtime(placed_at):%Y%m%d}-H{len(orders) + 1:04d}",
                    channel=rng.choice(channels),
                    external_ref=f"HIST-{customer.code}-{k + 1:02d}",
                    customer=customer,
                    lines=order_lines,
                    placed_at=placed_at,
                    note="历史订单（导入）",
                )
            )
            lines.append(order_lines)
    history_save(orders, lines, prefix="HIST-")
    ctx.report("past orders (two years of history)", len(orders))


def history_line(*, line_no: int, product, quantity: int):
    """A line of an imported history order: at the product's list price and
    cost, shipped in full."""
    from decimal import Decimal

    from orders.models import OrderLine

    return OrderLine(
        line_no=line_no,
        product=product,
        sku=product.sku,
        name=product.name,
        quantity=quantity,
        unit_price=product.list_price,
        line_total=(product.list_price * quantity).quantize(Decimal("0.01")),
        unit_cost=product.unit_cost,
        quantity_shipped=quantity,
    )


def history_order(*, number: str, channel, external_ref: str, customer, lines, placed_at, note):
    """An imported history order (not saved): completed and paid, for the
    total of its lines, to the customer's default address, promised five
    days after it was placed."""
    import secrets
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from orders.models import Order

    address = customer.default_address
    subtotal = sum((line.line_total for line in lines), Decimal("0"))
    return Order(
        number=number,
        channel=channel,
        external_ref=external_ref,
        customer=customer,
        shipping_address={
            "recipient": address.recipient if address else customer.name,
            "phone": address.phone if address else customer.phone,
            "province": address.province if address else "",
            "city": address.city if address else "",
            "district": address.district if address else "",
            "street": address.street if address else "",
            "postcode": address.postcode if address else "",
        },
        subtotal=subtotal,
        total=subtotal,
        placed_at=placed_at,
        promised_date=timezone.localtime(placed_at).date() + timedelta(days=5),
        status=Order.Status.COMPLETED,
        payment_status=Order.PaymentStatus.PAID,
        tracking_token=secrets.token_urlsafe(32),
        note=note,
    )


def history_save(orders: list, lines: list[list], *, prefix: str) -> None:
    """Write history orders in bulk, then each one's lines (`lines[i]` are
    `orders[i]`'s); every order's external reference starts with `prefix`."""
    from orders.models import Order, OrderLine

    Order.objects.bulk_create(orders, batch_size=500)
    saved = dict(
        Order.objects.filter(external_ref__startswith=prefix).values_list("external_ref", "pk")
    )
    for order, order_lines in zip(orders, lines, strict=True):
        for line in order_lines:
            line.order_id = saved[order.external_ref]
    OrderLine.objects.bulk_create([line for group in lines for line in group], batch_size=1000)


def _pick_profile(pick: float, profiles):
    acc = 0.0
    for share, *rest in profiles:
        acc += share
        if pick <= acc:
            return rest
    return profiles[-1][1:]

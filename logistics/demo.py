"""Demo carriers (the big parcel networks, a freight line, rail and our own
fleet) and our vehicles with their drivers at every warehouse."""

from decimal import Decimal

from logistics.models import Carrier, Vehicle
from logistics.services import carrier_create

M = Carrier.Mode
CARRIERS = [
    (
        "SF",
        "顺丰速运",
        M.COURIER,
        "95338",
        "https://www.sf-express.com/cn/sc/waybill/waybill-detail/{number}",
        False,
    ),
    ("JDL", "京东物流", M.COURIER, "950616", "", False),
    ("ZTO", "中通快递", M.COURIER, "95311", "", False),
    ("YTO", "圆通速递", M.COURIER, "95554", "", False),
    ("EMS", "中国邮政EMS", M.COURIER, "11183", "", False),
    ("DBL", "德邦物流", M.ROAD, "95353", "", False),
    ("CRE", "中铁快运", M.RAIL, "95572", "", False),
    ("OWN", "自有车队", M.ROAD, "", "", True),
]
# Freight tariffs (CNY): base fee per shipment, fee per kg.
TARIFFS = {
    "SF": ("12.00", "2.00"),
    "JDL": ("10.00", "1.80"),
    "ZTO": ("6.00", "1.20"),
    "YTO": ("6.00", "1.20"),
    "EMS": ("10.00", "2.50"),
    "DBL": ("30.00", "0.80"),
    "CRE": ("20.00", "0.60"),
    "OWN": ("8.00", "0.50"),
}


def seed(ctx) -> None:
    for code, name, mode, phone, template, own in CARRIERS:
        if Carrier.objects.filter(code=code).exists():
            continue
        carrier_create(
            code=code,
            name=name,
            mode=mode,
            phone=phone,
            tracking_url_template=template,
            own_fleet=own,
            base_fee=Decimal(TARIFFS[code][0]),
            fee_per_kg=Decimal(TARIFFS[code][1]),
        )
    ctx.report("carriers", Carrier.objects.count())
    seed_fleet(ctx)


# depot, plate, capacity kg, m3, refrigerated, driver name, phone
FLEET = [
    ("SH01", "沪A·D1234", 1500, "12.0", False, "周强", "13900021001"),
    ("SH01", "沪A·D5678", 3000, "18.0", False, "吴斌", "13900021002"),
    ("SH01", "沪A·L9012", 1200, "8.0", True, "郑涛", "13900021003"),
    ("BJ01", "京B·E2345", 2000, "14.0", False, "王刚", "13900021004"),
    ("BJ01", "京B·E6789", 1500, "12.0", False, "冯磊", "13900021005"),
    ("GZ01", "粤A·F3456", 2000, "14.0", False, "陈伟", "13900021006"),
    ("GZ01", "粤A·L7890", 1000, "6.0", True, "褚明", "13900021007"),
    ("CD01", "川A·G4567", 2500, "16.0", False, "卫东", "13900021008"),
]


def seed_fleet(ctx) -> None:
    from logistics.models import Driver
    from logistics.services import driver_create, vehicle_create

    warehouses = ctx.data["warehouses"]
    own = Carrier.objects.filter(code="OWN").first()
    for depot, plate, kg, m3, cold, name, phone in FLEET:
        if Vehicle.objects.filter(plate=plate).exists():
            continue
        driver = Driver.objects.filter(phone=phone).first() or driver_create(name=name, phone=phone)
        vehicle_create(
            plate=plate,
            depot=warehouses[depot],
            capacity_kg=kg,
            capacity_m3=Decimal(m3),
            carrier=own,
            driver=driver,
            refrigerated=cold,
        )
    ctx.report("vehicles", Vehicle.objects.count())
    seed_shipments(ctx)


# --- Shipments -----------------------------------------------------------------

# Carrier tracking words as the couriers send them (normalised on ingest).
ROUTE_EVENTS = [
    ("已揽件", "快件已由{warehouse}揽收"),
    ("运输中", "快件离开{origin}转运中心，发往{city}"),
    ("到达", "快件到达{city}转运中心"),
]


def seed_shipments(ctx) -> None:
    """Take the orders the orders demo left for fulfilment to their target
    status through real shipments: waves, packing by scan, dispatch, carrier
    tracking events and proof of delivery, each at a time after the order
    was placed. Adds the special cases - a failed attempt, a return, a
    cancelled shipment, a cold-chain shipment with a temperature breach - and
    a solved dispatch plan for today."""
    from contextlib import suppress

    from erp.core.errors import DomainError
    from logistics.models import Shipment
    from orders.models import Order

    if Shipment.objects.exists():
        ctx.report("shipments", Shipment.objects.count(), 0)
        return
    rng = ctx.rng("shipments")
    users = ctx.data["users"]
    couriers = list(Carrier.objects.filter(mode=Carrier.Mode.COURIER).order_by("code"))
    planned = []  # (shipment, target)
    for order_id, target in ctx.data.get("fulfil", []):
        order = Order.objects.select_related("channel").get(pk=order_id)
        with suppress(DomainError):
            planned += [(shipment, target) for shipment in _plan(order, target, users)]
    stages = {}
    for shipment, target in planned:
        stage = rng.choice(["planned", "picking", "packed", "packed"])
        stages[shipment.pk] = stage if target == "in_fulfilment" else "packed"
    _pick_and_pack(
        [s for s, _t in planned if stages[s.pk] == "picking"],
        [s for s, _t in planned if stages[s.pk] == "packed"],
        users,
    )
    for shipment, target in planned:
        if target != "in_fulfilment":
            with suppress(DomainError):
                _travel(Shipment.objects.get(pk=shipment.pk), target, rng, couriers, users)
    _complete([o for o, t in ctx.data.get("fulfil", []) if t == "completed"], users)
    with suppress(DomainError):
        _special_cases(ctx, rng, couriers, users)
    ctx.report("shipments", Shipment.objects.count())


def _plan(order, target, users):
    """The order's shipments, due on its promised date (09:00-18:00)."""
    from datetime import datetime, time

    from django.utils import timezone

    from logistics.services import shipment_create, shipments_create_for_order

    tz = timezone.get_current_timezone()
    day = order.promised_date or timezone.localdate(order.placed_at)
    when = {
        "window_start": datetime.combine(day, time(9), tz),
        "planned_delivery_at": datetime.combine(day, time(18), tz),
        "actor": users["warehouse"],
    }
    if target == "partially_shipped" and order.lines.count() > 1:
        line = order.lines.get(line_no=1)
        warehouse = line.reservations.first().stock_level.warehouse
        return [
            shipment_create(order=order, warehouse=warehouse, lines=[(1, line.quantity)], **when)
        ]
    return shipments_create_for_order(order=order, **when)


def _pick_and_pack(picking, packing, users, wave_size: int = 12) -> None:
    """Waves of up to `wave_size` shipments per warehouse; every unit of the
    shipments to pack is scanned into its box and their waves closed."""
    from logistics.services.picking import pack_scan, wave_close, wave_create

    def waves(shipments):
        by_warehouse = {}
        for shipment in shipments:
            by_warehouse.setdefault(shipment.warehouse_id, []).append(shipment)
        for group in by_warehouse.values():
            for i in range(0, len(group), wave_size):
                yield group[i : i + wave_size]

    for group in waves(picking):
        wave_create(warehouse=group[0].warehouse, shipments=group, actor=users["warehouse"])
    for group in waves(packing):
        wave = wave_create(warehouse=group[0].warehouse, shipments=group, actor=users["warehouse"])
        for shipment in group:
            for line in shipment.lines.select_related("order_line__product"):
                product = line.order_line.product
                pack_scan(
                    shipment=shipment,
                    code=product.barcode or product.sku,
                    quantity=line.quantity,
                    actor=users["warehouse"],
                )
        wave.refresh_from_db()
        if wave.status == wave.Status.OPEN:  # it closes itself after the last pack commits
            wave_close(wave=wave, actor=users["warehouse"])


def _complete(order_ids, users) -> None:
    from django.db import transaction

    from orders.lock_objects import order_for_update
    from orders.models import Order
    from orders.services import order_transition

    for order in Order.objects.filter(pk__in=order_ids, status=Order.Status.DELIVERED):
        with transaction.atomic():
            order_transition(
                order=order_for_update(order.pk),
                to_status=Order.Status.COMPLETED,
                actor=users["clerk"],
                reason="订单完成",
            )


def _travel(shipment, target, rng, couriers, users, *, ending=None) -> None:
    """Dispatch with a courier a day after the order was placed, then the
    courier's events, hours apart, up to `ending` (dispatched, in_transit,
    out_for_delivery, delivered, failed, returned) or as the target says."""
    from datetime import timedelta

    from django.db.models import F
    from django.utils import timezone

    from inventory.models import StockMove
    from logistics.models import Shipment, ShipmentEvent
    from logistics.services import shipment_deliver, shipment_dispatch
    from logistics.services.tracking import tracking_event_ingest

    carrier = rng.choice(couriers)
    now = timezone.now()
    steps = []
    if ending is None:
        ending = {"delivered": "delivered", "completed": "delivered"}.get(
            target, rng.choice(["dispatched", "in_transit", "out_for_delivery"])
        )
    if ending != "dispatched":
        steps = list(ROUTE_EVENTS)
    if ending in ("out_for_delivery", "delivered", "failed"):
        steps.append(("派送中", "快递员正在派送，请保持电话畅通"))
    if ending == "failed":
        steps.append(("派送失败", "收件人电话无人接听，改日再派"))
    if ending == "returned":
        steps.append(("退回", "收件人拒收，快件退回寄件人"))
    journey = len(steps) + 1  # steps 3 to 6 hours apart, then the delivery
    left = shipment.order.placed_at + timedelta(hours=rng.randint(6, 30))
    latest = now - timedelta(hours=5 * journey)
    left = min(left, latest)
    shipment = shipment_dispatch(
        shipment=shipment,
        carrier=carrier,
        tracking_number=f"{carrier.code}{rng.randint(10**11, 10**12 - 1)}",
        actor=users["dispatcher"],
    )
    # What happened so far happened then: planned, picked, packed before it left.
    shift = now - left
    ShipmentEvent.objects.filter(shipment=shipment).update(occurred_at=F("occurred_at") - shift)
    Shipment.objects.filter(pk=shipment.pk).update(picked_up_at=left)
    StockMove.objects.filter(reference=shipment.number).update(created_at=left)
    words = {
        "warehouse": shipment.warehouse.name,
        "origin": shipment.warehouse.city,
        "city": shipment.destination_city or "目的地",
    }
    when = left
    for index, (word, text) in enumerate(steps, start=1):
        when += timedelta(hours=rng.randint(3, 6), minutes=rng.randint(0, 59))
        tracking_event_ingest(
            shipment=shipment,
            external_id=f"{shipment.tracking_number}-{index}",
            status=word,
            occurred_at=when,
            location=words["city"] if index > 1 else words["origin"],
            description=text.format(**words),
            carrier_code=carrier.code,
        )
    if ending == "delivered":
        when += timedelta(hours=rng.randint(1, 3), minutes=rng.randint(0, 59))
        shipment.refresh_from_db()
        shipment_deliver(
            shipment=shipment,
            recipient_name=(shipment.order.shipping_address or {}).get("recipient") or "本人",
            delivered_at=when,
            actor=users["dispatcher"],
        )


def _special_cases(ctx, rng, couriers, users) -> None:
    """One shipment per remaining status, and the cold chain."""
    from logistics.models import Shipment
    from logistics.services import shipment_cancel

    def fresh(n):
        return list(Shipment.objects.filter(status=Shipment.Status.PACKED).order_by("pk")[:n])

    cases = fresh(3)
    for shipment, ending in zip(cases, ["failed", "returned", "out_for_delivery"], strict=False):
        _travel(shipment, "", rng, couriers, users, ending=ending)
    planned = Shipment.objects.filter(status=Shipment.Status.PLANNED).order_by("pk").first()
    if planned is not None:
        shipment_cancel(shipment=planned, reason="客户要求合并发货", actor=users["dispatcher"])
    _cold_chain(ctx, rng, users)
    _dispatch_plan(ctx, rng, users)


def _cold_chain(ctx, rng, users) -> None:
    """A refrigerated shipment (2-8 °C) with a logger posting every 5 minutes
    for six hours; the reefer failed for half an hour: one breach."""
    from datetime import timedelta
    from decimal import Decimal

    from django.db.models import F
    from django.utils import timezone

    from inventory.models import StockMove
    from logistics.models import Shipment, ShipmentEvent
    from logistics.services import shipment_dispatch
    from logistics.services.tracking import device_create, telemetry_ingest

    shipment = (
        Shipment.objects.filter(status=Shipment.Status.PACKED, warehouse__code="SH01")
        .order_by("-pk")
        .first()
    )
    if shipment is None:
        return
    Shipment.objects.filter(pk=shipment.pk).update(
        temperature_min=Decimal("2"),
        temperature_max=Decimal("8"),
        humidity_min=Decimal("30"),
        humidity_max=Decimal("90"),
        note="冷链：2–8 °C",
    )
    reefer = Vehicle.objects.filter(depot=shipment.warehouse, refrigerated=True).first()
    shipment = shipment_dispatch(
        shipment=Shipment.objects.get(pk=shipment.pk),
        vehicle=reefer,
        carrier=reefer.carrier if reefer else None,
        tracking_number="",
        actor=users["dispatcher"],
    )
    device, token = device_create(
        device_id="LOGGER-0001", name="冷链温湿度记录仪 #1", shipment=shipment
    )
    ctx.data["device_token"] = token
    start = timezone.now() - timedelta(hours=6)
    # It left (and its history happened) just before the logger's first reading.
    left = start - timedelta(minutes=20)
    ShipmentEvent.objects.filter(shipment=shipment).update(
        occurred_at=F("occurred_at") - (timezone.now() - left)
    )
    Shipment.objects.filter(pk=shipment.pk).update(picked_up_at=left)
    StockMove.objects.filter(reference=shipment.number).update(created_at=left)
    lat, lon = float(shipment.warehouse.latitude), float(shipment.warehouse.longitude)
    readings = []
    for i in range(72):
        breach = 30 <= i < 37  # 35 minutes too warm
        celsius = (9.5 if breach else 4.5) + rng.uniform(-1, 1)
        readings.append(
            {
                "time": start + timedelta(minutes=5 * i),
                "latitude": round(lat + 0.004 * i, 6),
                "longitude": round(lon - 0.003 * i, 6),
                "temperature": Decimal(str(round(celsius, 1))),
                "humidity": Decimal(str(round(65 + rng.uniform(-5, 5), 1))),
            }
        )
    telemetry_ingest(device=device, readings=readings)


# Local deliveries for today's dispatch plan: district, street, latitude, longitude.
LOCAL_STOPS = [
    ("黄浦区", "南京东路300号", 31.2363, 121.4803),
    ("徐汇区", "漕溪北路88号", 31.1886, 121.4368),
    ("长宁区", "延安西路1118号", 31.2108, 121.4167),
    ("静安区", "南京西路1601号", 31.2252, 121.4457),
    ("普陀区", "曹杨路1040号", 31.2401, 121.4157),
    ("虹口区", "四川北路1318号", 31.2644, 121.4839),
    ("杨浦区", "五角场国定路335号", 31.3005, 121.5140),
    ("浦东新区", "世纪大道1192号", 31.2286, 121.5447),
    ("浦东新区", "张江高科碧波路690号", 31.2035, 121.5896),
    ("闵行区", "莘庄莘松路380号", 31.1113, 121.3853),
    ("宝山区", "友谊路1号", 31.4053, 121.4891),
    ("嘉定区", "城中路138号", 31.3838, 121.2502),
    ("松江区", "中山中路123号", 31.0324, 121.2277),
    ("青浦区", "公园路100号", 31.1508, 121.1243),
    ("奉贤区", "南桥镇解放东路88号", 30.9180, 121.4740),
    ("浦东新区", "川沙路5558号", 31.1907, 121.7024),
]


def _dispatch_plan(ctx, rng, users) -> None:
    """Today's plan for the Shanghai depot: store orders for home delivery
    across Shanghai, picked, packed and routed on the depot's vans."""
    from datetime import datetime, time, timedelta
    from decimal import Decimal

    from django.db.models import F
    from django.utils import timezone

    from crm.models import Customer
    from inventory.models import StockLevel
    from logistics.services import shipment_create
    from logistics.services.dispatch import plan_create, plan_solve
    from orders.models import Order, SalesChannel
    from orders.services import LineInput, order_confirm, order_create

    depot = ctx.data["warehouses"]["SH01"]
    channel = SalesChannel.objects.get(code="SHOP-SH")
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    levels = list(
        StockLevel.objects.filter(warehouse=depot, on_hand__gte=F("reserved") + 20)
        .select_related("product")
        .order_by("product__sku")[:30]
    )
    shipments = []
    customers = list(Customer.objects.order_by("code"))
    for index, (district, street, lat, lon) in enumerate(LOCAL_STOPS, start=1):
        customer = rng.choice(customers)
        level = rng.choice(levels)
        order, _created = order_create(
            channel=channel,
            external_ref=f"DEMO-LOCAL-{index:03d}",
            customer={"code": customer.code},
            shipping_address={
                "recipient": customer.name,
                "phone": customer.phone,
                "province": "上海市",
                "city": "上海市",
                "district": district,
                "street": street,
                "latitude": lat,
                "longitude": lon,
            },
            promised_date=today,
            lines=[
                LineInput(
                    product=level.product,
                    quantity=rng.randint(1, 4),
                    unit_price=level.product.list_price,
                )
            ],
            actor=users["clerk"],
        )
        if order.status == Order.Status.PENDING:
            order_confirm(order=order, actor=users["clerk"])
        opens = rng.choice([9, 9, 10, 13, 14])
        window_start = datetime.combine(today, time(opens), tz)
        shipments.append(
            shipment_create(
                order=order,
                warehouse=depot,
                destination=("上海市", Decimal(str(lat)), Decimal(str(lon))),
                window_start=window_start,
                planned_delivery_at=window_start + timedelta(hours=rng.choice([4, 5, 6])),
                actor=users["warehouse"],
            )
        )
    _pick_and_pack([], shipments, users)
    plan = plan_create(
        depot=depot,
        date=today,
        shipments=shipments,
        time_limit_seconds=2,
        actor=users["dispatcher"],
    )
    plan_solve(plan=plan, actor=users["dispatcher"])

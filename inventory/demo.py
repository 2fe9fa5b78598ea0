"""Demo warehouses in four cities and about 200 products across eight categories."""

from decimal import Decimal

from inventory.models import Product, StockMove, Warehouse
from inventory.services import product_create, stock_receive, warehouse_create

WAREHOUSES = [
    (
        "SH01",
        "上海中心仓",
        Warehouse.Kind.CENTRAL,
        "上海市",
        "上海市",
        "嘉定区马陆镇宝安公路2888号",
        "31.350000",
        "121.250000",
    ),
    (
        "BJ01",
        "北京区域仓",
        Warehouse.Kind.REGIONAL,
        "北京市",
        "北京市",
        "大兴区亦庄经济开发区科创十三街",
        "39.780000",
        "116.510000",
    ),
    (
        "GZ01",
        "广州区域仓",
        Warehouse.Kind.REGIONAL,
        "广东省",
        "广州市",
        "白云区太和镇物流园",
        "23.320000",
        "113.350000",
    ),
    (
        "CD01",
        "成都区域仓",
        Warehouse.Kind.THIRD_PARTY,
        "四川省",
        "成都市",
        "双流区西航港物流中心",
        "30.560000",
        "103.950000",
    ),
]

# category, SKU prefix, [(item, unit, price range, weight kg)], specs
CATALOGUE = [
    (
        "茶叶",
        "TEA",
        [
            ("西湖龙井", "box", (88, 688), "0.30"),
            ("安溪铁观音", "box", (68, 388), "0.30"),
            ("云南普洱饼茶", "pcs", (98, 998), "0.40"),
            ("福鼎白茶", "box", (128, 528), "0.30"),
        ],
        ["125g", "250g", "礼盒装", "罐装"],
    ),
    (
        "家电",
        "APL",
        [
            ("空气炸锅", "pcs", (299, 899), "4.50"),
            ("电饭煲", "pcs", (199, 1299), "3.80"),
            ("破壁料理机", "pcs", (399, 1599), "4.20"),
            ("电热水壶", "pcs", (79, 299), "1.20"),
        ],
        ["标准款", "Pro", "Max", "迷你款"],
    ),
    (
        "个护",
        "PCR",
        [
            ("电动牙刷", "pcs", (129, 699), "0.35"),
            ("吹风机", "pcs", (149, 2999), "0.80"),
            ("剃须刀", "pcs", (199, 1299), "0.40"),
        ],
        ["白色", "黑色", "礼盒装"],
    ),
    (
        "食品",
        "FOD",
        [
            ("五常大米", "kg", (39, 129), "5.00"),
            ("坚果礼盒", "box", (99, 299), "1.20"),
            ("阳澄湖大闸蟹券", "set", (398, 1288), "0.10"),
            ("金华火腿", "pcs", (168, 888), "2.50"),
        ],
        ["经典款", "家庭装", "礼盒装"],
    ),
    (
        "母婴",
        "BBY",
        [
            ("婴儿纸尿裤", "box", (99, 259), "2.20"),
            ("婴儿推车", "pcs", (699, 3999), "9.50"),
            ("奶瓶套装", "set", (89, 399), "0.60"),
        ],
        ["S码", "M码", "L码", "标准款"],
    ),
    (
        "数码配件",
        "DIG",
        [
            ("蓝牙耳机", "pcs", (99, 1499), "0.15"),
            ("移动电源", "pcs", (79, 399), "0.35"),
            ("快充充电器", "pcs", (49, 199), "0.12"),
            ("机械键盘", "pcs", (199, 999), "1.10"),
        ],
        ["白色", "黑色", "蓝色", "限定款"],
    ),
    (
        "家居",
        "HOM",
        [
            ("乳胶枕", "pcs", (129, 599), "1.50"),
            ("蚕丝被", "pcs", (599, 2999), "3.00"),
            ("香薰蜡烛", "pcs", (59, 259), "0.50"),
            ("收纳箱", "set", (49, 199), "2.00"),
        ],
        ["单人", "双人", "套装"],
    ),
    (
        "服饰",
        "APR",
        [
            ("羽绒服", "pcs", (499, 2599), "1.20"),
            ("真丝围巾", "pcs", (199, 899), "0.10"),
            ("运动鞋", "pcs", (299, 1299), "0.90"),
        ],
        ["S", "M", "L", "XL"],
    ),
]


def ean13(body12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


def seed(ctx) -> None:
    warehouses = {}
    for code, name, kind, province, city, address, lat, lng in WAREHOUSES:
        warehouse = Warehouse.objects.filter(code=code).first() or warehouse_create(
            code=code,
            name=name,
            kind=kind,
            province=province,
            city=city,
            address=address,
            latitude=Decimal(lat),
            longitude=Decimal(lng),
        )
        warehouses[code] = warehouse
    ctx.data["warehouses"] = warehouses
    ctx.report("warehouses", len(warehouses))

    rng = ctx.rng("inventory")
    target = ctx.options["products"]
    created = 0
    made = 0
    while made < target:
        for category, prefix, items, specs in CATALOGUE:
            for item, unit, (low, high), weight in items:
                for spec_index, spec in enumerate(specs):
                    if made >= target:
                        break
                    made += 1
                    sku = f"{prefix}-{made:04d}"
                    price = Decimal(rng.randrange(low, high + 1)) - Decimal("0.10")
                    cost = (price * Decimal(rng.randrange(45, 70)) / 100).quantize(
                        Decimal("0.0001")
                    )
                    reorder_point = rng.choice([10, 20, 30, 50])
                    if Product.objects.filter(sku=sku).exists():
                        continue
                    product_create(
                        sku=sku,
                        name=f"{item} {spec}",
                        barcode=ean13(f"690{rng.randrange(10**9):09d}") if spec_index < 3 else None,
                        unit=unit,
                        category=category,
                        weight_kg=Decimal(weight),
                        volume_m3=(Decimal(weight) / 200).quantize(Decimal("0.0001")),
                        list_price=price,
                        unit_cost=cost,
                        reorder_point=reorder_point,
                        safety_stock=reorder_point // 2,
                        reorder_quantity=reorder_point * 3,
                    )
                    created += 1
    ctx.report("products", Product.objects.count(), created)
    seed_stock(ctx)


OPENING_DAYS_AGO = 42


def seed_stock(ctx) -> None:
    """Opening stock: every product in two to four warehouses; some run low."""
    if StockMove.objects.exists():
        ctx.report("stock moves", StockMove.objects.count(), 0)
        return
    rng = ctx.rng("stock")
    warehouses = list(ctx.data["warehouses"].values())
    actor = ctx.data["users"].get("warehouse")
    created = 0
    for product in Product.objects.order_by("sku"):
        for warehouse in rng.sample(warehouses, rng.randint(2, len(warehouses))):
            low = rng.random() < 0.12
            quantity = (
                rng.randint(1, max(1, product.reorder_point))
                if low
                else rng.randint(product.reorder_point + 5, product.reorder_point * 6 + 20)
            )
            stock_receive(
                warehouse=warehouse,
                product=product,
                quantity=quantity,
                unit_cost=product.unit_cost,
                reference="OPENING",
                note="期初库存",
                actor=actor,
            )
            created += 1
    # The opening stock was there before the demo's orders (five weeks back),
    # so the stock ledger's history - and the inventory KPIs - start with it.
    from datetime import timedelta

    from django.utils import timezone

    StockMove.objects.filter(reference="OPENING").update(
        created_at=timezone.now() - timedelta(days=OPENING_DAYS_AGO)
    )
    ctx.report("stock moves", StockMove.objects.count(), created)
    seed_bins(ctx)


def seed_bins(ctx) -> None:
    """Bins (aisle-rack-level) in every warehouse; each product picked from
    one, products of a category side by side."""
    from inventory.models import Location, StockLevel

    if Location.objects.exists():
        ctx.report("bins", Location.objects.count(), 0)
        return
    codes = [
        f"{aisle}-{rack:02d}-{level}"
        for aisle in "ABCDEF"
        for rack in range(1, 9)
        for level in (1, 2, 3)
    ]
    for warehouse in ctx.data["warehouses"].values():
        Location.objects.bulk_create(Location(warehouse=warehouse, code=code) for code in codes)
        bins = list(Location.objects.filter(warehouse=warehouse).order_by("code"))
        levels = list(
            StockLevel.objects.filter(warehouse=warehouse).order_by(
                "product__category", "product__sku"
            )
        )
        for index, level in enumerate(levels):
            level.location = bins[index % len(bins)]
        StockLevel.objects.bulk_update(levels, ["location"])
    ctx.report("bins", Location.objects.count())

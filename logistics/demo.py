"""Demo carriers (the big parcel networks, a freight line, rail and our own
fleet) and our vehicles with their drivers at every warehouse."""

from decimal import Decimal

from logistics.models import Carrier
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
    from logistics.models import Driver, Vehicle
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

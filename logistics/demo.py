"""Demo carriers: the big parcel networks, a freight line, rail and our own fleet."""

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

"""Demo sales channels of every kind."""

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
    # Orders themselves (--orders N) are seeded once the orders capability lands.

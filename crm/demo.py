"""Demo customers: Chinese consumers and companies with addresses."""

from crm.models import Customer
from crm.services import customer_create

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "秀英",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "晨",
    "浩然",
    "子涵",
    "欣怡",
    "梓轩",
    "雨桐",
    "宇航",
    "思远",
    "佳怡",
    "一鸣",
    "诗涵",
    "博文",
    "雅琪",
    "俊杰",
    "婷婷",
    "志强",
    "海燕",
]
COMPANIES = [
    "上海锦程贸易有限公司",
    "北京华联商务有限公司",
    "广州悦达百货有限公司",
    "成都天府优品有限公司",
    "杭州西子实业有限公司",
    "深圳前海智选科技有限公司",
    "南京金陵酒店管理有限公司",
    "武汉长江餐饮管理有限公司",
    "苏州工业园区博雅办公用品有限公司",
    "重庆山城超市连锁有限公司",
]
# province, city, districts, postcode prefix
CITIES = [
    ("上海市", "上海市", ["浦东新区", "徐汇区", "静安区", "闵行区"], "200"),
    ("北京市", "北京市", ["朝阳区", "海淀区", "东城区", "丰台区"], "100"),
    ("广东省", "广州市", ["天河区", "越秀区", "海珠区", "番禺区"], "510"),
    ("广东省", "深圳市", ["南山区", "福田区", "宝安区", "龙岗区"], "518"),
    ("四川省", "成都市", ["锦江区", "武侯区", "高新区", "青羊区"], "610"),
    ("浙江省", "杭州市", ["西湖区", "上城区", "滨江区", "余杭区"], "310"),
    ("江苏省", "南京市", ["鼓楼区", "玄武区", "建邺区", "江宁区"], "210"),
    ("湖北省", "武汉市", ["武昌区", "江汉区", "洪山区", "汉阳区"], "430"),
]
STREETS = [
    "人民路",
    "解放路",
    "中山路",
    "建设路",
    "和平路",
    "新华路",
    "长江路",
    "科技路",
    "文化路",
    "世纪大道",
]
TIERS = (
    [Customer.Tier.STANDARD] * 12
    + [Customer.Tier.SILVER] * 5
    + [Customer.Tier.GOLD] * 2
    + [Customer.Tier.VIP]
)


def seed(ctx) -> None:
    rng = ctx.rng("crm")
    count = ctx.options["customers"]
    created = 0
    for index in range(1, count + 1):
        code = f"C{index:06d}"
        is_company = index % 12 == 0
        name = (
            COMPANIES[(index // 12) % len(COMPANIES)]
            if is_company
            else rng.choice(SURNAMES) + rng.choice(GIVEN)
        )
        phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
        province, city, districts, post = rng.choice(CITIES)
        address = {
            "recipient": name if not is_company else rng.choice(SURNAMES) + rng.choice(GIVEN),
            "phone": phone,
            "province": province,
            "city": city,
            "district": rng.choice(districts),
            "street": f"{rng.choice(STREETS)}{rng.randint(1, 999)}号",
            "postcode": f"{post}{rng.randint(0, 999):03d}",
        }
        tier = rng.choice(TIERS)
        consent = rng.random() < 0.6
        email = f"c{index:06d}@demo.example.com" if rng.random() < 0.7 else ""
        if Customer.objects.filter(code=code).exists():
            continue
        customer_create(
            code=code,
            name=name,
            kind=Customer.Kind.COMPANY if is_company else Customer.Kind.PERSON,
            phone=phone,
            email=email,
            tier=Customer.Tier.GOLD if is_company and tier == Customer.Tier.STANDARD else tier,
            marketing_consent=consent,
            address=address,
        )
        created += 1
    ctx.report("customers", Customer.objects.count(), created)

"""Where a delivery goes, roughly: coordinates of the cities we ship to most,
so allocation can prefer the nearest warehouse without a geocoding service."""

from math import asin, cos, radians, sin, sqrt

# city -> (latitude, longitude)
CITY_COORDINATES = {
    "北京市": (39.9042, 116.4074),
    "上海市": (31.2304, 121.4737),
    "广州市": (23.1291, 113.2644),
    "深圳市": (22.5431, 114.0579),
    "成都市": (30.5728, 104.0668),
    "重庆市": (29.5630, 106.5516),
    "杭州市": (30.2741, 120.1551),
    "南京市": (32.0603, 118.7969),
    "武汉市": (30.5928, 114.3055),
    "西安市": (34.3416, 108.9398),
    "天津市": (39.3434, 117.3616),
    "苏州市": (31.2990, 120.5853),
    "长沙市": (28.2282, 112.9388),
    "郑州市": (34.7466, 113.6254),
    "沈阳市": (41.8057, 123.4315),
    "青岛市": (36.0671, 120.3826),
    "宁波市": (29.8683, 121.5440),
    "厦门市": (24.4798, 118.0894),
    "福州市": (26.0745, 119.2965),
    "济南市": (36.6512, 117.1201),
    "合肥市": (31.8206, 117.2272),
    "昆明市": (25.0389, 102.7183),
    "哈尔滨市": (45.8038, 126.5350),
    "大连市": (38.9140, 121.6147),
    "南宁市": (22.8170, 108.3665),
    "贵阳市": (26.6470, 106.6302),
    "石家庄市": (38.0428, 114.5149),
    "太原市": (37.8706, 112.5489),
    "南昌市": (28.6820, 115.8579),
    "长春市": (43.8171, 125.3235),
    "东莞市": (23.0207, 113.7518),
    "佛山市": (23.0215, 113.1214),
    "无锡市": (31.4912, 120.3119),
    "海口市": (20.0440, 110.1999),
    "兰州市": (36.0611, 103.8343),
    "乌鲁木齐市": (43.8256, 87.6168),
}


def city_coordinates(city: str) -> tuple[float, float] | None:
    city = (city or "").strip()
    if not city:
        return None
    return CITY_COORDINATES.get(city) or CITY_COORDINATES.get(f"{city}市")


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(radians, (*a, *b))
    h = sin((lat2 - lat1) / 2) ** 2 + cos(lat1) * cos(lat2) * sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * asin(sqrt(h))

"""Hand-written response examples for the operations integrators use most.

Taken from real answers of the demo data set (`manage.py seed_demo`), trimmed
to one or two items per list. erp.core.api.schema.postprocess_schema puts them
on their operations in place of the examples it derives from the schema;
tests/api/test_schema.py checks each still matches its response schema, so a
serializer change that makes one wrong fails the suite.
"""


def page(*results) -> dict:
    """A list answer holding `results`, as the paginated endpoints give it."""
    return {"count": len(results), "next": None, "previous": None, "results": list(results)}


ORDER = {
    "number": "SO-20261127-00008",
    "status": "confirmed",
    "payment_status": "unpaid",
    "channel": "B2B",
    "external_ref": "DEMO-00008",
    "customer": {"code": "C000009", "name": "杜军"},
    "shipping_address": {
        "city": "南京市",
        "phone": "13787439106",
        "street": "新华路469号",
        "district": "玄武区",
        "postcode": "210541",
        "province": "江苏省",
        "recipient": "杜军",
    },
    "currency": "CNY",
    "subtotal": "3428.40",
    "discount_total": "20.00",
    "shipping_total": "0.00",
    "tax_total": "0.00",
    "total": "3408.40",
    "placed_at": "2026-11-27T06:37:55.842093+08:00",
    "promised_date": "2026-12-06",
    "priority_score": "4.219",
    "at_risk": False,
    "tracking_url": "https://erp.example.com/track/Hn5reRxOvHalU14IkxWNyQeo-RQEHzZw9p8TKF4en_M/",
    "lines": [
        {
            "line_no": 1,
            "sku": "TEA-0009",
            "name": "云南普洱饼茶 125g",
            "quantity": 3,
            "unit_price": "955.90",
            "discount": "5.00",
            "line_total": "2862.70",
            "quantity_reserved": 3,
            "quantity_backordered": 0,
            "quantity_shipped": 0,
            "quantity_returned": 0,
            "reservations": [{"warehouse": "BJ01", "quantity": 3, "status": "active"}],
        }
    ],
    "campaign_code": None,
    "events": [
        {
            "kind": "created",
            "from_status": "",
            "to_status": "pending",
            "reason": "来自 企业采购 的订单。",
            "by": "clerk",
            "visible_to_customer": True,
            "created_at": "2026-11-28T08:37:55.847162+08:00",
        },
        {
            "kind": "allocated",
            "from_status": "",
            "to_status": "",
            "reason": "TEA-0009 × 3 @ BJ01; TEA-0008 × 2 @ BJ01; TEA-0007 × 1 @ BJ01",
            "by": "clerk",
            "visible_to_customer": False,
            "created_at": "2026-11-28T08:37:55.855879+08:00",
        },
    ],
}

ORDER_PAGE = {
    "count": 1,
    "next": None,
    "previous": None,
    "results": [
        {
            "number": "SO-20261128-00086",
            "status": "in_fulfilment",
            "payment_status": "unpaid",
            "channel": "SHOP-SH",
            "external_ref": "DEMO-LOCAL-016",
            "customer": {"code": "C000005", "name": "万伟"},
            "shipping_address": {
                "city": "上海市",
                "phone": "16953548784",
                "street": "川沙路5558号",
                "district": "浦东新区",
                "postcode": "",
                "province": "上海市",
                "recipient": "万伟",
            },
            "currency": "CNY",
            "subtotal": "1115.80",
            "discount_total": "0.00",
            "shipping_total": "0.00",
            "tax_total": "0.00",
            "total": "1115.80",
            "placed_at": "2026-11-28T08:37:58.555760+08:00",
            "promised_date": "2026-11-28",
            "priority_score": "14.150",
            "at_risk": True,
            "tracking_url": "https://erp.example.com/track/iSVF63ePOuVuO9cG4tHY2HHJM2vV4prblrZtobPrva4/",
        }
    ],
}

CUSTOMER = {
    "code": "C000001",
    "name": "蒋涛",
    "kind": "person",
    "phone": "15296406120",
    "email": "",
    "tier": "silver",
    "language": "zh-hans",
    "marketing_consent": False,
    "consent_at": None,
    "consent_source": "",
    "account_manager": "manager",
    "tags": ["2026展会"],
    "note": "",
    "default_address": {
        "recipient": "蒋涛",
        "phone": "15296406120",
        "province": "广东省",
        "city": "广州市",
        "district": "海珠区",
        "street": "世纪大道632号",
        "postcode": "510325",
    },
    "merged_into": None,
    "created_at": "2026-11-28T08:37:55.268617+08:00",
    "updated_at": "2026-11-28T08:38:03.599451+08:00",
}

CUSTOMER_PAGE = page(CUSTOMER)

PRODUCT = {
    "sku": "TEA-0001",
    "name": "西湖龙井 125g",
    "barcode": "6909233369561",
    "unit": "box",
    "category": "茶叶",
    "weight_kg": "0.300",
    "volume_m3": "0.0015",
    "currency": "CNY",
    "unit_cost": "130.9770",
    "list_price": "207.90",
    "reorder_point": 20,
    "safety_stock": 10,
    "reorder_quantity": 60,
    "active": True,
    "created_at": "2026-11-28T08:37:55.338068+08:00",
    "updated_at": "2026-11-28T08:37:55.387586+08:00",
}

PRODUCT_PAGE = page(PRODUCT)

STOCK_LEVEL_PAGE = {
    "count": 1,
    "next": None,
    "previous": None,
    "results": [
        {
            "warehouse": "BJ01",
            "sku": "TEA-0002",
            "product_name": "西湖龙井 250g",
            "on_hand": 167,
            "reserved": 0,
            "available": 167,
            "reorder_point": 30,
            "is_low": False,
            "updated_at": "2026-11-28T08:37:55.395509+08:00",
        }
    ],
}

SHIPMENT = {
    "number": "SH-20261128-00031",
    "order": "SO-20261128-00086",
    "warehouse": "SH01",
    "status": "packed",
    "exception_from": "",
    "carrier": None,
    "vehicle": None,
    "tracking_number": "",
    "tracking_url": "",
    "weight_kg": "0.600",
    "volume_m3": "0.0030",
    "destination_city": "上海市",
    "destination_latitude": "31.190700",
    "destination_longitude": "121.702400",
    "planned_pickup_at": None,
    "picked_up_at": None,
    "window_start": "2026-11-28T09:00:00+08:00",
    "planned_delivery_at": "2026-11-28T13:00:00+08:00",
    "eta": "2026-11-28T13:00:00+08:00",
    "delivered_at": None,
    "temperature_min": None,
    "temperature_max": None,
    "humidity_min": None,
    "humidity_max": None,
    "distance_km": None,
    "co2e_kg": None,
    "freight_cost": None,
    "open_exception": False,
    "lines": [
        {
            "line": 1,
            "sku": "TEA-0002",
            "name": "西湖龙井 250g",
            "quantity": 2,
            "quantity_picked": 2,
            "quantity_packed": 2,
        }
    ],
    "created_at": "2026-11-28T08:37:58.571076+08:00",
    "allowed_transitions": ["cancelled", "dispatched"],
    "events": [
        {
            "occurred_at": "2026-11-28T08:37:58.578287+08:00",
            "kind": "status",
            "source": "staff",
            "external_id": "",
            "from_status": "",
            "to_status": "planned",
            "carrier_status": "",
            "location": "",
            "latitude": None,
            "longitude": None,
            "description": "已从 SH01 创建发货单，共 2 件。",
            "actor": "warehouse",
            "visible_to_customer": True,
            "recorded_at": "2026-11-28T08:37:58.578465+08:00",
        }
    ],
    "exceptions": [],
    "proof_of_delivery": None,
}

TICKET = {
    "number": "TK-20261128-00012",
    "subject": "退货运费谁承担",
    "customer": "C000002",
    "customer_name": "姜军",
    "order": "SO-20250622-H0005",
    "shipment": None,
    "kind": "inquiry",
    "channel": "chat",
    "category": "",
    "reason_code": "",
    "priority": "low",
    "status": "reopened",
    "team": "GENERAL",
    "assignee": "agent",
    "responsibility": "warehouse",
    "resolution_summary": "已为您补发新品。",
    "sla": {
        "policy": "低",
        "first_response_due_at": None,
        "first_responded_at": "2026-11-28T03:41:00.819875+08:00",
        "first_response_breached": False,
        "resolution_due_at": "2026-12-04T13:00:00+08:00",
        "resolution_breached": False,
        "paused": False,
        "state": "ok",
    },
    "created_at": "2026-11-28T02:41:00.819875+08:00",
    "resolved_at": None,
    "closed_at": None,
    "description": "质量问题退货运费怎么算？",
    "order_line": None,
    "contact_email": "",
    "contact_phone": "",
    "messages": [
        {
            "id": 26,
            "kind": "customer",
            "channel": "chat",
            "author": "姜军",
            "body": "质量问题退货运费怎么算？",
            "created_at": "2026-11-28T02:41:00.819875+08:00",
            "attachments": [],
        }
    ],
    "events": [
        {
            "kind": "created",
            "from_value": "",
            "to_value": "chat",
            "reason": "",
            "actor": None,
            "created_at": "2026-11-28T02:41:00.819875+08:00",
        }
    ],
    "returns": [],
    "repairs": [],
    "feedback": None,
    "allowed_transitions": ["in_progress", "resolved"],
}

ALERT_PAGE = {
    "count": 1,
    "next": None,
    "previous": None,
    "results": [
        {
            "number": "AL-20261128-00056",
            "kind": "shipment_delay",
            "severity": "critical",
            "status": "open",
            "subject_key": "shipment:15",
            "subject_label": "SH-20261128-00015 (SO-20261109-00014)",
            "subject_url": "/logistics/shipments/SH-20261128-00015/",
            "message": "计划于 2026-11-13 18:00 送达（已过 350 小时），目前仍为“已出库”。",
            "details": {
                "order": "SO-20261109-00014",
                "status": "dispatched",
                "shipment": "SH-20261128-00015",
                "planned_delivery_at": "2026-11-13T10:00:00+00:00",
            },
            "owner_role": "dispatcher",
            "owner": None,
            "raised_at": "2026-11-28T08:38:04.149908+08:00",
            "last_seen_at": "2026-11-28T08:38:04.149908+08:00",
            "cleared_at": None,
            "deadline": "2026-11-28T10:38:04.149908+08:00",
            "acknowledged_at": None,
            "acknowledged_by": None,
            "resolved_at": None,
            "resolved_by": None,
            "resolution_note": "",
            "escalated_at": None,
            "escalated_to_role": "",
        }
    ],
}

KPI_LIST = {
    "filter": {"from": "2026-10-30", "to": "2026-11-28", "channel": None, "warehouse": None},
    "built_through": "2026-11-28",
    "groups": {
        "ops": ["orders_placed", "on_time_delivery_rate", "order_cycle_time", "fill_rate"],
        "management": ["revenue", "orders_placed", "on_time_delivery_rate", "csat"],
    },
    "results": [
        {
            "key": "orders_placed",
            "label": "订单",
            "definition": "统计期内下单的订单数，不含已取消订单",
            "value": "57.00",
            "unit": "",
            "target": None,
            "status": "none",
            "numerator": None,
            "denominator": None,
            "drill_url": None,
        },
        {
            "key": "revenue",
            "label": "销售额",
            "definition": "统计期内下单订单的金额合计（不含已取消订单）",
            "value": "59173.90",
            "unit": "CNY",
            "target": None,
            "status": "none",
            "numerator": None,
            "denominator": None,
            "drill_url": None,
        },
        {
            "key": "on_time_delivery_rate",
            "label": "准时交付率",
            "definition": (
                "在承诺交期当天或之前签收的订单数 / 统计期内签收且有承诺交期的订单数 × 100"
            ),
            "value": "100.00",
            "unit": "%",
            "target": "95.00",
            "status": "green",
            "numerator": "7.00",
            "denominator": "7.00",
            "drill_url": None,
        },
    ],
}


# (method, path) -> {status: (summary, value)}
RESPONSE_EXAMPLES = {
    ("post", "/api/v1/orders/"): {
        "201": ("The new order", ORDER),
        "200": ("The same order submitted again: the existing one", ORDER),
    },
    ("get", "/api/v1/orders/"): {"200": ("A page of orders", ORDER_PAGE)},
    ("get", "/api/v1/orders/{number}/"): {"200": ("A confirmed order", ORDER)},
    ("post", "/api/v1/orders/{number}/confirm/"): {"200": ("Confirmed, stock reserved", ORDER)},
    ("get", "/api/v1/customers/"): {"200": ("A page of customers", CUSTOMER_PAGE)},
    ("post", "/api/v1/customers/"): {"201": ("The new customer", CUSTOMER)},
    ("get", "/api/v1/customers/{code}/"): {"200": ("A customer", CUSTOMER)},
    ("patch", "/api/v1/customers/{code}/"): {"200": ("The changed customer", CUSTOMER)},
    ("get", "/api/v1/products/"): {"200": ("A page of products", PRODUCT_PAGE)},
    ("post", "/api/v1/products/"): {"201": ("The new product", PRODUCT)},
    ("get", "/api/v1/products/{sku}/"): {"200": ("A product", PRODUCT)},
    ("get", "/api/v1/stock-levels/"): {
        "200": ("Stock of a product in a warehouse", STOCK_LEVEL_PAGE)
    },
    ("get", "/api/v1/shipments/{number}/"): {"200": ("A packed shipment", SHIPMENT)},
    ("get", "/api/v1/tickets/{number}/"): {"200": ("A reopened ticket", TICKET)},
    ("get", "/api/v1/alerts/"): {"200": ("A page of open alerts", ALERT_PAGE)},
    ("get", "/api/v1/kpis/"): {"200": ("KPIs of the last 30 days", KPI_LIST)},
}

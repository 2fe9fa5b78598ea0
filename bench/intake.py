"""Order intake through the full API path - OAuth2 token, Idempotency-Key,
validation, customer matching, reservation on an auto-confirming channel,
audit, outbox - against the baseline view (bench.urls) in the same run."""

import base64
import json
import time
import urllib.parse
import urllib.request

from bench.load import run_load
from bench.server import serve

CHANNEL = "BENCH"
SKUS = ("BENCH-1", "BENCH-2", "BENCH-3")
PHONE = "13900000000"


def prepare() -> dict:
    """A channel that confirms at once, three products with ample stock, one
    customer and an integration with orders:write; returns its credentials."""
    from crm.models import Customer
    from erp.core.services import integration_create
    from inventory.models import Product, StockLevel, Warehouse
    from orders.models import SalesChannel

    warehouse, _ = Warehouse.objects.get_or_create(
        code="BENCH",
        defaults={
            "name": "Bench warehouse",
            "kind": "central",
            "city": "上海市",
            "latitude": "31.230000",
            "longitude": "121.470000",
        },
    )
    SalesChannel.objects.update_or_create(
        code=CHANNEL,
        defaults={
            "name": "Bench channel",
            "kind": "api",
            "default_warehouse": warehouse,
            "auto_confirm": True,
            "allow_backorder": True,
            "active": True,
        },
    )
    for sku in SKUS:
        product, _ = Product.objects.get_or_create(
            sku=sku, defaults={"name": f"Bench {sku}", "list_price": "10.00"}
        )
        StockLevel.objects.update_or_create(
            warehouse=warehouse, product=product, defaults={"on_hand": 10_000_000, "reserved": 0}
        )
    Customer.objects.get_or_create(phone=PHONE, defaults={"name": "压测客户"})
    return integration_create(name=f"bench-{time.time_ns()}", scopes=["orders:write"])


def token(host: str, port: int, credentials: dict) -> str:
    basic = base64.b64encode(
        f"{credentials['client_id']}:{credentials['client_secret']}".encode()
    ).decode()
    request = urllib.request.Request(
        f"http://{host}:{port}/o/token/",
        data=urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
        headers={"Authorization": f"Basic {basic}"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        return json.loads(answer.read())["access_token"]


def order_body(run: str, client: int, n: int) -> bytes:
    return json.dumps(
        {
            "channel": CHANNEL,
            "external_ref": f"{run}-{client}-{n}",
            "customer": {"name": "压测客户", "phone": PHONE},
            "shipping_address": {
                "recipient": "压测客户",
                "phone": PHONE,
                "province": "上海市",
                "city": "上海市",
                "street": "世纪大道100号",
            },
            "lines": [
                {"sku": sku, "quantity": 1 + i, "unit_price": "10.00"} for i, sku in enumerate(SKUS)
            ],
        }
    ).encode()


def intake(database_url: str, redis_url: str, *, seconds: int, clients: list[int]) -> dict:
    credentials = prepare()
    results = {}
    with serve(database_url, redis_url, settings="bench.settings") as (host, port):
        bearer = token(host, port, credentials)
        api_headers = {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"}
        for count in clients:
            run = f"r{time.time_ns()}"

            def full(client, n, run=run):
                headers = {**api_headers, "Idempotency-Key": f"{run}-{client}-{n}"}
                return "POST", "/api/v1/orders/", order_body(run, client, n), headers

            def plain(client, n, run=run):
                body = order_body(f"b{run}", client, n)
                return "POST", "/bench/baseline/orders/", body, {"Content-Type": "application/json"}

            run_load(host, port, full, clients=count, seconds=2)  # warm-up
            api = run_load(host, port, full, clients=count, seconds=seconds).summary()
            baseline = run_load(host, port, plain, clients=count, seconds=seconds).summary()
            results[f"{count}_clients"] = {
                "full_api": api,
                "baseline": baseline,
                "ratio": round(api["throughput_per_s"] / baseline["throughput_per_s"], 3)
                if baseline["throughput_per_s"]
                else None,
            }
    return results

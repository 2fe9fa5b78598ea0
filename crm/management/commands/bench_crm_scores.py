"""Benchmark the nightly customer scoring (crm.services.scoring.customers_score).

Fills a throwaway data set set-based (INSERT ... SELECT over a number series:
generate_series on PostgreSQL, a recursive CTE on SQLite): its own sales
channel and product, N customers (a fifth without orders), M orders with two
lines each (one in 50 cancelled, one in 40 partly refunded), placed over the
last three years. Then times customers_score() (twice: the second run is the
steady nightly state with every score row present), prints a small table,
writes JSON under bench/results/ and deletes what it created.

    python manage.py bench_crm_scores --customers 100000 --orders 1000000

Run it against a database of its own (DATABASE_URL=.../erp_bench after
`migrate`). The order rows are written through the tables of the orders app
(reached through Customer.orders by name: crm imports no higher app).
"""

# SQL from table and column names and placeholders only.
# ruff: noqa: S608

import json
import os
import platform
import time
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from crm.models import Customer, CustomerScore, TierChange
from crm.services.scoring import customer_score_refresh, customers_score

PREFIX = "BENCH-"


def _order_model():
    """The order model, through the reverse relation Customer.orders (None without it)."""
    try:
        return Customer._meta.get_field("orders").related_model
    except FieldDoesNotExist:
        return None


def _series(count_param: str = "%s") -> str:
    """A derived table g(i) of 1..count."""
    if connection.vendor == "postgresql":
        return f"generate_series(CAST(1 AS BIGINT), CAST({count_param} AS BIGINT)) AS g(i)"
    return (
        f"(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s "
        f"WHERE i < {count_param}) SELECT i FROM s) AS g"
    )


def _days_ago(days_expr: str, now_param: str = "%s") -> str:
    if connection.vendor == "postgresql":
        return f"(CAST({now_param} AS timestamptz) - ({days_expr}) * INTERVAL '1 second')"
    return f"datetime({now_param}, '-' || ({days_expr}) || ' seconds')"


def _insert(model, exprs: dict[str, tuple[str, list]], source: str, source_params: list) -> int:
    """INSERT INTO model's table SELECT ... FROM source, with `exprs` for the
    named columns and each other column's default (or '' / NULL)."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    columns, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and isinstance(field, models.AutoField | models.BigAutoField):
            continue
        columns.append(field.column)
        if field.column in exprs:
            sql, sql_params = exprs[field.column]
            values.append(sql)
            params.extend(sql_params)
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values.append("%s")
            params.append(now)
        elif field.has_default() and not callable(field.default):
            values.append("%s")
            params.append(field.get_db_prep_save(field.default, connection))
        elif isinstance(field, models.JSONField):
            values.append("%s")
            params.append("{}")
        elif field.null:
            values.append("NULL")
        else:
            values.append("''")
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params + source_params)
        return cursor.rowcount


class Command(BaseCommand):
    help = "Benchmark the set-based customer scoring on a generated data set."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=100_000)
        parser.add_argument("--orders", type=int, default=1_000_000)
        parser.add_argument("--max-seconds", type=float, default=60.0, help="Fail above this.")
        parser.add_argument("--keep", action="store_true", help="Leave the data set in place.")
        parser.add_argument("--out", default="bench/results", help="Folder of the JSON result.")

    def handle(self, *args, customers, orders, max_seconds, keep, out, **options):
        if _order_model() is None:
            raise CommandError("the orders app is needed for order facts")
        if customers < 1 or orders < 0:
            raise CommandError("--customers must be at least 1 and --orders 0 or more")
        self.cleanup()
        self.stdout.write(f"filling {customers} customers, {orders} orders ...")
        started = time.monotonic()
        counts = self.fill(customers, orders)
        fill_seconds = time.monotonic() - started
        runs = []
        try:
            for label in ("first run (no scores yet)", "second run (nightly steady state)"):
                summary = customers_score()
                runs.append({"run": label, **summary})
            some = list(
                Customer.objects.filter(code__startswith=PREFIX)
                .order_by("pk")
                .values_list("pk", flat=True)[:: max(1, counts["customers"] // 10)]
            )
            summary = customer_score_refresh(customer_ids=some)
            runs.append({"run": f"refresh of {len(some)} customers", **summary})
        finally:
            if not keep:
                self.cleanup()
        result = {
            "benchmark": "crm.customers_score",
            "at": datetime.now().astimezone().isoformat(timespec="seconds"),
            "database": f"{connection.vendor} {self._db_version()}",
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}",
            "customers": counts["customers"],
            "orders": counts["orders"],
            "order_lines": counts["lines"],
            "refunds": counts["refunds"],
            "fill_seconds": round(fill_seconds, 1),
            "runs": runs,
            "max_seconds": max_seconds,
        }
        self.stdout.write(
            f"{'run':<36} {'customers':>10} {'tier changes':>13} {'seconds':>8}\n"
            + "\n".join(
                f"{r['run']:<36} {r['customers_scored']:>10} {r['tier_changes']:>13} "
                f"{r['seconds']:>8.2f}"
                for r in runs
            )
        )
        self.stdout.write(
            f"data: {counts['customers']} customers, {counts['orders']} orders, "
            f"{counts['lines']} lines, {counts['refunds']} refunds "
            f"(filled in {fill_seconds:.1f} s); {result['database']}; {result['machine']}"
        )
        folder = Path(settings.BASE_DIR) / out
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"crm-scores-{datetime.now():%Y%m%d-%H%M%S}.json"
        path.write_text(json.dumps(result, indent=2))
        self.stdout.write(f"written {path}")
        slowest = max(r["seconds"] for r in runs)
        if slowest > max_seconds:
            raise CommandError(f"scoring took {slowest:.1f} s, over {max_seconds:.0f} s")

    def _db_version(self) -> str:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SHOW server_version")
            else:
                cursor.execute("SELECT sqlite_version()")
            return cursor.fetchone()[0]

    @transaction.atomic
    def fill(self, n_customers: int, n_orders: int) -> dict:
        # Reached through the reverse relations by name: crm imports no higher app.
        Order = _order_model()
        OrderLine = Order._meta.get_field("lines").related_model
        Refund = Order._meta.get_field("refunds").related_model
        SalesChannel = Order._meta.get_field("channel").related_model
        Product = OrderLine._meta.get_field("product").related_model
        channel = SalesChannel.objects.create(code=f"{PREFIX}CH", name="bench", kind="web_store")
        product = Product.objects.create(sku=f"{PREFIX}SKU", name="bench product")
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        cat = "||"  # both databases concatenate with ||
        _insert(
            Customer,
            {
                "code": (f"%s {cat} CAST(i AS VARCHAR(12))", [PREFIX]),
                "name": (f"'bench customer ' {cat} CAST(i AS VARCHAR(12))", []),
                "phone": (f"'139' {cat} CAST(10000000 + i AS VARCHAR(12))", []),
            },
            _series(),
            [n_customers],
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT MIN(id), MAX(id) FROM crm_customer WHERE code LIKE %s", [f"{PREFIX}%"]
            )
            first_id, _last = cursor.fetchone()
        buyers = max(1, n_customers * 4 // 5)  # the last fifth never orders
        # A spread of customers: (i*i*7 + i) mod buyers gives some many orders, some few.
        customer_expr = f"{first_id} + ((i * i * 7 + i) %% {buyers})"
        placed = _days_ago("(i * 37) %% 1095 * 86400 + (i * 7919) %% 86400")
        if n_orders:
            _insert(
                Order,
                {
                    "number": (f"%s {cat} 'O' {cat} CAST(i AS VARCHAR(12))", [PREFIX]),
                    "tracking_token": (f"%s {cat} 'T' {cat} CAST(i AS VARCHAR(12))", [PREFIX]),
                    "channel_id": ("%s", [channel.pk]),
                    "customer_id": (customer_expr, []),
                    "subtotal": ("50 + (i * 13) %% 2000", []),
                    "total": ("50 + (i * 13) %% 2000", []),
                    "placed_at": (placed, [now]),
                    "status": (
                        "CASE WHEN i %% 50 = 0 THEN 'cancelled' ELSE 'completed' END",
                        [],
                    ),
                },
                _series(),
                [n_orders],
            )
            order_source = (
                "orders_order o CROSS JOIN (SELECT 1 AS n UNION ALL SELECT 2) l "
                "WHERE o.number LIKE %s"
            )
            _insert(
                OrderLine,
                {
                    "order_id": ("o.id", []),
                    "line_no": ("l.n", []),
                    "product_id": ("%s", [product.pk]),
                    "sku": ("%s", [product.sku]),
                    "name": ("%s", [product.name]),
                    "quantity": ("l.n", []),
                    "unit_price": ("o.total / 3", []),
                    "line_total": ("o.total * l.n / 3", []),
                    "unit_cost": ("o.total / 6", []),
                },
                order_source,
                [f"{PREFIX}%"],
            )
            _insert(
                Refund,
                {
                    "order_id": ("o.id", []),
                    "amount": ("o.total / 4 + 1", []),
                    "reason": ("'bench'", []),
                    "refunded_at": ("o.placed_at", []),
                },
                "orders_order o WHERE o.number LIKE %s AND o.id %% 40 = 0",
                [f"{PREFIX}%"],
            )
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                for table in ("crm_customer", "orders_order", "orders_orderline", "orders_refund"):
                    cursor.execute(f"ANALYZE {table}")
            counts = {}
            for key, sql in {
                "customers": "SELECT COUNT(*) FROM crm_customer WHERE code LIKE %s",
                "orders": "SELECT COUNT(*) FROM orders_order WHERE number LIKE %s",
                "lines": "SELECT COUNT(*) FROM orders_orderline WHERE sku LIKE %s",
                "refunds": "SELECT COUNT(*) FROM orders_refund r JOIN orders_order o "
                "ON o.id = r.order_id WHERE o.number LIKE %s",
            }.items():
                cursor.execute(sql, [f"{PREFIX}%"])
                counts[key] = cursor.fetchone()[0]
        return counts

    @transaction.atomic
    def cleanup(self) -> None:
        like = [f"{PREFIX}%"]
        orders_of_bench = "SELECT id FROM orders_order WHERE number LIKE %s"
        customers_of_bench = "SELECT id FROM crm_customer WHERE code LIKE %s"
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM orders_refund WHERE order_id IN ({orders_of_bench})", like)
            cursor.execute(
                f"DELETE FROM orders_orderline WHERE order_id IN ({orders_of_bench})", like
            )
            cursor.execute("DELETE FROM orders_order WHERE number LIKE %s", like)
            for model in (TierChange, CustomerScore):
                cursor.execute(
                    f"DELETE FROM {model._meta.db_table} WHERE customer_id IN "
                    f"({customers_of_bench})",
                    like,
                )
            cursor.execute("DELETE FROM crm_customer WHERE code LIKE %s", like)
            cursor.execute("DELETE FROM orders_saleschannel WHERE code LIKE %s", like)
            cursor.execute("DELETE FROM inventory_product WHERE sku LIKE %s", like)

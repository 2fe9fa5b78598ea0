"""100,000 order lines imported through the Celery task on PostgreSQL with
bounded memory: the file is streamed, units are committed in batches."""

import csv
import os
import re
import time
import tracemalloc
from contextlib import contextmanager

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from erp.core.models import TransferJob
from erp.core.tasks import transfer_run_task
from erp.core.transfers import transfer_import_create
from orders.models import Order, OrderLine
from tests.factories import ProductFactory, SalesChannelFactory, UserFactory

ORDERS = int(os.environ.get("BULK_ORDERS", "400"))
LINES = int(os.environ.get("BULK_LINES", "250"))  # 400 x 250 = 100,000 lines
SKUS = 50


def _probe() -> str:
    """How the peak is measured: tracemalloc (every Python allocation; slows
    the run about threefold) when BULK_TRACEMALLOC=1 or /proc is missing,
    else the process's peak resident memory (VmHWM, reset before the run) -
    which also counts C allocations (psycopg2, openpyxl's parser)."""
    if os.environ.get("BULK_TRACEMALLOC") == "1" or not os.path.exists("/proc/self/clear_refs"):
        return "tracemalloc"
    return "peak RSS"


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        return int(re.search(rf"{field}:\s+(\d+)", status.read()).group(1))


@contextmanager
def _peak_memory():
    """Yields a list that holds, after the block, the peak memory growth in bytes."""
    result = [0]
    if _probe() == "tracemalloc":
        tracemalloc.start()
        try:
            yield result
        finally:
            result[0] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        return
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # the peak (VmHWM) starts again from the current size
    baseline = _status_kb("VmRSS")
    yield result
    result[0] = (_status_kb("VmHWM") - baseline) * 1024


def _write_file(path) -> int:
    columns = [
        "channel", "external_ref", "customer_name", "phone", "city", "street",
        "sku", "quantity", "unit_price",
    ]  # fmt: skip
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for order in range(ORDERS):
            phone = f"139{order % 500:08d}"  # 500 buyers, matched not duplicated
            for line in range(LINES):
                head = ["BULK", f"B-{order:06d}"]
                buyer = [f"买家{order % 500}", phone, "上海市", f"世纪大道{order}号"]
                writer.writerow([*head, *(buyer if line == 0 else [""] * 4),
                                 f"SKU-{line % SKUS:03d}", 1 + line % 3, "9.90"])  # fmt: skip
    return os.path.getsize(path)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_100k_order_lines_import_with_bounded_memory(tmp_path, monkeypatch):
    # Queue nothing on commit: the test runs the task itself, as a worker would.
    monkeypatch.setattr("erp.core.transfers._queue", lambda job: None)
    SalesChannelFactory(code="BULK")
    for n in range(SKUS):
        ProductFactory(sku=f"SKU-{n:03d}")
    user = UserFactory(roles=["order_clerk"])
    path = tmp_path / "orders.csv"
    size = _write_file(path)
    with open(path, "rb") as handle:
        upload = SimpleUploadedFile("orders.csv", b"")
        upload.file = handle
        upload.size = size
        job = transfer_import_create(kind="orders", upload=upload, dry_run=False, actor=user)
    started = time.monotonic()
    with _peak_memory() as peak:
        transfer_run_task.apply(args=[job.pk]).get()
    elapsed = time.monotonic() - started
    peak = peak[0]
    job.refresh_from_db()
    print(f"\n{ORDERS * LINES} lines, {size / 1e6:.1f} MB file: {elapsed:.1f} s, "
          f"peak memory growth {peak / 1e6:.1f} MB ({_probe()})")  # fmt: skip
    assert job.status == TransferJob.Status.DONE, job.error
    assert job.rows_total == job.rows_done == ORDERS * LINES
    assert job.created_count == ORDERS and job.error_count == 0
    assert Order.objects.filter(channel__code="BULK").count() == ORDERS
    assert OrderLine.objects.count() == ORDERS * LINES
    assert peak < 50 * 1024 * 1024
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT customer_id) FROM orders_order")
        assert cursor.fetchone()[0] == min(ORDERS, 500)

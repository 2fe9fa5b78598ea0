"""Calibration printed with every result, so runs on different days or
machines compare as ratios: pgbench on the same PostgreSQL, and the rate of
/healthz (a database, cache and broker check) through the same gunicorn."""

import re
import shutil
import subprocess
from urllib.parse import urlsplit

from bench.load import run_load
from bench.server import serve


def _pg_args(database_url: str) -> tuple[list[str], str]:
    url = urlsplit(database_url)
    args = ["-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432)]
    args += ["-U", url.username or "postgres"]
    return args, url.path.lstrip("/")


def pgbench(database_url: str, *, seconds: int = 10, clients: int = 4) -> dict:
    """TPC-B-like and select-only pgbench runs on a scale-10 pgbench database
    beside the bench database (`<name>_pgbench`), built once."""
    binary = shutil.which("pgbench")
    if binary is None:
        return {"skipped": "pgbench is not installed"}
    args, name = _pg_args(database_url)
    database = f"{name}_pgbench"
    createdb = shutil.which("createdb") or "createdb"
    subprocess.run([createdb, *args, database], capture_output=True, check=False)  # noqa: S603
    subprocess.run(  # noqa: S603
        [binary, *args, "-i", "-s", "10", "-q", database], capture_output=True, check=True
    )
    results = {}
    for mode, extra in (("tpcb", []), ("select_only", ["-S"])):
        run = subprocess.run(  # noqa: S603
            [binary, *args, *extra, "-c", str(clients), "-j", "2", "-T", str(seconds), database],
            capture_output=True,
            text=True,
            check=True,
        )
        tps = re.search(r"tps = ([\d.]+)", run.stdout)
        latency = re.search(r"latency average = ([\d.]+) ms", run.stdout)
        results[mode] = {
            "tps": float(tps.group(1)) if tps else None,
            "latency_ms": float(latency.group(1)) if latency else None,
            "clients": clients,
            "seconds": seconds,
        }
    return results


def healthz(database_url: str, redis_url: str, *, seconds: int = 10, clients: int = 8) -> dict:
    with serve(database_url, redis_url) as (host, port):
        run_load(host, port, lambda c, n: ("GET", "/healthz", None, {}), clients=2, seconds=2)
        result = run_load(
            host, port, lambda c, n: ("GET", "/healthz", None, {}), clients=clients, seconds=seconds
        )
    return result.summary()

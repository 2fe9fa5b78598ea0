"""`python -m bench.run`: the benchmarks, one JSON file per run under
bench/results/, and a Markdown table at the end.

    BENCH_DATABASE_URL  PostgreSQL database of its own (default erp_bench)
    BENCH_REDIS_URL     Redis database of its own (default db 5)
"""

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import calibrate, intake

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/erp_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/5"


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def migrate(database_url: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "DATABASE_URL": database_url},
        check=True,
    )


def markdown(results: dict) -> str:
    rows = ["| benchmark | figure |", "|---|---|"]
    cal = results.get("calibration", {})
    for mode, figures in cal.get("pgbench", {}).items():
        if isinstance(figures, dict):
            rows.append(
                f"| pgbench {mode} ({figures['clients']} clients) | "
                f"{figures['tps']:.0f} tps, {figures['latency_ms']} ms average |"
            )
    health = cal.get("healthz")
    if health:
        rows.append(
            f"| /healthz ({health['clients']} clients) | {health['throughput_per_s']} req/s, "
            f"p50 {health['p50_ms']} ms, p99 {health['p99_ms']} ms, {health['errors']} errors |"
        )
    for clients, figures in results.get("intake", {}).items():
        api, base = figures["full_api"], figures["baseline"]
        rows.append(
            f"| order intake, full API ({clients.replace('_', ' ')}) | "
            f"{api['throughput_per_s']} orders/s, p50 {api['p50_ms']} ms, "
            f"p95 {api['p95_ms']} ms, p99 {api['p99_ms']} ms, {api['errors']} errors |"
        )
        rows.append(
            f"| order intake, plain view baseline ({clients.replace('_', ' ')}) | "
            f"{base['throughput_per_s']} orders/s, p99 {base['p99_ms']} ms, "
            f"{base['errors']} errors; full API / baseline = {figures['ratio']} |"
        )
    return "\n".join(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="length of each timed run")
    parser.add_argument(
        "--only", choices=["calibration", "intake"], action="append", help="run only these parts"
    )
    args = parser.parse_args(argv)
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)
    migrate(database_url)
    os.environ.update(DATABASE_URL=database_url, REDIS_URL=redis_url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "erp.settings")
    import django

    django.setup()
    parts = set(args.only or ["calibration", "intake"])
    results = {"started_at": datetime.now(UTC).isoformat(), "machine": machine()}
    if "calibration" in parts:
        results["calibration"] = {
            "pgbench": calibrate.pgbench(database_url, seconds=args.seconds),
            "healthz": calibrate.healthz(database_url, redis_url, seconds=args.seconds),
        }
    if "intake" in parts:
        results["intake"] = intake.intake(
            database_url, redis_url, seconds=args.seconds, clients=[8, 32]
        )
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2))
    print(markdown(results))
    print(f"\nFull results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

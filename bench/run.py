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

from bench import calibrate

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
    return "\n".join(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="length of each timed run")
    args = parser.parse_args(argv)
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)
    migrate(database_url)
    results = {
        "started_at": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "calibration": {
            "pgbench": calibrate.pgbench(database_url, seconds=args.seconds),
            "healthz": calibrate.healthz(database_url, redis_url, seconds=args.seconds),
        },
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2))
    print(markdown(results))
    print(f"\nFull results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

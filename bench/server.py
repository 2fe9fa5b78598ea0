"""The app under test: gunicorn serving erp.wsgi with production settings
(DEBUG off) against the bench database, started and stopped by the run."""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(database_url: str, redis_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SECRET_KEY": f"bench-{secrets.token_urlsafe(40)}",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # The load generator is one client: the per-client limit would
        # measure the throttle, not the app.
        "API_THROTTLE_CLIENT": "1000000/min",
        "API_THROTTLE_ANON": "1000000/min",
        # whitenoise warns once per worker that collectstatic has not run.
        "PYTHONWARNINGS": "ignore:No directory at",
    }


@contextmanager
def serve(
    database_url: str, redis_url: str, *, workers: int = 2, threads: int = 1, settings: str = ""
):
    """Yield (host, port) of a running gunicorn; stop it afterwards."""
    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(  # noqa: S603 (our own venv's gunicorn, fixed arguments)
        [
            str(gunicorn),
            "erp.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={
            **app_env(database_url, redis_url),
            **({"DJANGO_SETTINGS_MODULE": settings} if settings else {}),
        },
    )
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not answer /healthz within 20 s")
        yield "127.0.0.1", port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()

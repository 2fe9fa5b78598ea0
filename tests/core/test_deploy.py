"""Production settings: `check --deploy` is clean and a missing SECRET_KEY stops start-up."""

import os
import subprocess
import sys

from django.conf import settings

PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "SECRET_KEY": "x" * 20 + "-production-like-secret-key-with-enough-entropy-1234567890",
    "ALLOWED_HOSTS": "erp.example.com",
    "DJANGO_SETTINGS_MODULE": "erp.settings",
}


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={k: v for k, v in {**os.environ, **env}.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_no_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    env["SECRET_KEY"] = ""
    result = manage("check", env={**env})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr

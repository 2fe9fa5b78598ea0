import pytest
from django.conf import settings

from erp.celery import app


@pytest.mark.django_db
def test_healthz_reports_each_dependency(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["cache"]["ok"] and body["broker"]["ok"]
    engine = settings.DATABASES["default"]["ENGINE"]
    assert body["database"]["detail"] == ("postgresql" if "postgresql" in engine else "sqlite")
    if settings.REDIS_URL:  # CI: the real broker is checked
        assert body["broker"]["detail"] == "redis"


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_unreachable(client):
    configured = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = configured
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["broker"]["ok"] is False
    assert body["database"]["ok"] is True

"""Idempotency-Key on POST: replay, 422 on a different body, 409 while in
flight, scoped per client, kept 24 hours."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.request import Request

from crm.models import Customer
from erp.core.idempotency import idempotency_claim, idempotency_keys_purge, request_fingerprint
from erp.core.models import IdempotencyKey

BODY = {"name": "王芳", "phone": "13800138000"}


def post(api, body=BODY, key="order-42"):
    return api.post("/api/v1/customers/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
def test_same_key_and_body_replays_the_first_response(integration):
    api = integration("crm:write")
    first = post(api)
    second = post(api)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Customer.objects.filter(phone="13800138000").count() == 1


@pytest.mark.django_db
def test_same_key_with_different_body_is_422(integration):
    api = integration("crm:write")
    assert post(api).status_code == 201
    response = post(api, {**BODY, "name": "王芳芳"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in error["fields"]
    assert Customer.objects.count() == 1


@pytest.mark.django_db
def test_key_order_and_whitespace_in_json_do_not_count_as_a_different_body(integration):
    api = integration("crm:write")
    assert post(api).status_code == 201
    reordered = api.generic(
        "POST",
        "/api/v1/customers/",
        '{ "phone": "13800138000",   "name": "王芳" }',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="order-42",
    )
    assert reordered.status_code == 201
    assert reordered["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_retry_while_the_first_is_in_flight_is_409(integration):
    api = integration("crm:write")
    # Claim the key exactly as the first request would, and leave it running.
    raw = RequestFactory().post("/api/v1/customers/", BODY, content_type="application/json")
    application_id = api.integration_application_id = _application_id(api)
    idempotency_claim(
        scope=f"client:{application_id}",
        key="order-42",
        fingerprint=request_fingerprint(Request(raw)),
    )
    response = post(api)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_flight"
    assert Customer.objects.count() == 0


def _application_id(api) -> int:
    from oauth2_provider.models import Application

    return Application.objects.get(client_id=api.integration["client_id"]).pk


@pytest.mark.django_db
def test_keys_are_scoped_per_client(integration):
    tmall, jd = integration("crm:write"), integration("crm:write")
    assert post(tmall, {"name": "甲", "phone": "13800000001"}).status_code == 201
    response = post(jd, {"name": "乙", "phone": "13800000002"})
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Customer.objects.count() == 2


@pytest.mark.django_db
def test_staff_session_keys_are_scoped_per_user(staff_api):
    clerk_a, clerk_b = staff_api("order_clerk"), staff_api("order_clerk")
    assert post(clerk_a).status_code == 201
    assert post(clerk_b, {"name": "李雷", "phone": "13800000003"}).status_code == 201


@pytest.mark.django_db
def test_error_responses_are_replayed_too_and_write_nothing(integration):
    api = integration("crm:write")
    bad = {"name": "", "phone": "13800138000"}
    first = post(api, bad, key="bad-1")
    second = post(api, bad, key="bad-1")
    assert first.status_code == second.status_code == 400
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_keys_expire_after_24_hours(integration):
    api = integration("crm:write")
    assert post(api).status_code == 201
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    again = post(api, {"name": "王芳", "phone": "13800138001"})
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert Customer.objects.count() == 2


@pytest.mark.django_db
def test_a_key_is_kept_for_24_hours():
    claim = idempotency_claim(scope="user:1", key="k", fingerprint="f")
    ttl = claim.expires_at - claim.created_at
    assert timedelta(hours=23, minutes=59) < ttl <= timedelta(hours=24)


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "键"])
def test_malformed_keys_are_400(integration, key):
    api = integration("crm:write")
    response = post(api, key=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_purge_forgets_expired_keys_and_is_safe_twice():
    now = timezone.now()
    IdempotencyKey.objects.create(scope="s", key="old", fingerprint="f", expires_at=now)
    IdempotencyKey.objects.create(
        scope="s", key="new", fingerprint="f", expires_at=now + timedelta(hours=1)
    )
    assert idempotency_keys_purge(now=now) == 1
    assert idempotency_keys_purge(now=now) == 0
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db
def test_run_due_jobs_runs_the_purge(capsys):
    IdempotencyKey.objects.create(
        scope="s", key="old", fingerprint="f", expires_at=timezone.now() - timedelta(hours=1)
    )
    call_command("run_due_jobs")
    out = capsys.readouterr().out
    assert "ok purge-idempotency-keys" in out
    assert "ok clear-expired-sessions" in out
    assert not IdempotencyKey.objects.exists()
    call_command("run_due_jobs")  # a second run finds nothing and still succeeds

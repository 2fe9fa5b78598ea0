"""Edges found in review: refused calls are throttled, permissions fail closed,
unreplayable responses free their key, a dead request's key is taken over,
proxies are trusted only as configured, no redirect swallows a POST."""

from datetime import timedelta

import pytest
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from crm.models import Customer
from erp.core.api.views import ReadOnlyViewSet
from erp.core.idempotency import idempotency_claim, idempotency_complete
from erp.core.models import AuditEvent, IdempotencyKey
from erp.core.services import client_ip


@pytest.mark.django_db
def test_refused_anonymous_calls_are_throttled(monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "5/min", "client": "5/min"})
    client = APIClient()
    codes = [client.get("/api/v1/customers/").status_code for _ in range(8)]
    assert codes == [401] * 5 + [429] * 3
    assert AuditEvent.objects.filter(kind="unauthenticated").count() == 5


@pytest.mark.django_db
def test_spoofed_forwarded_for_does_not_dodge_the_throttle(monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "client": "3/min"})
    client = APIClient()
    codes = [
        client.get("/api/v1/customers/", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code
        for i in range(5)
    ]
    assert codes.count(429) == 2


class _NoQuerysetView(ReadOnlyViewSet):
    scope_domain = "crm"

    def get_queryset(self):
        return None

    def list(self, request):
        return Response({"secret": True})


@pytest.mark.django_db
def test_session_permission_fails_closed_when_nothing_is_declared(make_user):
    request = RequestFactory().get("/x/")
    request.user = make_user()  # signed in, no role
    from rest_framework.request import Request

    from erp.core.api.permissions import ScopeOrModelPermission

    view = _NoQuerysetView()
    view.action = "list"
    drf_request = Request(request)
    drf_request.user = request.user
    assert ScopeOrModelPermission().has_permission(drf_request, view) is False


@pytest.mark.django_db
def test_a_response_that_cannot_be_replayed_frees_its_key():
    from django.http import HttpResponse

    claim = idempotency_claim(scope="user:1", key="csv", fingerprint="f")
    idempotency_complete(claim=claim, response=HttpResponse("a,b\n", content_type="text/csv"))
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_a_dead_requests_key_is_taken_over_after_the_timeout(integration, settings):
    api = integration("crm:write")
    body = {"name": "周", "phone": "13900000009"}
    first = api.post("/api/v1/customers/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 201
    # Make it look as if a first request died while in flight long ago.
    IdempotencyKey.objects.update(
        state=IdempotencyKey.State.IN_FLIGHT,
        created_at=timezone.now() - settings.IDEMPOTENCY_IN_FLIGHT_TIMEOUT - timedelta(seconds=1),
    )
    Customer.objects.all().delete()
    retry = api.post("/api/v1/customers/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert retry.status_code == 201
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "1.2.3.4", "10.9.9.9"),  # no proxy trusted: the header is ignored
        (1, "1.2.3.4", "1.2.3.4"),
        (1, "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # a client-forged first entry is skipped
        (2, "1.2.3.4, 172.16.0.2", "1.2.3.4"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(proxies, forwarded, expected):
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.9.9.9")
    with override_settings(PROXY_COUNT=proxies):
        assert client_ip(request) == expected


@pytest.mark.django_db
def test_post_without_trailing_slash_is_served_not_redirected(integration):
    api = integration("crm:write")
    response = api.post("/api/v1/customers", {"name": "吴", "phone": "13900000010"}, format="json")
    assert response.status_code == 201


@pytest.mark.django_db
def test_api_root_redirects_get_and_answers_other_methods_in_the_error_format():
    client = Client(enforce_csrf_checks=True)
    assert client.get("/api/")["Location"] == "/api/docs/"
    response = client.post("/api/", {})
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.django_db
def test_session_post_without_csrf_token_is_refused(make_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(make_user("order_clerk"))
    response = client.post(
        "/api/v1/customers/", {"name": "x", "phone": "13900000011"}, format="json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_health_check_tells_no_secrets_and_answers_head(client):
    assert client.head("/healthz").status_code == 200


@pytest.mark.django_db
def test_audit_events_cannot_be_deleted_in_the_back_office(role_client):
    from erp.core.services import audit_event_record

    event = audit_event_record(kind="denied", username="x")
    response = role_client("admin").post(
        f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()

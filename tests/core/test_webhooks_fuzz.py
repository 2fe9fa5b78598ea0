"""Schemathesis over the webhook operations only (the whole-API run is in
tests/api/test_fuzz.py): no 5xx and schema-conformant answers, with a real
subscription and delivery in the database so the path keys hit records."""

import uuid

import pytest
import schemathesis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception
from django.utils import timezone
from schemathesis import GenerationMode

from erp.core.models import WebhookDelivery
from erp.core.webhooks import webhook_subscription_create
from tests.api.conftest import generated_schema
from tests.api.test_fuzz import _record_exception, _run_operation

pytestmark = pytest.mark.django_db(transaction=True)


def test_webhook_operations_survive_the_fuzzer(integration, monkeypatch):
    monkeypatch.setattr("erp.core.webhooks.services._queue", lambda ids: None)
    subscription = webhook_subscription_create(
        name="fuzz", url="https://hooks.example.com/x", event_types=["*"]
    )
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        event_id=uuid.uuid4(),
        event_type="order.created",
        body='{"id": "x"}',
        status="failed",
        give_up_at=timezone.now(),
    )
    client = integration(" ".join(settings.OAUTH2_PROVIDER["SCOPES"]))
    headers = {"Authorization": f"Bearer {client.credentials_token}"}
    schema = schemathesis.openapi.from_dict(generated_schema())
    schema.app = WSGIHandler()
    operations = [
        result.ok() for result in schema.get_all_operations() if "/webhook" in result.ok().path
    ]
    assert len(operations) >= 11
    failures: dict[str, str] = {}
    got_request_exception.connect(_record_exception)
    try:
        for operation in operations:
            keys = None
            if "{id}" in operation.path:
                real = delivery.pk if "deliveries" in operation.path else subscription.pk
                keys = {"id": str(real)}
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _run_operation(
                    operation, headers=headers, path_parameters=None, failures=failures, mode=mode
                )
            if keys:
                _run_operation(operation, headers=headers, path_parameters=keys, failures=failures)
    finally:
        got_request_exception.disconnect(_record_exception)
    report = "\n".join(f"{s}\n    e.g. {e}" for s, e in sorted(failures.items()))
    assert not failures, f"{len(failures)} distinct failures:\n{report}"

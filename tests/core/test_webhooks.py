"""Outbound webhooks (erp.core.webhooks) against a real HTTP receiver on
127.0.0.1: signed deliveries, retries with backoff driven by the sweeper
with the clock moved forward, the delivery log, giving up and disabling with
a notice to admins, replay, and the address checks."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone, translation

from erp.core.models import (
    AuditEvent,
    Notification,
    WebhookDelivery,
    WebhookSubscription,
)
from erp.core.outbox import outbox_emit, outbox_relay
from erp.core.webhooks import (
    WebhookConflict,
    WebhookInvalid,
    signature_verify,
    webhook_deliver,
    webhook_outbox_handler,
    webhook_replay,
    webhook_replay_bulk,
    webhook_subscription_create,
    webhook_subscription_enable,
    webhook_subscription_pause,
    webhook_sweep,
)

pytestmark = pytest.mark.django_db

SECRET = "test-secret-0123456789"


class Receiver(ThreadingHTTPServer):
    """Answers each POST with the next status of `script` (then 200) and
    keeps what it was sent."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script: list[int] = []
        self.seen: list[tuple[dict, bytes]] = []
        self.answered: list[int] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/hooks/erp"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        server = self.server
        status = server.script.pop(0) if server.script else 200
        server.seen.append(({k.lower(): v for k, v in self.headers.items()}, body))
        server.answered.append(status)
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
        answer = b'{"ok": true}' if status < 300 else b"receiver is down"
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def english():
    """Messages stored by the services in English, for the assertions."""
    with translation.override("en"):
        yield


def subscribe(receiver, types=("order.confirmed",), **kwargs):
    return webhook_subscription_create(
        name=kwargs.pop("name", "3PL"),
        url=kwargs.pop("url", receiver.url),
        event_types=list(types),
        secret=kwargs.pop("secret", SECRET),
        **kwargs,
    )


def emit(type="order.confirmed", order_id=42):
    with transaction.atomic():
        return outbox_emit(
            type=type,
            aggregate=("orders.order", order_id),
            payload={"order_id": order_id, "number": f"SO-{order_id}", "status": "confirmed"},
        )


def relay(capture):
    """The relay, with the callbacks it leaves for after commit run (the
    deliveries it queued are sent at once: Celery is eager in tests)."""
    with capture(execute=True):
        outbox_relay()


def test_receiver_failing_three_times_gets_the_event_once_with_every_attempt_logged(
    receiver, django_capture_on_commit_callbacks
):
    receiver.script = [500, 500, 500]  # then 200
    subscription = subscribe(receiver)
    event = emit()

    relay(django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    first_retry = delivery.next_attempt_at
    assert timezone.now() < first_retry <= timezone.now() + timedelta(seconds=31)

    # The sweeper (beat, every minute) with the clock moved past each backoff.
    now = timezone.now()
    for _ in range(3):
        now += timedelta(hours=1, seconds=1)
        assert webhook_sweep(now=now) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 4, 200)
    assert delivery.delivered_at == now and delivery.next_attempt_at is None

    # Nothing is due any more; a second relay run queues nothing new.
    assert webhook_sweep(now=now + timedelta(hours=2)) == 0
    relay(django_capture_on_commit_callbacks)
    assert WebhookDelivery.objects.count() == 1
    assert receiver.answered == [500, 500, 500, 200]

    # The receiver saw the same event (id, body) every time and took it once.
    ids = {headers["x-erp-event-id"] for headers, _body in receiver.seen}
    assert ids == {str(event.event_id)}
    assert len({body for _headers, body in receiver.seen}) == 1
    payload = json.loads(receiver.seen[-1][1])
    assert payload == {
        "id": str(event.event_id),
        "type": "order.confirmed",
        "occurred_at": payload["occurred_at"],
        "resource": {"type": "orders.order", "id": "42"},
        "data": {"order_id": 42, "number": "SO-42", "status": "confirmed"},
    }
    assert payload["occurred_at"].endswith("Z")
    assert [h["x-erp-attempt"] for h, _b in receiver.seen] == ["1", "2", "3", "4"]
    assert {h["x-erp-event"] for h, _b in receiver.seen} == {"order.confirmed"}

    # Every attempt is in the log: number, time, status code, response time.
    log = list(delivery.attempt_log.order_by("number"))
    assert [(a.number, a.status_code, a.success) for a in log] == [
        (1, 500, False),
        (2, 500, False),
        (3, 500, False),
        (4, 200, True),
    ]
    assert all(a.duration_ms >= 0 for a in log)
    assert [a.error for a in log] == ["HTTP 500"] * 3 + [""]
    assert log[0].response_excerpt == "receiver is down"
    assert log[0].started_at < log[1].started_at < log[2].started_at < log[3].started_at
    subscription.refresh_from_db()
    assert (subscription.consecutive_failures, subscription.last_status_code) == (0, 200)
    assert subscription.status == WebhookSubscription.Status.ACTIVE


def test_each_post_is_signed_with_hmac_sha256_over_timestamp_and_body(
    receiver, django_capture_on_commit_callbacks
):
    subscribe(receiver)
    emit()
    relay(django_capture_on_commit_callbacks)
    headers, body = receiver.seen[0]
    signature = headers["x-erp-signature"]
    parts = dict(item.split("=", 1) for item in signature.split(","))
    assert parts["t"] == headers["x-erp-timestamp"]
    # What a receiver computes, by hand: HMAC-SHA256(secret, "<t>.<raw body>").
    expected = hmac.new(
        SECRET.encode(), parts["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)
    assert signature_verify(secret=SECRET, header=signature, body=body)
    # A wrong secret, a changed body or an old timestamp does not verify.
    assert not signature_verify(secret="another-secret-0000", header=signature, body=body)
    assert not signature_verify(secret=SECRET, header=signature, body=body + b" ")
    assert not signature_verify(
        secret=SECRET, header=signature, body=body, now=int(parts["t"]) + 3600
    )
    assert headers["content-type"] == "application/json; charset=utf-8"


def test_only_matching_active_subscriptions_get_a_delivery_and_only_once(receiver):
    wanted = subscribe(receiver, name="orders", types=["order.confirmed"])
    everything = subscribe(receiver, name="all", types=["*"])
    subscribe(receiver, name="tickets", types=["ticket.created"])
    paused = subscribe(receiver, name="paused", types=["*"])
    webhook_subscription_pause(paused)
    event = emit()

    webhook_outbox_handler(event)
    webhook_outbox_handler(event)  # a relay that runs twice
    assert set(WebhookDelivery.objects.values_list("subscription_id", flat=True)) == {
        wanted.pk,
        everything.pk,
    }
    assert WebhookDelivery.objects.count() == 2


def test_rolled_back_change_sends_nothing(receiver, django_capture_on_commit_callbacks):
    subscribe(receiver)
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_emit(type="order.confirmed", aggregate=("orders.order", 1), payload={})
        raise RuntimeError("the change failed")
    relay(django_capture_on_commit_callbacks)
    assert not WebhookDelivery.objects.exists() and receiver.seen == []


def test_gives_up_after_the_retry_period_disables_and_tells_the_admins(
    receiver, make_user, settings, django_capture_on_commit_callbacks, english
):
    settings.WEBHOOK_RETRY_HOURS = 2
    admin = make_user("admin", email="boss@example.com")
    make_user("order_clerk", email="clerk@example.com")
    receiver.script = [503] * 50
    subscription = subscribe(receiver)
    emit()
    relay(django_capture_on_commit_callbacks)

    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=False):
        while WebhookDelivery.objects.filter(status="pending").exists():
            now += timedelta(minutes=30)
            webhook_sweep(now=now)
            assert now < timezone.now() + timedelta(hours=5)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == len(receiver.seen) >= 2
    assert delivery.last_error == "HTTP 503"
    subscription.refresh_from_db()
    assert subscription.status == WebhookSubscription.Status.DISABLED
    assert "could not be delivered in 2 hours" in subscription.disabled_reason
    assert AuditEvent.objects.filter(
        kind=AuditEvent.Kind.WEBHOOK_DISABLED, detail__startswith="3PL"
    ).exists()
    notices = Notification.objects.filter(key__startswith=f"webhook:{subscription.pk}:disabled")
    assert [(n.user, n.recipient) for n in notices] == [(admin, "boss@example.com")]
    assert "3PL" in notices[0].subject

    # Disabled: new events get no delivery; the sweeper sends nothing.
    emit(order_id=43)
    relay(django_capture_on_commit_callbacks)
    assert WebhookDelivery.objects.count() == 1
    sent = len(receiver.seen)
    assert webhook_sweep(now=now + timedelta(hours=1)) == 0

    # Fixed and enabled again: a replay of the failed delivery goes through.
    receiver.script = []
    webhook_subscription_enable(subscription)
    with django_capture_on_commit_callbacks(execute=True):
        webhook_replay(delivery=delivery)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", sent + 1)


def test_many_failures_in_a_row_disable_the_subscription(
    receiver, settings, django_capture_on_commit_callbacks, english
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    receiver.script = [500] * 10
    subscription = subscribe(receiver)
    for order_id in (1, 2, 3):
        emit(order_id=order_id)
    relay(django_capture_on_commit_callbacks)
    subscription.refresh_from_db()
    assert subscription.status == WebhookSubscription.Status.DISABLED
    assert "3 attempts in a row failed" in subscription.disabled_reason
    assert len(receiver.seen) == 3


def test_replay_rules_and_bulk_replay(receiver, django_capture_on_commit_callbacks):
    subscription = subscribe(receiver)
    for order_id in (1, 2, 3):
        emit(order_id=order_id)
    relay(django_capture_on_commit_callbacks)
    assert WebhookDelivery.objects.filter(status="succeeded").count() == 3
    first = WebhookDelivery.objects.order_by("pk").first()

    with django_capture_on_commit_callbacks(execute=True):
        webhook_replay(delivery=first)  # succeeded once; sent again on request
    first.refresh_from_db()
    assert (first.status, first.attempts) == ("succeeded", 2)

    # Waiting already: no replay. Paused: no replay.
    WebhookDelivery.objects.filter(pk=first.pk).update(status="pending")
    with pytest.raises(WebhookConflict):
        webhook_replay(delivery=first)
    WebhookDelivery.objects.filter(pk=first.pk).update(status="succeeded")
    webhook_subscription_pause(subscription)
    with pytest.raises(WebhookConflict):
        webhook_replay(delivery=first)
    assert webhook_replay_bulk(ids=[first.pk]) == 0
    webhook_subscription_enable(subscription)

    # Bulk: all failed ones (of the period), or those chosen.
    WebhookDelivery.objects.exclude(pk=first.pk).update(status="failed")
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_replay_bulk(since=timezone.now() - timedelta(hours=1)) == 2
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"succeeded"}
    assert webhook_replay_bulk(since=timezone.now() + timedelta(hours=1)) == 0
    assert len(receiver.seen) == 3 + 1 + 2


def test_redirects_are_not_followed(receiver, django_capture_on_commit_callbacks):
    receiver.script = [302]
    subscribe(receiver)
    emit()
    relay(django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == ("pending", 302)
    assert len(receiver.seen) == 1


def test_unreachable_receiver_is_a_failed_attempt_without_status(
    django_capture_on_commit_callbacks,
):
    subscription = webhook_subscription_create(
        name="gone", url="http://127.0.0.1:9/nothing", event_types=["*"]
    )
    assert subscription.secret.startswith("whsec_") and len(subscription.secret) > 30
    emit()
    relay(django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    attempt = delivery.attempt_log.get()
    assert attempt.status_code is None and not attempt.success
    assert "Connection" in attempt.error or "refused" in attempt.error.lower()
    assert delivery.status == "pending"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.5/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
    ],
)
def test_private_addresses_are_refused_in_production(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    with pytest.raises(WebhookInvalid) as refused:
        webhook_subscription_create(name="x", url=url, event_types=["*"])
    assert refused.value.field == "url"


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "javascript:alert(1)", "example.com/hook", "http://u:p@x.com/"]
)
def test_only_plain_http_urls(url):
    with pytest.raises(WebhookInvalid):
        webhook_subscription_create(name="x", url=url, event_types=["*"])


def test_address_is_checked_again_before_each_post(
    receiver, settings, django_capture_on_commit_callbacks, english
):
    subscribe(receiver)
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False  # e.g. a name that now resolves inside
    emit()
    relay(django_capture_on_commit_callbacks)
    attempt = WebhookDelivery.objects.get().attempt_log.get()
    assert "private or local address" in attempt.error and attempt.status_code is None
    assert receiver.seen == []


def test_event_types_are_checked():
    with pytest.raises(WebhookInvalid) as unknown:
        webhook_subscription_create(
            name="x", url="https://example.com/h", event_types=["order.eaten"]
        )
    assert unknown.value.field == "event_types"
    with pytest.raises(WebhookInvalid):
        webhook_subscription_create(name="x", url="https://example.com/h", event_types=[])


def test_deliver_claims_once(receiver):
    """Two workers handed the same delivery: one POST."""
    subscription = subscribe(receiver)
    event = emit()
    webhook_outbox_handler(event)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    webhook_deliver(delivery_id=delivery.pk)
    webhook_deliver(delivery_id=delivery.pk)
    assert len(receiver.seen) == 1
    assert webhook_deliver(delivery_id=10**12) is None


def test_sweeper_and_purge_are_in_the_beat_schedule(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["sweep-webhooks"]["task"] == "core.webhook_sweep"
    assert schedule["purge-outbox"]["task"] == "core.outbox_purge"
    assert settings.CELERY_TASK_ROUTES["core.webhook_*"] == {"queue": "webhooks"}


def test_periodic_jobs_run_without_a_broker():
    out = StringIO()
    call_command("run_due_jobs", only=["sweep-webhooks", "purge-outbox"], stdout=out)
    assert "ok sweep-webhooks (core.webhook_sweep)" in out.getvalue()
    assert "ok purge-outbox (core.outbox_purge)" in out.getvalue()


def test_a_chosen_secret_is_masked_to_its_last_two_characters(receiver):
    """Review fix: the mask showed the first 6 characters too - half of a
    16-character secret an admin chose."""
    chosen = subscribe(receiver, secret="abcdefghijklmnop")
    assert chosen.secret_masked == "…op"
    generated = subscribe(receiver, name="generated", secret="")
    assert generated.secret_masked == f"whsec_…{generated.secret[-2:]}"
    assert generated.secret[6:-2] not in generated.secret_masked


def test_enabling_again_leaves_a_delivery_being_sent_to_its_worker(
    receiver, django_capture_on_commit_callbacks
):
    """Review fix: enabling made a delivery that a worker was POSTing due at
    once, so a second worker could send it while the first waited for the
    answer. It keeps its lease; a pending one is due at once."""
    subscription = subscribe(receiver)
    webhook_outbox_handler(emit(order_id=1))
    webhook_outbox_handler(emit(order_id=2))
    sending, pending = WebhookDelivery.objects.filter(subscription=subscription).order_by("pk")
    lease_end = timezone.now() + timedelta(minutes=1)
    WebhookDelivery.objects.filter(pk=sending.pk).update(
        status="sending", next_attempt_at=lease_end
    )
    webhook_subscription_pause(subscription)
    with django_capture_on_commit_callbacks(execute=False):
        webhook_subscription_enable(subscription)
    sending.refresh_from_db()
    pending.refresh_from_db()
    assert sending.status == "sending" and sending.next_attempt_at == lease_end
    assert webhook_deliver(delivery_id=sending.pk).attempts == 0  # no second POST
    assert pending.status == "pending" and pending.next_attempt_at <= timezone.now()
    assert webhook_deliver(delivery_id=pending.pk).status == "succeeded"
    assert len(receiver.seen) == 1


def test_the_post_goes_to_the_address_that_was_checked(settings, monkeypatch):
    """DNS rebinding: the name resolves to a public address when checked and
    to a private one a moment later; the POST still goes to the checked one."""
    import socket
    import uuid

    from erp.core.webhooks.services import webhook_post

    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])

    def resolve(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    connected = []

    def connect(address, *args, **kwargs):
        connected.append(address)
        raise ConnectionRefusedError("test: nobody listens")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(socket, "create_connection", connect)
    subscription = WebhookSubscription(url="http://hooks.example.com:8080/erp", secret="s" * 20)
    delivery = WebhookDelivery(body="{}", event_type="order.created", event_id=uuid.uuid4())
    outcome = webhook_post(subscription, delivery, 1)
    assert connected == [("93.184.216.34", 8080)]
    assert outcome.status_code is None and "ConnectionRefusedError" in outcome.error

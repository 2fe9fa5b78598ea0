"""The webhook pages: admins only; list, create with the secret shown once,
the delivery log with filters and replays, enable/pause, rotate."""

import uuid

import pytest
from django.utils import timezone

from erp.core.models import WebhookDelivery, WebhookSubscription
from erp.core.webhooks import webhook_subscription_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription():
    return webhook_subscription_create(
        name="BI feed", url="https://bi.example.com/in", event_types=["order.created"]
    )


def deliveries(subscription, n, status="failed", type="order.created"):
    return [
        WebhookDelivery.objects.create(
            subscription=subscription,
            event_id=uuid.uuid4(),
            event_type=type,
            body="{}",
            status=status,
            attempts=3,
            give_up_at=timezone.now(),
            last_status_code=502,
            last_error="HTTP 502",
        )
        for _ in range(n)
    ]


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/integrations/webhooks/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", ["order_clerk", "analyst", "aftersales_agent"])
def test_other_roles_get_403(role_client, role, subscription):
    client = role_client(role)
    assert client.get("/integrations/webhooks/").status_code == 403
    assert client.get(f"/integrations/webhooks/{subscription.pk}/").status_code == 403
    assert client.post(f"/integrations/webhooks/{subscription.pk}/pause/").status_code == 403


def test_empty_list_and_new_button(role_client):
    page = role_client("admin").get("/integrations/webhooks/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert b'id="empty-state"' in page.content and b"/integrations/webhooks/new/" in page.content


def test_create_shows_the_secret_once(role_client):
    client = role_client("admin")
    form = client.get("/integrations/webhooks/new/")
    assert b"stock.low" in form.content and b"return.received" in form.content
    response = client.post(
        "/integrations/webhooks/new/",
        {
            "name": "3PL",
            "url": "https://3pl.example.com/hook",
            "event_types": ["order.confirmed", "stock.low"],
        },
    )
    assert response.status_code == 302
    subscription = WebhookSubscription.objects.get()
    assert subscription.event_types == ["order.confirmed", "stock.low"]
    first = client.get(response["Location"])
    assert subscription.secret.encode() in first.content
    second = client.get(response["Location"])
    assert subscription.secret.encode() not in second.content
    assert subscription.secret_masked.encode() in second.content
    listing = client.get("/integrations/webhooks/")
    assert b"3PL" in listing.content and b"order.confirmed, stock.low" in listing.content


def test_create_errors_are_shown_on_the_form(role_client):
    response = role_client("admin").post(
        "/integrations/webhooks/new/",
        {"name": "x", "url": "ftp://example.com", "event_types": ["order.created"]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200 and b"invalid-feedback" in response.content
    assert not WebhookSubscription.objects.exists()


def test_edit(role_client, subscription):
    client = role_client("admin")
    response = client.post(
        f"/integrations/webhooks/{subscription.pk}/edit/",
        {"name": "BI", "url": "https://bi.example.com/v2", "event_types": ["*"]},
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.name, subscription.url, subscription.event_types) == (
        "BI",
        "https://bi.example.com/v2",
        ["*"],
    )


def test_delivery_log_filters_paginates_and_replays(
    role_client, subscription, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr("erp.core.webhooks.services._queue", lambda ids: None)
    failed = deliveries(subscription, 30)
    deliveries(subscription, 2, status="succeeded", type="order.confirmed")
    client = role_client("admin")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = f"/integrations/webhooks/{subscription.pk}/"
    with django_assert_max_num_queries(15):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert page.content.count(b"<tr data-status=") == 25 and b"Page 1 of 2" in page.content
    only_ok = client.get(url, {"status": "succeeded"})
    assert only_ok.content.count(b'data-status="succeeded"') == 2
    assert b'data-status="failed"' not in only_ok.content
    nothing = client.get(url, {"event_type": "ticket.created"})
    assert b'id="empty-state"' in nothing.content

    client.post(f"{url}replay-selected/", {"ids": [failed[0].pk, failed[1].pk]})
    assert WebhookDelivery.objects.filter(status="pending").count() == 2
    client.post(f"{url}replay-failed/")
    assert WebhookDelivery.objects.filter(status="pending").count() == 30

    detail = client.get(f"/integrations/webhooks/deliveries/{failed[0].pk}/")
    assert detail.status_code == 200 and b"order.created" in detail.content
    again = client.post(f"/integrations/webhooks/deliveries/{failed[0].pk}/replay/", follow=True)
    assert b"already waiting" in again.content


def test_pause_enable_rotate_delete(role_client, subscription):
    client = role_client("admin")
    url = f"/integrations/webhooks/{subscription.pk}/"
    client.post(f"{url}pause/")
    subscription.refresh_from_db()
    assert subscription.status == "paused"
    client.post(f"{url}enable/")
    subscription.refresh_from_db()
    assert subscription.status == "active"
    old = subscription.secret
    shown = client.post(f"{url}rotate-secret/", follow=True)
    subscription.refresh_from_db()
    assert subscription.secret != old and subscription.secret.encode() in shown.content
    assert client.post(f"{url}nonsense/").status_code == 403
    client.post(f"{url}delete/")
    assert not WebhookSubscription.objects.exists()


def test_pages_in_chinese(role_client, subscription):
    page = role_client("admin").get(
        f"/integrations/webhooks/{subscription.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert page.status_code == 200


def test_admin_site_lists_outbox_and_webhooks(make_user, client, subscription):
    deliveries(subscription, 1)
    client.force_login(make_user("admin", is_staff=True, is_superuser=True))
    for url in (
        "/admin/core/outboxevent/",
        "/admin/core/webhooksubscription/",
        f"/admin/core/webhooksubscription/{subscription.pk}/change/",
        "/admin/core/webhookdelivery/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    assert (
        subscription.secret.encode()
        not in client.get(f"/admin/core/webhooksubscription/{subscription.pk}/change/").content
    )

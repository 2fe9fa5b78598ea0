"""What people do to an alert (acknowledge, assign, resolve only with a note),
escalation past the deadline once to the supervising role, the notices that
go with them, and the Celery tasks."""

import sys
import types

import pytest
from django.db import IntegrityError, transaction

import analytics.services
from analytics.models import Alert, AlertEvent
from analytics.services.alerts import alert_raise
from analytics.services.lifecycle import (
    AlertClosed,
    AlertInvalid,
    alert_acknowledge,
    alert_assign,
    alert_notify_owner,
    alert_resolve,
    alerts_escalate,
)
from analytics.tasks import alert_escalate, alert_scan_all, alert_t3_scan
from erp.core.models import Notification
from tests.aftersales.conftest import frozen_clock  # noqa: F401  (shared fixtures)
from tests.orders.conftest import place, stock, world  # noqa: F401

pytestmark = pytest.mark.django_db


def raise_alert(n=1, *, owner_role="order_clerk", severity=Alert.Severity.WARNING, owner=None):
    alert, created = alert_raise(
        kind=Alert.Kind.T3_DELIVERY,
        subject_key=f"order:{n}",
        cause_key=f"order:{n}:promised:2026-11-29",
        subject_label=f"SO-{n} 王芳",
        message="Order SO-1 is not shipped and is promised for 2026-11-29: 2 days left.",
        severity=severity,
        owner_role=owner_role,
        owner=owner,
    )
    assert created
    return alert


@pytest.fixture
def people(make_user):
    return {
        "ann": make_user("order_clerk", username="ann", email="ann@example.com"),
        "bob": make_user("order_clerk", username="bob", email="bob@example.com"),
        "wh": make_user("warehouse", username="wh", email="wh@example.com"),
        "boss": make_user("warehouse_manager", username="boss", email="boss@example.com"),
        "root": make_user("admin", username="root", email="root@example.com"),
        "root2": make_user("admin", username="root2", email="root2@example.com"),
        "off": make_user("admin", username="off", email="off@example.com", is_active=False),
    }


def test_acknowledge_records_who_and_when(frozen_clock, people):  # noqa: F811
    alert = raise_alert()
    alert = alert_acknowledge(alert=alert, actor=people["ann"], note="Calling the warehouse.")
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED
    assert (alert.acknowledged_by, alert.acknowledged_at) == (people["ann"], frozen_clock.now)
    event = alert.events.get(action=AlertEvent.Action.ACKNOWLEDGED)
    assert (event.actor, event.note) == (people["ann"], "Calling the warehouse.")
    # Twice is a no-op.
    alert_acknowledge(alert=alert, actor=people["bob"])
    assert alert.events.filter(action=AlertEvent.Action.ACKNOWLEDGED).count() == 1
    assert Alert.objects.get(pk=alert.pk).acknowledged_by == people["ann"]


@pytest.mark.parametrize("note", ["", "   ", None])
def test_resolving_without_a_note_is_refused(people, note):
    alert = raise_alert()
    with pytest.raises(AlertInvalid) as exc:
        alert_resolve(alert=alert, actor=people["ann"], note=note)
    assert exc.value.field == "resolution_note"
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.OPEN
    assert not alert.events.filter(action=AlertEvent.Action.RESOLVED).exists()


def test_the_database_refuses_a_resolved_alert_without_a_note():
    alert = raise_alert()
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.filter(pk=alert.pk).update(status=Alert.Status.RESOLVED)


def test_resolve_closes_the_loop_once(frozen_clock, people):  # noqa: F811
    alert = raise_alert()
    alert_acknowledge(alert=alert, actor=people["ann"])
    frozen_clock.advance(minutes=30)
    alert = alert_resolve(alert=alert, actor=people["ann"], note="  Shipped by express.  ")
    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED
    assert alert.resolution_note == "Shipped by express."
    assert (alert.resolved_by, alert.resolved_at) == (people["ann"], frozen_clock.now)
    assert list(alert.events.values_list("action", flat=True)) == [
        AlertEvent.Action.RAISED,
        AlertEvent.Action.ACKNOWLEDGED,
        AlertEvent.Action.RESOLVED,
    ]
    assert alert.events.get(action=AlertEvent.Action.RESOLVED).note == "Shipped by express."
    with pytest.raises(AlertClosed):
        alert_resolve(alert=alert, actor=people["bob"], note="again")
    with pytest.raises(AlertClosed):
        alert_acknowledge(alert=alert, actor=people["bob"])
    with pytest.raises(AlertClosed):
        alert_assign(alert=alert, owner=people["bob"], actor=people["root"])


def test_assign_to_a_holder_of_the_role_who_is_told(people):
    alert = raise_alert()
    alert_assign(alert=alert, owner=people["bob"], actor=people["ann"])
    alert.refresh_from_db()
    assert alert.owner == people["bob"]
    event = alert.events.get(action=AlertEvent.Action.ASSIGNED)
    assert event.actor == people["ann"]
    assert (
        Notification.objects.filter(
            key__startswith=f"alert:{alert.pk}:assigned:", recipient="bob@example.com"
        ).count()
        == 1
    )
    # An admin may take it too; the same owner again changes nothing.
    alert_assign(alert=alert, owner=people["root"], actor=people["root"])
    alert_assign(alert=alert, owner=people["root"], actor=people["root"])
    assert alert.events.filter(action=AlertEvent.Action.ASSIGNED).count() == 2


def test_assign_refuses_nobody_and_other_roles(people):
    alert = raise_alert()
    with pytest.raises(AlertInvalid) as exc:
        alert_assign(alert=alert, owner=people["wh"], actor=people["ann"])
    assert exc.value.field == "owner"
    with pytest.raises(AlertInvalid) as exc:
        alert_assign(alert=alert, owner=None, actor=people["ann"])
    assert exc.value.field == "owner"
    with pytest.raises(AlertInvalid):
        alert_assign(alert=alert, owner=people["off"], actor=people["ann"])
    assert Alert.objects.get(pk=alert.pk).owner is None


def test_notify_owner_tells_the_owner_or_the_role(people):
    owned = raise_alert(1, owner=people["ann"])
    unowned = raise_alert(2)
    assert alert_notify_owner(owned) == 1
    alert_notify_owner(owned)  # once per person
    alert_notify_owner(unowned)
    assert list(
        Notification.objects.filter(key__startswith=f"alert:{owned.pk}:").values_list(
            "key", "recipient"
        )
    ) == [(f"alert:{owned.pk}:raised:{people['ann'].pk}", "ann@example.com")]
    assert sorted(
        Notification.objects.filter(key__startswith=f"alert:{unowned.pk}:").values_list(
            "recipient", flat=True
        )
    ) == ["ann@example.com", "bob@example.com"]


def test_escalation_once_past_the_deadline_to_the_supervisor(frozen_clock, people):  # noqa: F811
    clerk_alert = raise_alert(1)  # warning: 8 hours
    warehouse_alert = raise_alert(2, owner_role="warehouse", severity=Alert.Severity.CRITICAL)
    acknowledged = raise_alert(3)
    alert_acknowledge(alert=acknowledged, actor=people["ann"])
    resolved = raise_alert(4)
    alert_resolve(alert=resolved, actor=people["ann"], note="done")

    frozen_clock.advance(hours=3)  # only the critical one (2 hours) is late
    assert alerts_escalate() == {"escalated": 1, "notified": 1}
    warehouse_alert.refresh_from_db()
    assert warehouse_alert.escalated_to_role == "warehouse_manager"
    assert warehouse_alert.escalated_at == frozen_clock.now
    assert Notification.objects.filter(
        key=f"alert:{warehouse_alert.pk}:escalated:{people['boss'].pk}"
    ).exists()

    frozen_clock.advance(hours=6)
    assert alerts_escalate() == {"escalated": 2, "notified": 4}  # two active admins each
    for alert in (clerk_alert, acknowledged):
        alert.refresh_from_db()
        assert alert.escalated_to_role == "admin"
        assert alert.events.filter(action=AlertEvent.Action.ESCALATED).count() == 1
        assert sorted(
            Notification.objects.filter(key__startswith=f"alert:{alert.pk}:escalated:")
            .values_list("recipient", flat=True)
        ) == ["root2@example.com", "root@example.com"]  # fmt: skip
    resolved.refresh_from_db()
    assert resolved.escalated_at is None

    # Once: a later run finds nothing more.
    frozen_clock.advance(hours=6)
    assert alerts_escalate() == {"escalated": 0, "notified": 0}
    assert AlertEvent.objects.filter(action=AlertEvent.Action.ESCALATED).count() == 3


def test_tasks_run_the_services(frozen_clock, place, people):  # noqa: F811
    place(("tea", 1), promised_in=1)
    assert alert_t3_scan.delay().get() == {"found": 1, "raised": 1, "cleared": 0}
    frozen_clock.advance(days=1)
    assert alert_escalate.delay().get()["escalated"] == 1
    assert alert_t3_scan.name.startswith("analytics.alert_")
    assert alert_escalate.name == "analytics.alert_escalate"
    assert alert_scan_all.name == "analytics.alert_scan_all"


def test_scan_all_goes_on_past_a_failing_scan(frozen_clock, place, monkeypatch):  # noqa: F811
    place(("tea", 1), promised_in=1)
    ran = []

    def ok(name):
        def scan():
            ran.append(name)
            return {"found": 0}

        return scan

    def broken():
        ran.append("sla_scan")
        raise RuntimeError("boom")

    fake = types.ModuleType("analytics.services.scans")
    fake.low_stock_scan = ok("low_stock_scan")
    fake.stockout_scan = ok("stockout_scan")
    fake.sla_scan = broken
    fake.shipment_scan = ok("shipment_scan")
    fake.surge_scan = ok("surge_scan")
    monkeypatch.setitem(sys.modules, "analytics.services.scans", fake)
    monkeypatch.setattr(analytics.services, "scans", fake, raising=False)

    results = alert_scan_all.delay().get()
    assert ran == ["low_stock_scan", "stockout_scan", "sla_scan", "shipment_scan", "surge_scan"]
    assert results["sla_scan"] == "failed"
    assert results["surge_scan"] == {"found": 0}
    assert results["t3_scan"] == {"found": 1, "raised": 1, "cleared": 0}
    assert Alert.objects.filter(kind=Alert.Kind.T3_DELIVERY).count() == 1

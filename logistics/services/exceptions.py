"""Shipment exceptions: problems reported by people and carriers (failed
attempt, damage, loss) and conditions we watch (late, temperature, humidity,
no movement).

A reported problem is one exception per report and stops the shipment (it
moves to `exception` where the transition table allows). A watched condition
is an episode: it starts when the condition appears, ends (`ended_at`) when
it clears, and the database allows one open episode per shipment and kind, so
seeing the same condition again changes nothing. Either way a new exception
records a timeline event and sends `shipment_exception_raised` after commit.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from erp.core.db import lock_timeout
from erp.core.errors import LockTimeout
from erp.core.outbox import outbox_emit
from erp.core.services import acting_person
from logistics.models import SensorReading, Shipment, ShipmentEvent, ShipmentException
from logistics.services.errors import LogisticsInvalid, ShipmentConflict
from logistics.services.shipments import (
    _record,
    allowed_targets,
    shipment_for_update,
    shipment_transition,
)
from logistics.signals import shipment_exception_raised, shipment_exception_resolved

Kind = ShipmentException.Kind
Status = Shipment.Status
EPISODE_KINDS = frozenset(ShipmentException.EPISODE_KINDS)
REPORTED_KINDS = frozenset({Kind.FAILED_ATTEMPT, Kind.DAMAGED, Kind.LOST})
# Watched by the periodic job: the goods are out with a carrier or driver.
WATCHED_STATUSES = (Status.DISPATCHED, Status.IN_TRANSIT, Status.OUT_FOR_DELIVERY)
# Can be late: not delivered yet, whether still in the warehouse or on the road.
LATE_STATUSES = (Status.PLANNED, Status.PICKING, Status.PACKED, *WATCHED_STATUSES)
# Where an episode is no longer watched: it ends.
FINISHED_STATUSES = (Status.DELIVERED, Status.RETURNED_TO_SENDER, Status.CANCELLED)
HOURS = Decimal("0.01")


def _exception_create(
    *,
    shipment: Shipment,
    kind: str,
    started_at,
    ended_at=None,
    details: str = "",
    peak_value=None,
    actor=None,
) -> ShipmentException:
    """The row, its timeline event and the signal after commit. Episode kinds
    with `ended_at` None may raise IntegrityError (one open per shipment and
    kind): callers wrap this in a savepoint."""
    exception = ShipmentException.objects.create(
        shipment=shipment,
        kind=kind,
        started_at=started_at,
        ended_at=ended_at,
        details=details[:500],
        peak_value=peak_value,
    )
    _record(
        shipment,
        kind=ShipmentEvent.Kind.EXCEPTION,
        actor=actor,
        occurred_at=started_at,
        description=(f"{Kind(kind).label}: {details}" if details else str(Kind(kind).label))[:500],
        # Customers see what happened to the parcel, not our cold-chain or
        # punctuality alarms.
        visible_to_customer=kind in REPORTED_KINDS,
    )
    exception_id, shipment_id, order_id = exception.pk, shipment.pk, shipment.order_id
    outbox_emit(
        type="shipment.exception",
        aggregate=shipment,
        payload={
            "exception_id": exception_id,
            "shipment_id": shipment_id,
            "tracking_number": shipment.tracking_number,
            "order_id": order_id,
            "kind": kind,
            "started_at": started_at.isoformat(),
        },
    )
    transaction.on_commit(
        lambda: shipment_exception_raised.send(
            sender=ShipmentException,
            exception_id=exception_id,
            shipment_id=shipment_id,
            order_id=order_id,
            kind=kind,
        ),
        robust=True,
    )
    return exception


def _open_episode(shipment_id: int, kind: str) -> ShipmentException | None:
    return ShipmentException.objects.filter(
        shipment_id=shipment_id, kind=kind, ended_at__isnull=True
    ).first()


@transaction.atomic
def exception_open(
    *,
    shipment: Shipment,
    kind: str,
    started_at=None,
    details: str = "",
    peak_value=None,
    actor=None,
    stop_shipment: bool | None = None,
) -> tuple[ShipmentException, bool]:
    """Open an exception; (exception, created).

    A watched kind returns the episode already open, if any, with created False.
    A reported kind is always new and, unless `stop_shipment` is False, moves
    the shipment to `exception` when its status allows it (a delivered parcel
    found damaged keeps its status; the exception is still recorded)."""
    if kind not in Kind.values:
        raise LogisticsInvalid(_("Unknown kind of exception."), field="kind")
    started_at = started_at or timezone.now()
    if kind in EPISODE_KINDS:
        current = _open_episode(shipment.pk, kind)
        if current is not None:
            return current, False
        try:
            # A savepoint: a concurrent job may open the same episode first;
            # the database refuses the second one and we return the first.
            with transaction.atomic():
                exception = _exception_create(
                    shipment=shipment,
                    kind=kind,
                    started_at=started_at,
                    details=details,
                    peak_value=peak_value,
                    actor=actor,
                )
        except IntegrityError:
            current = _open_episode(shipment.pk, kind)
            if current is None:
                raise
            return current, False
        return exception, True

    if stop_shipment is None:
        stop_shipment = True
    with lock_timeout():
        shipment = shipment_for_update(shipment.pk)
    exception = _exception_create(
        shipment=shipment,
        kind=kind,
        started_at=started_at,
        details=details,
        peak_value=peak_value,
        actor=actor,
    )
    if (
        stop_shipment
        and shipment.status != Status.EXCEPTION
        and Status.EXCEPTION in allowed_targets(shipment)
    ):
        shipment_transition(
            shipment=shipment,
            to_status=Status.EXCEPTION,
            actor=actor,
            reason=details or str(Kind(kind).label),
            occurred_at=started_at,
        )
    return exception, True


@transaction.atomic
def exception_end(*, exception: ShipmentException, ended_at=None, peak_value=None):
    """The watched condition cleared. An episode already ended stays as it is."""
    exception = ShipmentException.objects.select_for_update().get(pk=exception.pk)
    if exception.ended_at is not None:
        return exception
    ended_at = max(ended_at or timezone.now(), exception.started_at)
    exception.ended_at = ended_at
    fields = ["ended_at", "updated_at"]
    if peak_value is not None:
        exception.peak_value = peak_value
        fields.append("peak_value")
    exception.save(update_fields=fields)
    return exception


@transaction.atomic
def exception_resolve(*, exception: ShipmentException, resolution: str, actor=None):
    """Somebody dealt with it and says how. A watched episode that is still
    going on stays open (`ended_at` empty), so the watch does not raise it
    again; the shipment's status is moved by its own transition."""
    resolution = (resolution or "").strip()
    if not resolution:
        raise LogisticsInvalid(_("Say how the exception was resolved."), field="resolution")
    # The shipment first, as ingest does (shipment, then its exceptions), so
    # the two cannot wait on each other.
    with lock_timeout():
        shipment_for_update(exception.shipment_id)
        exception = (
            ShipmentException.objects.select_for_update(of=("self",))
            .select_related("shipment")
            .get(pk=exception.pk)
        )
    if exception.status == ShipmentException.Status.RESOLVED:
        raise ShipmentConflict(_("This exception is already resolved."), field="status")
    exception.status = ShipmentException.Status.RESOLVED
    exception.resolution = resolution[:500]
    exception.resolved_at = timezone.now()
    exception.resolved_by = acting_person(actor)
    exception.save(
        update_fields=["status", "resolution", "resolved_at", "resolved_by", "updated_at"]
    )
    _record(
        exception.shipment,
        kind=ShipmentEvent.Kind.NOTE,
        actor=actor,
        description=(
            _("Exception resolved (%(kind)s): %(resolution)s")
            % {"kind": exception.get_kind_display(), "resolution": resolution}
        )[:500],
        visible_to_customer=False,
    )
    exception_id, shipment_id, kind = exception.pk, exception.shipment_id, exception.kind
    transaction.on_commit(
        lambda: shipment_exception_resolved.send(
            sender=ShipmentException, exception_id=exception_id, shipment_id=shipment_id, kind=kind
        ),
        robust=True,
    )
    return exception


# --- Cold chain -------------------------------------------------------------

COLD_CHAIN = (
    (Kind.TEMPERATURE, "temperature", "temperature_min", "temperature_max", "°C"),
    (Kind.HUMIDITY, "humidity", "humidity_min", "humidity_max", "%"),
)


def _range_text(low, high, unit: str) -> str:
    if low is not None and high is not None:
        return _("allowed %(low)s to %(high)s %(unit)s") % {"low": low, "high": high, "unit": unit}
    if low is not None:
        return _("allowed from %(low)s %(unit)s") % {"low": low, "unit": unit}
    return _("allowed up to %(high)s %(unit)s") % {"high": high, "unit": unit}


def _deviation(value, low, high) -> Decimal:
    """How far outside the range (positive) or inside it (zero or negative)."""
    outside = []
    if low is not None:
        outside.append(low - value)
    if high is not None:
        outside.append(value - high)
    return max(outside)


def cold_chain_evaluate(*, shipment: Shipment, since) -> int:
    """Bring the shipment's temperature and humidity episodes in line with its
    readings from `since` on (the earliest reading just stored); the number of
    exceptions opened. The caller holds the shipment's row lock.

    Each device has its own state: out of range from an out-of-range reading
    until its next reading in range. An episode of the shipment lasts while
    any of its devices is out of range and ends when all are back; its peak is
    the worst reading of any device in it (two loggers in one load, one of
    them too warm for an hour, make one episode). Readings may arrive late and
    out of order, so episodes are recomputed from the last moment before
    `since` when every device was in range and matched to those recorded
    after it: a late reading can extend an episode, end it, split it in two,
    or add a new one. Running it again over the same readings changes nothing."""
    opened = 0
    for kind, field, low_attr, high_attr, unit in COLD_CHAIN:
        low, high = getattr(shipment, low_attr), getattr(shipment, high_attr)
        if low is None and high is None:
            continue
        opened += _episodes_reconcile(shipment, kind, field, low, high, unit, since)
    return opened


def _calm_before(readings, field, low, high, out_of_range: Q, since):
    """The latest time before `since` when no device was out of range: an
    in-range reading at which every other device's latest reading was in
    range too. None when there is none (evaluate from the first reading)."""
    devices = set(readings.order_by().values_list("device_id", flat=True).distinct())
    limit = Q(recorded_at__lt=since)
    while True:
        candidate = (
            readings.filter(limit)
            .exclude(out_of_range)
            .order_by("-recorded_at", "-pk")
            .values_list("recorded_at", "device_id")
            .first()
        )
        if candidate is None:
            return None
        at, device_id = candidate
        for other in sorted(devices - {device_id}):
            last = (
                readings.filter(device_id=other, recorded_at__lte=at)
                .order_by("-recorded_at")
                .values_list("recorded_at", field)
                .first()
            )
            if last is None or _deviation(last[1], low, high) <= 0:
                continue
            # `other` was out of range then: look before its breach began.
            began = (
                readings.filter(device_id=other, recorded_at__lt=last[0])
                .exclude(out_of_range)
                .order_by("-recorded_at")
                .values_list("recorded_at", flat=True)
                .first()
            )
            if began is None:
                return None
            limit = Q(recorded_at__lte=began)
            break
        else:
            return at


def _episodes_reconcile(shipment, kind, field, low, high, unit, since) -> int:
    readings = SensorReading.objects.filter(shipment=shipment, **{f"{field}__isnull": False})
    if shipment.delivered_at is not None:  # what happens after hand-over is not ours
        readings = readings.filter(recorded_at__lte=shipment.delivered_at)
    out_of_range = Q()
    if low is not None:
        out_of_range |= Q(**{f"{field}__lt": low})
    if high is not None:
        out_of_range |= Q(**{f"{field}__gt": high})
    anchor = _calm_before(readings, field, low, high, out_of_range, since)
    window = readings if anchor is None else readings.filter(recorded_at__gt=anchor)
    runs = []  # [first reading, last reading, first back in range or None, worst value]
    current = None
    out = set()  # the devices out of range at this point
    rows = window.order_by("recorded_at", "pk").values_list("device_id", "recorded_at", field)
    for device_id, at, value in rows:
        if _deviation(value, low, high) > 0:
            out.add(device_id)
            if current is None:
                current = [at, at, None, value]
            else:
                current[1] = at
                if _deviation(value, low, high) > _deviation(current[3], low, high):
                    current[3] = value
        else:
            out.discard(device_id)
            if current is not None and not out:
                current[2] = at
                runs.append(current)
                current = None
    if current is not None:
        runs.append(current)

    recorded = ShipmentException.objects.filter(shipment=shipment, kind=kind)
    if anchor is not None:
        recorded = recorded.filter(started_at__gt=anchor)
    recorded = list(recorded.order_by("started_at", "pk"))
    claimed = set()
    opened = 0
    allowed = _range_text(low, high, unit)
    for start, last, end, worst in runs:
        details = _("Worst %(value)s %(unit)s, %(allowed)s.") % {
            "value": worst,
            "unit": unit,
            "allowed": allowed,
        }
        inside = [e for e in recorded if e.pk not in claimed and start <= e.started_at <= last]
        claimed.update(e.pk for e in inside)
        match = inside[0] if inside else None
        for later in inside[1:]:
            # Another device's late readings joined two recorded episodes
            # into one breach: the first takes it all. One nobody has dealt
            # with goes; a resolved one stays as history, ended.
            if later.status == ShipmentException.Status.OPEN:
                later.delete()
            elif later.ended_at is None:
                later.ended_at = end or last
                later.save(update_fields=["ended_at", "updated_at"])
        if match is not None:
            changes = {"started_at": start, "ended_at": end, "peak_value": worst}
            if any(getattr(match, name) != value for name, value in changes.items()):
                for name, value in changes.items():
                    setattr(match, name, value)
                match.details = details[:500]
                match.save(
                    update_fields=["started_at", "ended_at", "peak_value", "details", "updated_at"]
                )
            continue
        try:
            with transaction.atomic():
                _exception_create(
                    shipment=shipment,
                    kind=kind,
                    started_at=start,
                    ended_at=end,
                    details=details,
                    peak_value=worst,
                )
        except IntegrityError:
            # An open episode recorded under other bounds (the range was
            # edited): it is this run.
            current_open = _open_episode(shipment.pk, kind)
            if current_open is None:
                raise
            ShipmentException.objects.filter(pk=current_open.pk).update(
                ended_at=end, peak_value=worst, details=details[:500]
            )
            continue
        opened += 1
    return opened


# --- The periodic watch -----------------------------------------------------


def _hours(delta: timedelta) -> Decimal:
    return (Decimal(delta.total_seconds()) / 3600).quantize(HOURS)


def _late(shipment: Shipment, now) -> bool:
    """The ETA is past the planned delivery, or the planned delivery has
    passed and the goods have not arrived (still on the road, or not even
    left the warehouse)."""
    planned = shipment.planned_delivery_at
    if shipment.status not in LATE_STATUSES or planned is None:
        return False
    return (shipment.eta is not None and shipment.eta > planned) or planned < now


def _moved_at(shipment: Shipment):
    """When it last moved: its last movement, or its pick-up if that is later
    (a position or hub scan from before it left does not start the clock)."""
    return max(filter(None, (shipment.last_moved_at, shipment.picked_up_at)), default=None)


def _still_since(shipment: Shipment):
    """Since when an on-road shipment has not moved, or None."""
    if shipment.status not in WATCHED_STATUSES:
        return None
    return _moved_at(shipment)


def _under_lock(shipment_id: int, action) -> int:
    """`action(shipment)` with the shipment locked, in a transaction of its
    own; what it returns, or 0 when another transaction holds the shipment
    (the next run of the watch will see it)."""
    try:
        with transaction.atomic():
            with lock_timeout():
                shipment = shipment_for_update(shipment_id)
            return action(shipment)
    except LockTimeout:
        return 0


def _peak_raise(exception: ShipmentException, hours: Decimal) -> None:
    if exception.peak_value is None or hours > exception.peak_value:
        ShipmentException.objects.filter(pk=exception.pk).update(peak_value=hours)


def exceptions_watch(*, now=None) -> dict[str, int]:
    """Open and end the late and no-movement episodes: late for shipments not
    yet delivered (in the warehouse or on the road), no movement for those on
    the road. Each shipment is locked and its condition checked again before
    an episode is opened or ended, so a delivery or a carrier event that
    lands meanwhile is respected. Safe to run twice: an episode already open
    is left alone (the database refuses a second), and one already ended
    stays ended."""
    now = now or timezone.now()
    counts = {
        "late_opened": 0,
        "late_ended": 0,
        "no_movement_opened": 0,
        "no_movement_ended": 0,
    }
    late_q = Q(status__in=LATE_STATUSES, planned_delivery_at__isnull=False) & (
        Q(eta__gt=F("planned_delivery_at")) | Q(planned_delivery_at__lt=now)
    )
    for shipment_id in Shipment.objects.filter(late_q).order_by("pk").values_list("pk", flat=True):
        counts["late_opened"] += _under_lock(shipment_id, lambda s: _late_open(s, now))

    cleared = (
        ShipmentException.objects.filter(kind=Kind.LATE, ended_at__isnull=True)
        .exclude(shipment__in=Shipment.objects.filter(late_q))
        .exclude(shipment__status=Status.EXCEPTION)
        .order_by("shipment_id", "pk")
        .values_list("shipment_id", "pk")
    )
    for shipment_id, exception_id in cleared:
        counts["late_ended"] += _under_lock(
            shipment_id, lambda s, pk=exception_id: _late_end(s, pk, now)
        )

    # No movement since the last movement (a position, a new place, a status) or
    # since pick-up, whichever is later.
    threshold = timedelta(hours=settings.TRACKING_NO_MOVEMENT_HOURS)
    still = (
        Shipment.objects.filter(status__in=WATCHED_STATUSES)
        .annotate(
            since=Greatest(
                Coalesce("last_moved_at", "picked_up_at"), Coalesce("picked_up_at", "last_moved_at")
            )
        )
        .filter(since__lte=now - threshold)
    )
    for shipment_id in still.order_by("pk").values_list("pk", flat=True):
        counts["no_movement_opened"] += _under_lock(
            shipment_id, lambda s: _still_open(s, now, threshold)
        )

    open_still = (
        ShipmentException.objects.filter(kind=Kind.NO_MOVEMENT, ended_at__isnull=True)
        .order_by("shipment_id", "pk")
        .values_list("shipment_id", "pk")
    )
    for shipment_id, exception_id in open_still:
        counts["no_movement_ended"] += _under_lock(
            shipment_id, lambda s, pk=exception_id: _still_end(s, pk, now)
        )
    return counts


def _late_open(shipment: Shipment, now) -> int:
    """Open the late episode of a locked shipment if it is late, or raise the
    peak of the open one; 1 if opened."""
    if not _late(shipment, now):
        return 0  # delivered, or given a new plan, meanwhile
    planned = shipment.planned_delivery_at
    # Hours behind the plan: by the ETA, or by the clock once the plan passed.
    hours = _hours(max(shipment.eta or now, now) - planned)
    details = _("ETA %(eta)s, planned %(planned)s.") % {
        "eta": timezone.localtime(shipment.eta).strftime("%Y-%m-%d %H:%M") if shipment.eta else "—",
        "planned": timezone.localtime(planned).strftime("%Y-%m-%d %H:%M"),
    }
    exception, created = exception_open(
        shipment=shipment,
        kind=Kind.LATE,
        started_at=planned if planned < now else now,
        details=details,
        peak_value=hours,
    )
    if not created:
        _peak_raise(exception, hours)
    return int(created)


def _late_end(shipment: Shipment, exception_id: int, now) -> int:
    # A stopped shipment keeps its episode until it is moving again.
    if _late(shipment, now) or shipment.status == Status.EXCEPTION:
        return 0
    return _episode_end(exception_id, now)


def _episode_end(exception_id: int, ended_at) -> int:
    """End the episode if it is still open; 1 if this ended it."""
    exception = ShipmentException.objects.select_for_update().get(pk=exception_id)
    if exception.ended_at is not None:
        return 0
    exception_end(exception=exception, ended_at=ended_at)
    return 1


def _still_open(shipment: Shipment, now, threshold: timedelta) -> int:
    since = _still_since(shipment)
    if since is None or since > now - threshold:
        return 0  # it moved or arrived meanwhile
    hours = _hours(now - since)
    exception, created = exception_open(
        shipment=shipment,
        kind=Kind.NO_MOVEMENT,
        started_at=since,
        details=_("No movement since %(time)s.")
        % {"time": timezone.localtime(since).strftime("%Y-%m-%d %H:%M")},
        peak_value=hours,
    )
    if not created:
        _peak_raise(exception, hours)
    return int(created)


def _still_end(shipment: Shipment, exception_id: int, now) -> int:
    exception = ShipmentException.objects.get(pk=exception_id)
    moved = _moved_at(shipment)
    if shipment.status in FINISHED_STATUSES:
        return _episode_end(exception_id, now)
    if moved is not None and moved > exception.started_at:
        return _episode_end(exception_id, moved)
    return 0

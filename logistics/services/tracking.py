"""Tracking: events from carriers and warehouse scanners, telemetry from
devices (GPS, temperature, humidity), and the devices themselves.

Carrier events are normalised to our statuses, stored once per (source,
event id), placed in the timeline by when they happened, and move the
shipment only when no status change the carrier reported happened after them
and the transition table allows it; what is not applied stays in the
timeline with the reason (hidden from the customer) and is applied later if
the shipment catches up with it (carrier_backlog_replay). Telemetry is
checked as a whole batch, stored once per (device, time), and evaluated for
cold-chain episodes (logistics.services.exceptions).
"""

import re
import secrets
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from erp.core.db import lock_timeout
from erp.core.errors import DomainError
from logistics.models import (
    SensorReading,
    Shipment,
    ShipmentEvent,
    ShipmentException,
    TrackingDevice,
    device_token_digest,
)
from logistics.routing import haversine_metres
from logistics.services.errors import LogisticsInvalid, ShipmentConflict
from logistics.services.exceptions import (
    cold_chain_evaluate,
    exception_end,
    exception_open,
)
from logistics.services.shipments import (
    _record,
    allowed_targets,
    shipment_deliver,
    shipment_for_update,
    shipment_transition,
)

Status = Shipment.Status
Source = ShipmentEvent.Source
Kind = ShipmentException.Kind
COORDINATE = Decimal("0.000001")
MEASURE = Decimal("0.01")
# Sensor ranges we accept: beyond them it is a broken sensor, not a reading.
TEMPERATURE_RANGE = (Decimal("-100"), Decimal("200"))
HUMIDITY_RANGE = (Decimal("0"), Decimal("100"))
DEVICE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
# How far back a device or carrier may report: older is a clock that was
# never set (1970, year 1), not a late delivery of real news.
OLDEST = timedelta(days=366)

# --- Carrier statuses -------------------------------------------------------

# "picked up" means dispatched for a packed shipment and in transit for a
# dispatched one (see _target).
PICKED_UP = "picked_up"


@dataclass(frozen=True)
class Normalised:
    """What a carrier's status word means to us: a status, a reported
    problem (an exception kind), or nothing we know (kept as a tracking event)."""

    status: str = ""
    problem: str = ""


_STATUS_WORDS = {
    PICKED_UP: [
        "picked_up",
        "pickup",
        "picked",
        "collected",
        "accepted",
        "shipment_picked_up",
        "揽收",
        "已揽收",
        "已揽件",
        "揽件",
        "收件",
        "已收件",
    ],
    Status.IN_TRANSIT: [
        "in_transit",
        "transit",
        "arrived",
        "departed",
        "arrived_at_facility",
        "departed_facility",
        "运输中",
        "在途",
        "到达",
        "已到达",
        "离开",
        "已发出",
        "发往",
        "转运中",
        "中转",
    ],
    Status.OUT_FOR_DELIVERY: [
        "out_for_delivery",
        "with_courier",
        "派送中",
        "派件",
        "派件中",
        "正在派件",
        "派送",
    ],
    Status.DELIVERED: [
        "delivered",
        "signed",
        "已签收",
        "签收",
        "妥投",
        "已妥投",
        "代收",
        "已代收",
    ],
    Status.RETURNED_TO_SENDER: [
        "returned",
        "returned_to_sender",
        "return_to_sender",
        "rts",
        "退回",
        "已退回",
        "退件",
        "退签",
    ],
}
_PROBLEM_WORDS = {
    Kind.FAILED_ATTEMPT: [
        "failed_attempt",
        "attempt_fail",
        "attempt_failed",
        "delivery_failed",
        "failed_delivery",
        "undeliverable",
        "refused",
        "派送失败",
        "投递失败",
        "派件失败",
        "拒收",
        "拒签",
        "无人签收",
    ],
    Kind.DAMAGED: ["damaged", "damage", "broken", "破损", "损坏"],
    Kind.LOST: ["lost", "missing", "丢失", "遗失", "丢件"],
}
EXACT_WORDS: dict[str, Normalised] = {
    **{w: Normalised(status=s) for s, words in _STATUS_WORDS.items() for w in words},
    **{w: Normalised(problem=k) for k, words in _PROBLEM_WORDS.items() for w in words},
}
# A Chinese carrier text is a phrase ("快件已签收，感谢使用"): the first of
# these found in it decides. Failures and returns come before the words they
# contain or resemble ("派送失败" holds "派送").
PHRASE_WORDS: list[tuple[str, Normalised]] = [
    (w, Normalised(problem=Kind.FAILED_ATTEMPT)) for w in _PROBLEM_WORDS[Kind.FAILED_ATTEMPT]
]
PHRASE_WORDS += [(w, Normalised(problem=Kind.DAMAGED)) for w in ("破损", "损坏")]
PHRASE_WORDS += [(w, Normalised(problem=Kind.LOST)) for w in ("丢失", "遗失", "丢件")]
PHRASE_WORDS += [(w, Normalised(status=Status.RETURNED_TO_SENDER)) for w in ("退回", "退件")]
PHRASE_WORDS += [(w, Normalised(status=Status.DELIVERED)) for w in ("签收", "妥投", "代收")]
PHRASE_WORDS += [(w, Normalised(status=Status.OUT_FOR_DELIVERY)) for w in ("派送", "派件")]
PHRASE_WORDS += [(w, Normalised(status=PICKED_UP)) for w in ("揽收", "揽件", "收件")]
PHRASE_WORDS += [
    (w, Normalised(status=Status.IN_TRANSIT))
    for w in ("运输", "在途", "到达", "离开", "发往", "发出", "转运", "中转")
]
# Numeric state codes of carriers and aggregators, by carrier code. KUAIDI100
# is the state field of the Kuaidi100 tracking push (0 在途, 1 揽收, 2 疑难,
# 3 签收, 4 退签, 5 派件, 6 退回, 14 拒签).
CARRIER_CODES: dict[str, dict[str, Normalised]] = {
    "KUAIDI100": {
        "0": Normalised(status=Status.IN_TRANSIT),
        "1": Normalised(status=PICKED_UP),
        "3": Normalised(status=Status.DELIVERED),
        "4": Normalised(status=Status.RETURNED_TO_SENDER),
        "5": Normalised(status=Status.OUT_FOR_DELIVERY),
        "6": Normalised(status=Status.RETURNED_TO_SENDER),
        "14": Normalised(problem=Kind.FAILED_ATTEMPT),
    },
}


def carrier_status_normalise(word: str, *, carrier_code: str | None = None) -> Normalised:
    """Our meaning of a carrier's status word or code: English codes in any
    case or spelling ("OutForDelivery", "out-for-delivery"), common Chinese
    courier words and phrases, and per-carrier numeric codes."""
    raw = (word or "").strip()
    if carrier_code:
        coded = CARRIER_CODES.get(carrier_code.strip().upper(), {}).get(raw)
        if coded is not None:
            return coded
    key = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", raw)  # CamelCase -> snake_case
    key = re.sub(r"[\s\-]+", "_", key).lower()
    if key in EXACT_WORDS:
        return EXACT_WORDS[key]
    for phrase, meaning in PHRASE_WORDS:
        if phrase in raw:
            return meaning
    return Normalised()


# --- Input checks -----------------------------------------------------------


def _number(value, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise LogisticsInvalid(_("Enter a number."), field=field)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise LogisticsInvalid(_("Enter a number."), field=field) from None
    if not number.is_finite():
        raise LogisticsInvalid(_("Enter a number."), field=field)
    return number


def coordinates_clean(latitude, longitude, *, prefix: str = "") -> tuple:
    """(latitude, longitude) as Decimals, or (None, None) when neither is given.
    Raises LogisticsInvalid naming `<prefix>latitude` or `<prefix>longitude`."""
    if latitude is None and longitude is None:
        return None, None
    if latitude is None or longitude is None:
        missing = "latitude" if latitude is None else "longitude"
        raise LogisticsInvalid(_("Give both latitude and longitude."), field=prefix + missing)
    lat = _number(latitude, prefix + "latitude")
    lon = _number(longitude, prefix + "longitude")
    if not Decimal("-90") <= lat <= Decimal("90"):
        raise LogisticsInvalid(_("A latitude lies between -90 and 90."), field=prefix + "latitude")
    if not Decimal("-180") <= lon <= Decimal("180"):
        raise LogisticsInvalid(
            _("A longitude lies between -180 and 180."), field=prefix + "longitude"
        )
    return lat.quantize(COORDINATE), lon.quantize(COORDINATE)


def _measure(value, field: str, bounds: tuple[Decimal, Decimal]) -> Decimal | None:
    if value is None:
        return None
    number = _number(value, field)
    if not bounds[0] <= number <= bounds[1]:
        raise LogisticsInvalid(
            _("Expected a value from %(low)s to %(high)s.") % {"low": bounds[0], "high": bounds[1]},
            field=field,
        )
    return number.quantize(MEASURE)


def time_clean(value, field: str, *, latest=None, earliest=None) -> datetime:
    """An aware datetime from a datetime, an ISO 8601 text or epoch seconds;
    a time without offset is taken as local time. Later than now plus
    TRACKING_FUTURE_TOLERANCE is refused (a device's or carrier's clock is
    off), and so is earlier than OLDEST before now (a clock never set)."""
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            when = datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise LogisticsInvalid(_("Enter a valid date and time."), field=field) from None
    elif isinstance(value, str) and value.strip():
        try:
            when = parse_datetime(value.strip())
        except ValueError:
            when = None
        if when is None:
            raise LogisticsInvalid(
                _("Enter a date and time as ISO 8601, e.g. 2025-11-22T14:30:00+08:00."),
                field=field,
            )
    else:
        raise LogisticsInvalid(_("Enter the date and time."), field=field)
    now = timezone.now()
    latest = latest or now + settings.TRACKING_FUTURE_TOLERANCE
    earliest = earliest or now - OLDEST
    try:
        if timezone.is_naive(when):
            when = timezone.make_aware(when)
        # Comparing converts to UTC, which overflows at the ends of the
        # calendar (0001-01-01T00:00+08:00 is in year 0 in UTC).
        too_late, too_early = when > latest, when < earliest
    except (OverflowError, ValueError):
        raise LogisticsInvalid(_("Enter a valid date and time."), field=field) from None
    if too_late:
        raise LogisticsInvalid(
            _("This time is in the future (more than %(minutes)s minutes ahead).")
            % {"minutes": int(settings.TRACKING_FUTURE_TOLERANCE.total_seconds() // 60)},
            field=field,
        )
    if too_early:
        raise LogisticsInvalid(
            _("This time is more than %(days)s days ago.") % {"days": OLDEST.days}, field=field
        )
    return when


# --- Positions --------------------------------------------------------------


def _position_update(shipment: Shipment, points: list[tuple]) -> None:
    """Follow the shipment's newest position; (time, latitude, longitude)
    points in time order. It moved when a point is more than
    TRACKING_MOVED_METRES from where it last moved. Points older than the
    known position only stay in the timeline. The caller holds the lock."""
    last_at = shipment.last_position_at
    points = [p for p in points if last_at is None or p[0] > last_at]
    if not points:
        return
    anchor = None
    if shipment.last_latitude is not None and shipment.last_longitude is not None:
        anchor = (float(shipment.last_latitude), float(shipment.last_longitude))
    moved_at = None
    for at, lat, lon in points:
        here = (float(lat), float(lon))
        if anchor is None:
            anchor = here
            if shipment.last_moved_at is None:
                moved_at = at  # the first position we know: the clock starts here
        elif haversine_metres(anchor, here) > settings.TRACKING_MOVED_METRES:
            anchor, moved_at = here, at
    at, lat, lon = points[-1]
    shipment.last_position_at, shipment.last_latitude, shipment.last_longitude = at, lat, lon
    fields = ["last_position_at", "last_latitude", "last_longitude", "updated_at"]
    if moved_at is not None and (
        shipment.last_moved_at is None or moved_at > shipment.last_moved_at
    ):
        shipment.last_moved_at = moved_at
        fields.append("last_moved_at")
        _still_end(shipment, moved_at)
    shipment.save(update_fields=fields)


def _still_end(shipment: Shipment, moved_at) -> None:
    still = ShipmentException.objects.filter(
        shipment=shipment, kind=Kind.NO_MOVEMENT, ended_at__isnull=True
    ).first()
    if still is not None:
        exception_end(exception=still, ended_at=moved_at)


def _moved(shipment: Shipment, at) -> None:
    """The shipment moved at `at` (a carrier's hub scan or status change, with
    or without coordinates); counts only when newer than what we know, the
    last movement or else the pick-up. The caller holds the lock."""
    known = max(filter(None, (shipment.last_moved_at, shipment.picked_up_at)), default=None)
    if known is not None and at <= known:
        return
    shipment.last_moved_at = at
    shipment.save(update_fields=["last_moved_at", "updated_at"])
    _still_end(shipment, at)


def _location_changed(shipment: Shipment, location: str, at) -> bool:
    """The event's place differs from the latest place known before it."""
    if not location:
        return False
    before = (
        ShipmentEvent.objects.filter(shipment=shipment, occurred_at__lt=at)
        .exclude(location="")
        .order_by("-occurred_at", "-pk")
        .values_list("location", flat=True)
        .first()
    )
    return before != location


# --- Carrier events ---------------------------------------------------------

FURTHER_THAN_PICKED_UP = (
    Status.IN_TRANSIT,
    Status.OUT_FOR_DELIVERY,
    Status.DELIVERED,
    Status.RETURNED_TO_SENDER,
)
# Statuses a carrier event stored without being applied may still bring the
# shipment to once it catches up (a reported problem opened its exception
# when it arrived; it does not stop the shipment afterwards).
REPLAYABLE = (Status.DISPATCHED, *FURTHER_THAN_PICKED_UP)
# Status changes we make ourselves; everything else is news from outside.
OUR_SOURCES = (Source.STAFF, Source.SYSTEM)
NOTE_SEPARATOR = " — "
# The copy of an event's fields the shipment's timeline keeps.
EVENT_FIELDS = (
    "source",
    "external_id",
    "carrier_status",
    "location",
    "latitude",
    "longitude",
    "occurred_at",
)


def _target(meaning: Normalised, current: str) -> str:
    if meaning.status != PICKED_UP:
        return meaning.status
    if current == Status.PACKED:
        return Status.DISPATCHED
    if current == Status.DISPATCHED:
        return Status.IN_TRANSIT
    return Status.DISPATCHED


def _joined(text: str, note: str) -> str:
    """The carrier's text and our note; the text is cut, never the note, so
    _carrier_text finds the text again."""
    if not text:
        return note[:500]
    room = max(0, 500 - len(NOTE_SEPARATOR) - len(note))
    return f"{text[:room]}{NOTE_SEPARATOR}{note}"[:500]


def _carrier_text(description: str) -> str:
    """The carrier's text of an event stored with a note (see _joined)."""
    text, separator, _note = description.rpartition(NOTE_SEPARATOR)
    return text if separator else ""


def _news(shipment: Shipment):
    """Status changes from outside (a carrier) that were applied: what an
    event has to be newer than to move the shipment. Our own clicks are not
    news about the parcel, and what was stored without being applied is not
    where the shipment is."""
    return ShipmentEvent.objects.filter(shipment=shipment, kind=ShipmentEvent.Kind.STATUS).exclude(
        source__in=OUR_SOURCES
    )


def _unapplied(shipment, to_status, fields, text, note, actor) -> ShipmentEvent:
    """A carrier event kept in the timeline with why it did not move the
    shipment; customers do not see it (it is not where their parcel is)."""
    return _record(
        shipment,
        kind=ShipmentEvent.Kind.TRACKING,
        actor=actor,
        to_status=to_status,
        description=_joined(text, note),
        visible_to_customer=False,
        **fields,
    )


def _other_carrier(shipment: Shipment, carrier_code: str | None) -> str:
    """Why an event naming another carrier than the shipment's does not move
    it, or "". An aggregator's code (KUAIDI100) names no carrier."""
    code = (carrier_code or "").strip().upper()
    if not code or code in CARRIER_CODES or shipment.carrier_id is None:
        return ""
    if code == shipment.carrier.code.strip().upper():
        return ""
    return _(
        "Not applied: the event is from carrier %(event)s; the shipment goes with %(ours)s."
    ) % {
        "event": code,
        "ours": shipment.carrier.code,
    }


@transaction.atomic
def tracking_event_ingest(
    *,
    shipment: Shipment,
    external_id: str,
    status: str,
    occurred_at,
    source: str = Source.CARRIER,
    location: str = "",
    latitude=None,
    longitude=None,
    description: str = "",
    recipient: str = "",
    carrier_code: str | None = None,
    actor=None,
) -> tuple[ShipmentEvent, bool]:
    """Record a carrier's tracking event; (event, created).

    The same (shipment, source, event id) again stores nothing (created False).
    The status word is normalised (carrier_status_normalise). The shipment
    follows it only if no status change reported from outside was applied
    after it and the transition table allows it; otherwise the event is kept
    with the status it claimed, a note why it was not applied (a carrier
    cannot fix our state, so this is not an error) and hidden from the
    customer. Once the shipment moves, events kept that way and newer than
    its latest news are applied in turn (carrier_backlog_replay). An event
    naming another carrier than the shipment's (`carrier_code`, unless it is
    an aggregator's scheme) is only kept, and a shipment without a carrier is
    not dispatched by one. A failed attempt, damage or loss opens an exception
    and stops the shipment; "delivered" records the proof of delivery with
    `recipient` (else the carrier's description). A new place or an applied
    status counts as movement, with or without coordinates."""
    external_id = (external_id or "").strip()
    if not external_id:
        raise LogisticsInvalid(_("Give the event's id."), field="external_id")
    if len(external_id) > 100:
        raise LogisticsInvalid(_("An event id has at most 100 characters."), field="external_id")
    word = (status or "").strip()
    if not word:
        raise LogisticsInvalid(_("Give the carrier's status."), field="status")
    if source not in Source.values:
        raise LogisticsInvalid(_("Unknown source."), field="source")
    occurred_at = time_clean(occurred_at, "occurred_at")
    lat, lon = coordinates_clean(latitude, longitude)
    meaning = carrier_status_normalise(word, carrier_code=carrier_code)

    with lock_timeout():
        shipment = shipment_for_update(shipment.pk)
    # The row lock serialises events of one shipment, so this look-up is
    # reliable; the unique constraint backs it for any other writer.
    duplicate = ShipmentEvent.objects.filter(
        shipment=shipment, source=source, external_id=external_id
    ).first()
    if duplicate is not None:
        return duplicate, False
    fields = {
        "source": source,
        "external_id": external_id,
        "carrier_status": word[:60],
        "location": (location or "").strip()[:200],
        "latitude": lat,
        "longitude": lon,
        "occurred_at": occurred_at,
    }
    text = (description or "").strip()[:500]
    try:
        with transaction.atomic():
            other = _other_carrier(shipment, carrier_code)
            if other:
                # Not our parcel's news: it neither moves nor places it.
                return _unapplied(shipment, "", fields, text, other, actor), True
            before = shipment.status
            new_place = _location_changed(shipment, fields["location"], occurred_at)
            if lat is not None:
                _position_update(shipment, [(occurred_at, lat, lon)])
            event = _event_apply(shipment, meaning, fields, text, recipient, actor)
            if shipment.status != before or new_place:
                _moved(shipment, occurred_at)
            if shipment.status != before:
                _backlog_replay(shipment, actor)
    except IntegrityError:
        duplicate = ShipmentEvent.objects.filter(
            shipment=shipment, source=source, external_id=external_id
        ).first()
        if duplicate is None:
            raise
        return duplicate, False
    return event, True


def _event_apply(shipment, meaning: Normalised, fields: dict, text: str, recipient, actor):
    newer = _news(shipment).filter(occurred_at__gt=fields["occurred_at"]).exists()
    older_note = _("Older than the shipment's latest status: kept in the timeline only.")
    if meaning.problem:
        return _problem_apply(shipment, meaning.problem, fields, text, newer, older_note, actor)
    if not meaning.status:
        return _record(
            shipment, kind=ShipmentEvent.Kind.TRACKING, actor=actor, description=text, **fields
        )
    target = _target(meaning, shipment.status)
    if newer:
        return _unapplied(shipment, target, fields, text, older_note, actor)
    if target == shipment.status or (
        # picked up long ago: it is further along already
        meaning.status == PICKED_UP and shipment.status in FURTHER_THAN_PICKED_UP
    ):
        return _record(
            shipment,
            kind=ShipmentEvent.Kind.TRACKING,
            actor=actor,
            to_status=target,
            description=text,
            **fields,
        )
    event, _applied = _status_apply(shipment, target, fields, text, recipient, actor)
    return event


def _status_apply(shipment, target, fields, text, recipient, actor) -> tuple[ShipmentEvent, bool]:
    """Move the shipment to `target` for a carrier event, or keep the event
    with why not; (event, applied)."""
    if target not in allowed_targets(shipment):
        note = _not_allowed(shipment.status, target)
        return _unapplied(shipment, target, fields, text, note, actor), False
    if target == Status.DISPATCHED and shipment.carrier_id is None:
        note = _("Not applied: the shipment has no carrier; dispatch it with its carrier.")
        return _unapplied(shipment, target, fields, text, note, actor), False
    try:
        with transaction.atomic():
            _pickup_backdate(shipment, fields["occurred_at"], target)
            if target == Status.DELIVERED:
                return _deliver(shipment, fields, text, recipient, actor), True
            event = shipment_transition(
                shipment=shipment,
                to_status=target,
                actor=actor,
                reason=text,
                **fields,
            )
            return event, True
    except DomainError as exc:  # e.g. not every unit packed
        shipment.refresh_from_db()
        note = _("Not applied: %(reason)s") % {"reason": exc.message}
        return _unapplied(shipment, target, fields, text, note, actor), False


def _pickup_backdate(shipment: Shipment, at, target: str) -> None:
    """A carrier reporting the parcel on its way before we recorded the
    dispatch had it then (staff clicked late): it was picked up by `at`, so a
    delivery the carrier reports after that is not "before it left"."""
    if target == Status.DISPATCHED or shipment.picked_up_at is None:
        return
    if shipment.created_at <= at < shipment.picked_up_at:
        shipment.picked_up_at = at
        shipment.save(update_fields=["picked_up_at", "updated_at"])


def _not_allowed(current: str, target: str) -> str:
    return _("Not applied: a shipment that is %(from)s cannot become %(to)s.") % {
        "from": Status(current).label,
        "to": Status(target).label,
    }


def _deliver(shipment, fields, text, recipient, actor) -> ShipmentEvent:
    name = (recipient or "").strip() or text or "—"
    shipment_deliver(
        shipment=shipment,
        recipient_name=name[:100],
        delivered_at=fields["occurred_at"],
        latitude=fields["latitude"],
        longitude=fields["longitude"],
        note=text,
        actor=actor,
        source=fields["source"],
    )
    # shipment_deliver wrote the status event; it is this carrier event.
    event = (
        ShipmentEvent.objects.filter(
            shipment=shipment, kind=ShipmentEvent.Kind.STATUS, to_status=Status.DELIVERED
        )
        .order_by("-pk")
        .first()
    )
    for name_ in ("external_id", "carrier_status", "location"):
        setattr(event, name_, fields[name_])
    event.save(update_fields=["external_id", "carrier_status", "location"])
    shipment.refresh_from_db()
    return event


def _problem_apply(shipment, kind, fields, text, newer, older_note, actor) -> ShipmentEvent:
    label = str(Kind(kind).label)
    if newer and kind == Kind.FAILED_ATTEMPT:
        # A failed attempt before the latest news (delivered, out again ...)
        # has been overtaken; damage or loss stays a problem whenever it happened.
        return _unapplied(shipment, Status.EXCEPTION, fields, text or label, older_note, actor)
    exception_open(
        shipment=shipment,
        kind=kind,
        started_at=fields["occurred_at"],
        details=text or label,
        actor=actor,
        stop_shipment=False,
    )
    if shipment.status == Status.EXCEPTION:
        note = ""
    elif newer:
        note = older_note
    elif Status.EXCEPTION not in allowed_targets(shipment):
        note = _not_allowed(shipment.status, Status.EXCEPTION)
    else:
        return shipment_transition(
            shipment=shipment,
            to_status=Status.EXCEPTION,
            actor=actor,
            reason=text or label,
            **fields,
        )
    if note:
        return _unapplied(shipment, Status.EXCEPTION, fields, text or label, note, actor)
    return _record(
        shipment,
        kind=ShipmentEvent.Kind.TRACKING,
        actor=actor,
        to_status=Status.EXCEPTION,
        description=text or label,
        **fields,
    )


# --- Catching up with the carrier -------------------------------------------

_replaying: ContextVar[bool] = ContextVar("carrier_backlog_replaying", default=False)


@transaction.atomic
def carrier_backlog_replay(*, shipment: Shipment, actor=None) -> list[ShipmentEvent]:
    """Apply the carrier's events that were stored without moving the
    shipment (it could not take their status yet) now that it may; the status
    events written, in order.

    Call it after a status change the carrier did not report - a dispatch by
    staff above all - inside the same transaction: a carrier that scanned the
    parcel in transit, out for delivery and delivered before staff clicked
    "dispatched" would otherwise leave it dispatched for good. Events newer
    than the latest applied carrier status are taken in the order they
    happened; each one the transition table now allows is applied as if it
    had just arrived (a delivery through shipment_deliver, with its proof),
    the others stay as they are. Running it again changes nothing. The
    shipment is locked here and `shipment` is refreshed in place."""
    if _replaying.get():
        return []  # called by a transition the replay itself applies
    with lock_timeout():
        shipment_for_update(shipment.pk)  # a no-op when the caller holds it
    shipment.refresh_from_db()
    return _backlog_replay(shipment, actor)


def _backlog_replay(shipment: Shipment, actor) -> list[ShipmentEvent]:
    if _replaying.get():
        return []  # a transition applied by the replay itself
    token = _replaying.set(True)
    try:
        applied = []
        seen = None  # (occurred_at, pk) of the last row looked at
        while True:
            rows = ShipmentEvent.objects.filter(
                shipment=shipment,
                kind=ShipmentEvent.Kind.TRACKING,
                visible_to_customer=False,
                to_status__in=REPLAYABLE,
            ).exclude(source__in=OUR_SOURCES)
            latest = (
                _news(shipment)
                .order_by("-occurred_at")
                .values_list("occurred_at", flat=True)
                .first()
            )
            if latest is not None:
                rows = rows.filter(occurred_at__gt=latest)
            if seen is not None:
                rows = rows.filter(
                    Q(occurred_at__gt=seen[0]) | Q(occurred_at=seen[0], pk__gt=seen[1])
                )
            row = rows.order_by("occurred_at", "pk").first()
            if row is None:
                return applied
            seen = (row.occurred_at, row.pk)
            event = _replay_one(shipment, row, actor)
            if event is not None:
                applied.append(event)
    finally:
        _replaying.reset(token)


class _NotReplayed(Exception):
    pass


def _replay_one(shipment: Shipment, row: ShipmentEvent, actor) -> ShipmentEvent | None:
    target = row.to_status
    if target == shipment.status or target not in allowed_targets(shipment):
        return None
    fields = {name: getattr(row, name) for name in EVENT_FIELDS}
    try:
        with transaction.atomic():
            # The status change takes the stored event's place, with its
            # event id, so the carrier's event is in the timeline once.
            row.delete()
            event, applied = _status_apply(
                shipment, target, fields, _carrier_text(row.description), "", actor
            )
            if not applied:
                raise _NotReplayed
    except _NotReplayed:
        shipment.refresh_from_db()
        return None
    _moved(shipment, fields["occurred_at"])
    return event


# --- Scanner events ---------------------------------------------------------


@transaction.atomic
def scan_event_record(
    *,
    shipment: Shipment,
    scanner_id: str,
    location: str = "",
    code: str = "",
    occurred_at=None,
    external_id: str = "",
    description: str = "",
    actor=None,
) -> tuple[ShipmentEvent, bool]:
    """A warehouse scanner read the shipment's label (at packing, at the
    hand-over to the carrier ...); (event, created). `code` is what was read:
    given, it must be the shipment's number or tracking number, so a wrong
    parcel is caught at the dock. The scanner sending the same scan again
    (same `external_id`, by default scanner and time) stores nothing."""
    scanner_id = (scanner_id or "").strip()
    if not scanner_id:
        raise LogisticsInvalid(_("Which scanner read it?"), field="scanner_id")
    code = (code or "").strip()
    if code and code not in {shipment.number, shipment.tracking_number}:
        raise LogisticsInvalid(
            _("The scanned code %(code)s is not shipment %(number)s.")
            % {"code": code, "number": shipment.number},
            field="code",
        )
    occurred_at = time_clean(occurred_at or timezone.now(), "occurred_at")
    external_id = (external_id or f"{scanner_id}@{occurred_at.isoformat()}")[:100]
    with lock_timeout():
        shipment = shipment_for_update(shipment.pk)
    duplicate = ShipmentEvent.objects.filter(
        shipment=shipment, source=Source.SCANNER, external_id=external_id
    ).first()
    if duplicate is not None:
        return duplicate, False
    place = (location or "").strip()[:200]
    event = _record(
        shipment,
        kind=ShipmentEvent.Kind.SCAN,
        actor=actor,
        source=Source.SCANNER,
        external_id=external_id,
        occurred_at=occurred_at,
        location=place,
        description=(
            (description or "").strip() or _("Scanned by %(scanner)s.") % {"scanner": scanner_id}
        )[:500],
        visible_to_customer=False,
    )
    return event, True


# --- Devices and telemetry --------------------------------------------------


@transaction.atomic
def device_create(
    *, device_id: str, name: str = "", shipment: Shipment | None = None, vehicle=None
) -> tuple[TrackingDevice, str]:
    """A device with a new token; (device, token). The token is shown only
    now: we keep its SHA-256 digest and first characters, never the token."""
    device_id = (device_id or "").strip()
    if not DEVICE_ID.match(device_id):
        raise LogisticsInvalid(
            _("A device id has 1 to 64 letters, digits, dots, colons, dashes or underscores."),
            field="device_id",
        )
    if shipment is not None:
        _check_attachable(shipment)
    token = secrets.token_urlsafe(32)
    taken = _("A device %(id)s exists already.") % {"id": device_id}
    if TrackingDevice.objects.filter(device_id=device_id).exists():
        raise LogisticsInvalid(taken, field="device_id")
    try:
        with transaction.atomic():
            device = TrackingDevice.objects.create(
                device_id=device_id,
                name=(name or "").strip()[:100],
                token_digest=device_token_digest(token),
                token_prefix=token[:8],
                shipment=shipment,
                vehicle=vehicle,
            )
    except IntegrityError:
        raise LogisticsInvalid(taken, field="device_id") from None
    return device, token


def _check_attachable(shipment: Shipment) -> None:
    if shipment.status in (Status.DELIVERED, Status.RETURNED_TO_SENDER, Status.CANCELLED):
        raise ShipmentConflict(
            _("Shipment %(number)s is %(status)s; attach the device to one still under way.")
            % {"number": shipment.number, "status": Status(shipment.status).label},
            field="shipment",
        )


@transaction.atomic
def device_attach(
    *, device: TrackingDevice, shipment: Shipment | None, actor=None
) -> TrackingDevice:
    """Put the device with a shipment (its readings go to that shipment from
    now on), or take it off (shipment None)."""
    device = TrackingDevice.objects.select_for_update().get(pk=device.pk)
    if shipment is not None:
        _check_attachable(shipment)
    if device.shipment_id == (shipment.pk if shipment else None):
        return device
    device.shipment = shipment
    device.save(update_fields=["shipment", "updated_at"])
    if shipment is not None:
        _record(
            shipment,
            kind=ShipmentEvent.Kind.NOTE,
            actor=actor,
            description=_("Tracking device %(id)s attached.") % {"id": device.device_id},
            visible_to_customer=False,
        )
    return device


def readings_clean(readings) -> list[dict]:
    """Check a whole batch before anything is stored: each bad reading is a
    LogisticsInvalid naming `readings[i].<field>`."""
    if not isinstance(readings, list):
        raise LogisticsInvalid(_("Send the readings as a list."), field="readings")
    if not readings:
        raise LogisticsInvalid(_("Send at least one reading."), field="readings")
    limit = settings.TRACKING_TELEMETRY_BATCH_LIMIT
    if len(readings) > limit:
        raise LogisticsInvalid(
            _("At most %(limit)s readings per request; split the batch.") % {"limit": limit},
            field="readings",
        )
    now = timezone.now()
    latest, earliest = now + settings.TRACKING_FUTURE_TOLERANCE, now - OLDEST
    rows = []
    for index, item in enumerate(readings):
        prefix = f"readings[{index}]."
        if not isinstance(item, dict):
            raise LogisticsInvalid(_("A reading is an object."), field=f"readings[{index}]")
        lat, lon = coordinates_clean(item.get("latitude"), item.get("longitude"), prefix=prefix)
        row = {
            "recorded_at": time_clean(
                item.get("time"), prefix + "time", latest=latest, earliest=earliest
            ),
            "latitude": lat,
            "longitude": lon,
            "temperature": _measure(
                item.get("temperature"), prefix + "temperature", TEMPERATURE_RANGE
            ),
            "humidity": _measure(item.get("humidity"), prefix + "humidity", HUMIDITY_RANGE),
        }
        if lat is None and row["temperature"] is None and row["humidity"] is None:
            raise LogisticsInvalid(
                _("A reading needs a position, a temperature or a humidity."),
                field=f"readings[{index}]",
            )
        rows.append(row)
    return rows


@transaction.atomic
def telemetry_ingest(*, device: TrackingDevice, readings: list[dict]) -> dict[str, int]:
    """Store a device's batch of readings - dicts of time, latitude, longitude,
    temperature, humidity - and evaluate them; the summary {received, stored,
    duplicates, exceptions_opened}.

    The whole batch is checked first (nothing is stored if any reading is
    bad). A time the device already sent - in an earlier batch or twice in
    this one - is a duplicate and ignored. Readings go to the device's current
    shipment, whose last position follows the newest of them and whose cold
    chain is evaluated (one exception per breach episode)."""
    rows = readings_clean(readings)
    with lock_timeout():
        # One batch of a device at a time, so the duplicate count is exact and
        # episodes are evaluated over everything stored before.
        device = TrackingDevice.objects.select_for_update().get(pk=device.pk)
        shipment = shipment_for_update(device.shipment_id) if device.shipment_id else None
    unique = {}
    for row in rows:
        unique.setdefault(row["recorded_at"], row)
    times = sorted(unique)
    known = set()
    for k in range(0, len(times), 500):
        known.update(
            SensorReading.objects.filter(
                device=device, recorded_at__in=times[k : k + 500]
            ).values_list("recorded_at", flat=True)
        )
    new = [unique[at] for at in times if at not in known]
    SensorReading.objects.bulk_create(
        [SensorReading(device=device, shipment=shipment, **row) for row in new],
        batch_size=500,
        ignore_conflicts=True,  # the unique (device, time) is the last word
    )
    device.last_seen_at = timezone.now()
    device.save(update_fields=["last_seen_at", "updated_at"])
    opened = 0
    if shipment is not None and new:
        _position_update(
            shipment,
            [
                (r["recorded_at"], r["latitude"], r["longitude"])
                for r in new
                if r["latitude"] is not None
            ],
        )
        if shipment.status != Status.CANCELLED:
            opened = cold_chain_evaluate(shipment=shipment, since=new[0]["recorded_at"])
    return {
        "received": len(rows),
        "stored": len(new),
        "duplicates": len(rows) - len(new),
        "exceptions_opened": opened,
    }

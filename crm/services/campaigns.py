"""Campaigns: a message to the consenting customers of a segment.

A campaign is written as a draft, its audience previewed, then sent: the
send marks it `sending` and queues `crm.send_campaign`, whose run writes one
CampaignSend per consenting customer with an address for the channel (set-
based, in one INSERT ... SELECT that checks the consent, through the
once-per-customer constraint) and hands each to `notification_send` under
the key "campaign:<id>:<customer>". Run twice, it sends nothing twice.

Orders that carry the campaign's code (Order.campaign, set at intake) count
as its responses (crm.selectors.campaign_stats)."""

import re

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Campaign, CampaignSend, Customer, Segment
from crm.selectors import campaign_audience, campaign_recipient_field, segment_customers
from crm.services.segments import SegmentInvalid, segment_filters_clean
from erp.core.errors import DomainError
from erp.core.notifications import notification_send

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,29}$")
PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
PLACEHOLDERS = {"name"}
EDITABLE = ("name", "segment", "channel", "subject", "message", "attribution_days")


class CampaignInvalid(DomainError):
    status_code = 400
    code = "invalid"


class CampaignNotDraft(DomainError):
    status_code = 409
    code = "transition_not_allowed"


def campaign_code_normalise(code: str) -> str:
    return (code or "").strip().upper()


def _check_code(code: str, exclude_pk=None) -> str:
    code = campaign_code_normalise(code)
    if not CODE_RE.match(code):
        raise CampaignInvalid(
            _("A campaign code is 2-30 letters, digits, - or _, e.g. CP-202611-001."),
            field="code",
        )
    taken = Campaign.objects.filter(code=code)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise CampaignInvalid(_("Campaign code %(code)s is taken.") % {"code": code}, field="code")
    return code


def _next_code() -> str:
    prefix = f"CP-{timezone.localdate():%Y%m}-"
    last = (
        Campaign.objects.filter(code__startswith=prefix)
        .order_by("-code")
        .values_list("code", flat=True)
        .first()
    )
    tail = last[len(prefix) :] if last else ""
    number = int(tail) + 1 if tail.isdigit() else 1
    return f"{prefix}{number:03d}"


def _check_text(text: str, field: str) -> None:
    for placeholder in PLACEHOLDER_RE.findall(text or ""):
        if placeholder not in PLACEHOLDERS:
            raise CampaignInvalid(
                _("Only {name} can be filled in; remove {%(placeholder)s}.")
                % {"placeholder": placeholder},
                field=field,
            )


def _check(fields: dict) -> None:
    if fields["channel"] not in Campaign.Channel.values:
        raise CampaignInvalid(_("Choose e-mail or SMS."), field="channel")
    if not (fields.get("name") or "").strip():
        raise CampaignInvalid(_("A campaign needs a name."), field="name")
    if not (fields.get("message") or "").strip():
        raise CampaignInvalid(_("Write the message."), field="message")
    if fields["channel"] == Campaign.Channel.EMAIL and not (fields.get("subject") or "").strip():
        raise CampaignInvalid(_("An e-mail needs a subject."), field="subject")
    if not 1 <= int(fields.get("attribution_days") or 0) <= 365:
        raise CampaignInvalid(_("Count responses for 1 to 365 days."), field="attribution_days")
    _check_text(fields.get("subject", ""), "subject")
    _check_text(fields["message"], "message")
    if not isinstance(fields.get("segment"), Segment):
        raise CampaignInvalid(_("Choose a segment."), field="segment")


def campaign_render(text: str, customer) -> str:
    return (text or "").replace("{name}", customer.name)


@transaction.atomic
def campaign_create(
    *,
    name: str,
    segment: Segment,
    channel: str,
    message: str,
    subject: str = "",
    code: str = "",
    attribution_days: int = 30,
    actor=None,
) -> Campaign:
    """A draft campaign. Without a code it gets the next CP-YYYYMM-NNN."""
    fields = {
        "name": (name or "").strip(),
        "segment": segment,
        "channel": channel,
        "subject": (subject or "").strip(),
        "message": (message or "").strip(),
        "attribution_days": attribution_days,
    }
    _check(fields)
    given = bool((code or "").strip())
    code = _check_code(code) if given else _next_code()
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Campaign.objects.create(
                    code=code,
                    created_by=actor if actor is not None and actor.is_authenticated else None,
                    **fields,
                )
        except IntegrityError:
            if given:  # another campaign took the code a moment ago
                raise CampaignInvalid(
                    _("Campaign code %(code)s is taken.") % {"code": code}, field="code"
                ) from None
            code = _next_code()
    raise CampaignInvalid(_("No free campaign code; give one."), field="code")


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


def _draft(campaign: Campaign) -> None:
    if campaign.status != Campaign.Status.DRAFT:
        raise CampaignNotDraft(
            _("Campaign %(code)s is %(status)s; only a draft can be changed.")
            % {"code": campaign.code, "status": campaign.get_status_display()}
        )


@transaction.atomic
def campaign_update(*, campaign: Campaign, actor=None, **changes) -> Campaign:
    """Change a draft (and its code, if given)."""
    campaign = _locked(campaign)
    _draft(campaign)
    unknown = set(changes) - set(EDITABLE) - {"code"}
    if unknown:
        field = sorted(unknown)[0]
        raise CampaignInvalid(_("Unknown field %(field)s.") % {"field": field}, field=field)
    if "code" in changes:
        campaign.code = _check_code(changes.pop("code"), exclude_pk=campaign.pk)
    for key, value in changes.items():
        setattr(campaign, key, value.strip() if isinstance(value, str) else value)
    _check({key: getattr(campaign, key) for key in EDITABLE})
    campaign.save()
    return campaign


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, actor=None) -> Campaign:
    campaign = _locked(campaign)
    _draft(campaign)
    campaign.status = Campaign.Status.CANCELLED
    campaign.save(update_fields=["status", "updated_at"])
    return campaign


@transaction.atomic
def campaign_send(*, campaign: Campaign, actor=None) -> Campaign:
    """Start sending a draft: it becomes `sending` and the task
    crm.send_campaign does the rest after commit. A campaign left `sending`
    (the queue was down) is queued again."""
    from crm.tasks import send_campaign

    campaign = _locked(campaign)
    if campaign.status != Campaign.Status.SENDING:
        _draft(campaign)
        try:
            segment_filters_clean(filters=campaign.segment.filters)
        except SegmentInvalid as exc:
            raise CampaignInvalid(
                _("Segment %(name)s no longer works (%(why)s); fix it first.")
                % {"name": campaign.segment.name, "why": exc.message},
                field="segment",
            ) from None
        campaign.status = Campaign.Status.SENDING
        campaign.sent_by = actor if actor is not None and actor.is_authenticated else None
        campaign.save(update_fields=["status", "sent_by", "updated_at"])
    campaign_id = campaign.pk
    transaction.on_commit(lambda: send_campaign.delay(campaign_id), robust=True)
    return campaign


def _insert_sends(campaign: Campaign, now) -> int:
    """One INSERT ... SELECT: a row per consenting, active customer of the
    segment with an address for the channel, none twice."""
    field = campaign_recipient_field(campaign.channel)
    eligible = (
        Customer.objects.filter(
            pk__in=segment_customers(campaign.segment.filters).order_by().values("pk"),
            marketing_consent=True,
            merged_into__isnull=True,
        )
        .exclude(**{field: ""})
        .order_by()
        .annotate(send_customer=F("pk"), send_recipient=F(field))
        .values_list("send_customer", "send_recipient")
    )
    select_sql, params = eligible.query.sql_with_params()
    qn = connection.ops.quote_name
    table = qn(CampaignSend._meta.db_table)
    columns = ", ".join(qn(c) for c in ("campaign_id", "customer_id", "recipient", "created_at"))
    # WHERE 1 = 1: SQLite needs it to tell ON CONFLICT from a join's ON. Only quoted
    # names and Django's own compiled SQL are formatted in; values are parameters.
    sql = f"INSERT INTO {table} ({columns}) SELECT %s, e.send_customer, e.send_recipient, %s FROM ({select_sql}) e WHERE 1 = 1 ON CONFLICT DO NOTHING"  # noqa: E501, S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign.pk, now, *params])
        return max(cursor.rowcount, 0)


def campaign_send_run(*, campaign_id: int) -> dict:
    """Send a `sending` campaign (the task crm.send_campaign). Safe to run
    twice: the campaign row is locked, a sent campaign is left alone, a
    customer gets one send and one notification."""
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update()
            .select_related("segment")
            .filter(pk=campaign_id)
            .first()
        )
        if campaign is None or campaign.status != Campaign.Status.SENDING:
            return {"campaign": campaign_id, "skipped": True, "sent": 0}
        now = timezone.now()
        audience = campaign_audience(segment=campaign.segment, channel=campaign.channel)
        inserted = _insert_sends(campaign, now)
        # Rows of an earlier, interrupted run whose customer has withdrawn
        # consent (or was merged) since are not sent.
        CampaignSend.objects.filter(campaign=campaign, notification__isnull=True).exclude(
            customer__marketing_consent=True, customer__merged_into__isnull=True
        ).delete()
        pending = (
            CampaignSend.objects.filter(
                campaign=campaign,
                notification__isnull=True,
                customer__marketing_consent=True,
                customer__merged_into__isnull=True,
            )
            .select_related("customer")
            .order_by("pk")
        )
        done, batch = 0, []
        for send in pending.iterator(chunk_size=500):
            send.notification = notification_send(
                key=f"campaign:{campaign.pk}:{send.customer_id}",
                channel=campaign.channel,
                recipient=send.recipient,
                subject=campaign_render(campaign.subject or campaign.name, send.customer),
                body=campaign_render(campaign.message, send.customer),
            )
            batch.append(send)
            if len(batch) >= 500:
                CampaignSend.objects.bulk_update(batch, ["notification"])
                done, batch = done + len(batch), []
        if batch:
            CampaignSend.objects.bulk_update(batch, ["notification"])
            done += len(batch)
        campaign.status = Campaign.Status.SENT
        campaign.sent_at = campaign.sent_at or now
        campaign.audience_count = audience["customers"]
        campaign.excluded_no_consent = audience["no_consent"]
        campaign.excluded_no_address = audience["no_address"]
        campaign.save(
            update_fields=[
                "status",
                "sent_at",
                "audience_count",
                "excluded_no_consent",
                "excluded_no_address",
                "updated_at",
            ]
        )
    return {
        "campaign": campaign_id,
        "audience": audience["customers"],
        "recipients": audience["recipients"],
        "inserted": inserted,
        "sent": done,
    }


def campaign_for_code(code: str) -> Campaign | None:
    """The campaign an order's code names (any case), or None."""
    code = campaign_code_normalise(code)
    return Campaign.objects.filter(code=code).first() if code else None

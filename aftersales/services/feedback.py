"""Customer feedback: one survey per ticket, sent when the ticket is
resolved (the ticket service mails the link), answered once through its
secret token within SURVEY_VALID_DAYS: satisfaction 1-5 (CSAT), optionally
likelihood to recommend 0-10 (NPS) and a comment. The answer is attached to
the ticket (a FEEDBACK event) and to the agent the ticket was assigned to."""

import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.models import Feedback, Ticket, TicketEvent
from erp.core.errors import DomainError

SURVEY_VALID_DAYS = 30
COMMENT_MAX = 2000


class FeedbackInvalid(DomainError):
    status_code = 400
    code = "invalid"


class FeedbackNotFound(DomainError):
    status_code = 404
    code = "not_found"


class FeedbackAlreadyAnswered(DomainError):
    status_code = 409
    code = "already_answered"


class FeedbackExpired(DomainError):
    status_code = 410
    code = "expired"


def feedback_expires_at(feedback: Feedback):
    return feedback.sent_at + timedelta(days=SURVEY_VALID_DAYS)


def feedback_expired(feedback: Feedback, now=None) -> bool:
    return (now or timezone.now()) > feedback_expires_at(feedback)


@transaction.atomic
def feedback_request(*, ticket: Ticket) -> Feedback:
    """The ticket's survey, created the first time (a reopened and again
    resolved ticket keeps its one survey)."""
    existing = Feedback.objects.filter(ticket=ticket).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():  # a concurrent resolve may create it first
            feedback = Feedback.objects.create(
                ticket=ticket,
                customer_id=ticket.customer_id,
                assignee_id=ticket.assignee_id,
                token=secrets.token_urlsafe(24),
                sent_at=timezone.now(),
            )
    except IntegrityError:
        return Feedback.objects.get(ticket=ticket)
    TicketEvent.objects.create(
        ticket=ticket, kind=TicketEvent.Kind.LINKED, to_value="survey", reason=_("Survey sent.")
    )
    return feedback


def _score(value, *, field: str, low: int, high: int, required: bool) -> int | None:
    if value is None or value == "":
        if required:
            raise FeedbackInvalid(_("This answer is required."), field=field)
        return None
    if isinstance(value, bool):
        value = None
    else:
        try:
            value = int(str(value).strip())
        except ValueError:
            value = None
    if value is None or not low <= value <= high:
        raise FeedbackInvalid(
            _("Choose a whole number from %(low)s to %(high)s.") % {"low": low, "high": high},
            field=field,
        )
    return value


@transaction.atomic
def feedback_submit(*, token: str, csat, nps=None, comment: str = "") -> Feedback:
    """Answer a survey. 404 for an unknown token, 409 when it was answered
    already, 410 once it expired, 400 naming the field for a bad answer."""
    feedback = (
        Feedback.objects.select_for_update(of=("self",))
        .select_related("ticket")
        .filter(token=token or "")
        .first()
    )
    if feedback is None or not token:
        raise FeedbackNotFound(_("There is no such survey."))
    if feedback.submitted_at is not None:
        raise FeedbackAlreadyAnswered(_("Thank you: your answer was received already."))
    now = timezone.now()
    if feedback_expired(feedback, now):
        raise FeedbackExpired(_("This survey has expired."))
    csat = _score(csat, field="csat", low=1, high=5, required=True)
    nps = _score(nps, field="nps", low=0, high=10, required=False)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise FeedbackInvalid(
            _("A comment has at most %(max)s characters.") % {"max": COMMENT_MAX}, field="comment"
        )
    feedback.csat, feedback.nps, feedback.comment, feedback.submitted_at = csat, nps, comment, now
    fields = ["csat", "nps", "comment", "submitted_at", "updated_at"]
    if feedback.assignee_id is None and feedback.ticket.assignee_id is not None:
        feedback.assignee_id = feedback.ticket.assignee_id
        fields.append("assignee")
    feedback.save(update_fields=fields)
    score = f"CSAT {csat}" + (f" · NPS {nps}" if nps is not None else "")
    TicketEvent.objects.create(
        ticket=feedback.ticket,
        kind=TicketEvent.Kind.FEEDBACK,
        to_value=score,
        reason=comment[:500],
        created_at=now,
    )
    return feedback

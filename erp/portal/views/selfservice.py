"""Portal: returns, repairs, complaints, replies and ratings.

Everything a customer files here lands in after-sales through its own
services, from the channel "portal": a return or exchange is an RMA
(return_request_create, which opens its ticket), a repair is a repair ticket
and a repair order (ticket_create + repair_create), a complaint or question a
ticket, a reply a customer message (ticket_customer_message: the SLA clock
restarts as it does for an e-mail), a rating the ticket's survey answer
(feedback_submit: one answer per ticket).

Who may act. Reading an order takes its secret link; acting in the
customer's name (a return means a refund, a complaint goes to a person) also
takes proof, once per browser session and order, that the visitor is the
customer: the last 4 digits of the order's phone number or its postcode -
the check of the lookup form (/track/), which the old "contact us" page of
after-sales asked for too. Tracking links travel: they are in every
notification, SMS are forwarded, the link is shared with whoever takes in the
parcel. A visitor signed in as the order's customer (erp.portal.otp) has
proven it already. Wrong checks are counted per order and per address and
stop after PORTAL_SELFSERVICE_CHECKS_PER_HOUR.

Every write is a POST (CSRF checked by the middleware), runs in one
transaction, is counted per address and per order
(PORTAL_SELFSERVICE_WRITES_PER_HOUR) and is logged on the erp.security
logger (the domain rows - ticket and return events, their history - keep
the rest). Tickets, returns and attachments are only ever looked up through
the order of the link: another order's number answers 404 like any unknown
page."""

import logging
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from aftersales.models import Feedback, Ticket, TicketAttachment, TicketMessage
from aftersales.services.feedback import (
    FeedbackAlreadyAnswered,
    FeedbackExpired,
    feedback_expired,
    feedback_submit,
)
from aftersales.services.repairs import repair_create
from aftersales.services.returns import deliveries, photos_check, return_request_create
from aftersales.services.returns import returnable_lines as returnable_lines_of
from aftersales.services.tickets import ticket_create, ticket_customer_message, ticket_update
from erp.core.errors import DomainError
from erp.core.services import client_ip
from erp.portal import access, selectors
from erp.portal.otp import portal_account
from erp.portal.selfservice_forms import (
    RETURN_REASONS,
    ComplaintForm,
    RateForm,
    RepairForm,
    ReplyForm,
    ReturnForm,
)

security_log = logging.getLogger("erp.security")

# The orders this browser session has shown the check for (their ids).
SESSION_PROVEN = "portal_proven_orders"
CUSTOMER_VISIBLE = (TicketMessage.Kind.REPLY, TicketMessage.Kind.CUSTOMER)
PHOTO_TYPES = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}

# Ticket statuses grouped for the page's badge (the words are the order page's).
STATUS_CODES = {
    Ticket.Status.NEW: "received",
    Ticket.Status.ASSIGNED: "received",
    Ticket.Status.IN_PROGRESS: "in_progress",
    Ticket.Status.REOPENED: "in_progress",
    Ticket.Status.WAITING_CUSTOMER: "waiting_customer",
    Ticket.Status.RESOLVED: "resolved",
    Ticket.Status.CLOSED: "closed",
}


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _log(event: str, request, order, **fields) -> None:
    details = " ".join(f"{name}={value}" for name, value in fields.items())
    security_log.info(
        "%s ip=%s order=%s %s", event, client_ip(request) or "-", order.number, details
    )


# --- Who may act ------------------------------------------------------------------


def is_proven(request, order) -> bool:
    """Whether this session may act on `order` without asking for the check."""
    if order.pk in request.session.get(SESSION_PROVEN, []):
        return True
    account = portal_account(request)
    return account is not None and account.customer.pk == order.customer_id


def mark_proven(request, order) -> None:
    """Remember for this session that the visitor gave the order's check
    (also what the lookup form may call after a successful lookup)."""
    proven = [pk for pk in request.session.get(SESSION_PROVEN, []) if pk != order.pk]
    request.session[SESSION_PROVEN] = [*proven, order.pk][-20:]


def check_matches(order, check: str) -> bool:
    """The lookup form's check against this order: the last 4 digits of the
    customer's or the delivery address's phone number, or the postcode."""
    address = order.shipping_address if isinstance(order.shipping_address, dict) else {}
    phones = (order.customer.phone, address.get("phone", ""))
    return access._check_matches(check, phones, access._postcode(address.get("postcode", "")))


def _accept(request, form, order, action: str) -> bool:
    """A POST that may go on to the service: not throttled, the form valid,
    the check given (once per session). Otherwise the form carries why and
    request.portal_status the answer's status."""
    ip = client_ip(request) or "-"
    writes = _limit("PORTAL_SELFSERVICE_WRITES_PER_HOUR", 30)
    over_ip = access.throttle_hit("selfservice-ip", ip, limit=writes)
    over_order = access.throttle_hit("selfservice-order", str(order.pk), limit=writes)
    if over_ip or over_order:
        _log("portal_selfservice_throttled", request, order, action=action)
        form.add_error(None, _("Too many requests; please try again in an hour."))
        request.portal_status = 429
        return False
    if not form.is_valid():
        return False
    if not form.needs_check:
        return True
    checks = _limit("PORTAL_SELFSERVICE_CHECKS_PER_HOUR", 10)
    # The check is 4 digits: as for the lookup form, an order also has a daily
    # budget of wrong ones, so a forwarded link cannot be worked through
    # 10 * 24 guesses a day.
    daily = _limit("PORTAL_SELFSERVICE_CHECKS_PER_DAY", 20)
    # Past `checks` wrong ones, even the right check is refused until the hour is over.
    if (
        access.throttle_over("selfservice-check", str(order.pk), limit=checks)
        or access.throttle_over("selfservice-check-ip", ip, limit=checks)
        or access.throttle_over("selfservice-check-day", str(order.pk), limit=daily)
    ):
        _log("portal_check_throttled", request, order, action=action)
        form.add_error("check", _("Too many attempts; please try again in an hour."))
        request.portal_status = 429
        return False
    if not check_matches(order, form.cleaned_data["check"]):
        access.throttle_hit("selfservice-check", str(order.pk), limit=checks)
        access.throttle_hit("selfservice-check-ip", ip, limit=checks)
        access.throttle_hit("selfservice-check-day", str(order.pk), limit=daily, window=86400)
        _log("portal_check_wrong", request, order, action=action)
        form.add_error("check", _("This does not match the phone number or postcode of the order."))
        return False
    mark_proven(request, order)
    return True


def _render(request, template: str, context: dict):
    form = context.get("form")
    if form is not None and form.is_bound:
        form.mark_invalid()
    context = {
        "order": request.portal_order,
        "token": request.portal_order.tracking_token,
        **context,
    }
    return render(request, template, context, status=getattr(request, "portal_status", 200))


def _post_data(request):
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)


def _ticket_photos(photos) -> list:
    """Checked photos renamed to what they are (the customer's stem, the real
    extension and type), for ticket attachments."""
    renamed = []
    for index, (photo, found) in enumerate(photos_check(photos), start=1):
        extension, content_type = PHOTO_TYPES[found]
        stem = Path(str(photo.name or "").replace("\\", "/")).stem[:80] or f"photo-{index}"
        photo.name = f"{stem}.{extension}"
        photo.content_type = content_type
        renamed.append(photo)
    return renamed


def _in_site_language(text) -> str:
    """Words stored for staff (a ticket subject we write, a chosen reason):
    in the site's language, whatever language the customer reads."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def _done(request, order, ticket, message: str):
    messages.success(request, message)
    return redirect("portal:ticket", token=order.tracking_token, number=ticket.number)


# --- Return or exchange -------------------------------------------------------------


@access.portal_order
@require_http_methods(["GET", "POST"])
def return_request(request, token: str):
    """Return or exchange delivered goods: what may still come back of each
    line, inside its window, with a reason and photos; an RMA and its ticket."""
    order = request.portal_order
    options = returnable_lines_of(order)
    data, files = _post_data(request)
    form = ReturnForm(data, files, options=options, needs_check=not is_proven(request, order))
    if request.method == "POST" and _accept(request, form, order, "return"):
        cleaned = form.cleaned_data
        code = cleaned["reason_code"]
        reason = ": ".join(
            part
            for part in (
                _in_site_language(dict(RETURN_REASONS)[code]) if code else "",
                cleaned["details"].strip(),
            )
            if part
        )
        try:
            with transaction.atomic():
                rma = return_request_create(
                    order=order,
                    kind=cleaned["kind"],
                    lines=form.chosen_lines(),
                    reason=reason,
                    photos=cleaned["photos"],
                    channel=Ticket.Channel.PORTAL,
                )
                if code:
                    ticket_update(ticket=rma.ticket, reason_code=code)
        except DomainError as error:
            form.add_error(form.field_for_error(error.field), error.message)
        else:
            _log("portal_return", request, order, rma=rma.number, ticket=rma.ticket.number)
            return _done(
                request,
                order,
                rma.ticket,
                _("Your request %(number)s has been received. We will tell you what happens next.")
                % {"number": rma.number},
            )
    return _render(
        request,
        "portal/selfservice/return.html",
        {
            "form": form,
            "rows": form.rows(),
            "returnable": any(option.returnable for option in options),
            "delivered": any(option.delivered for option in options),
        },
    )


# --- Repair -------------------------------------------------------------------------


@access.portal_order
@require_http_methods(["GET", "POST"])
def repair_request(request, token: str):
    """A repair of a delivered product: a repair ticket and a repair order."""
    order = request.portal_order
    delivered = deliveries(order)
    lines = [line for line in order.lines.order_by("line_no") if delivered.get(line.pk)]
    data, files = _post_data(request)
    form = RepairForm(data, files, lines=lines, needs_check=not is_proven(request, order))
    if request.method == "POST" and lines and _accept(request, form, order, "repair"):
        line = form.order_line()
        cleaned = form.cleaned_data
        try:
            with transaction.atomic():
                ticket = ticket_create(
                    customer=order.customer,
                    subject=_in_site_language(
                        _("Repair request: %(product)s") % {"product": line.name}
                    ),
                    kind=Ticket.Kind.REPAIR,
                    channel=Ticket.Channel.PORTAL,
                    description=cleaned["fault"],
                    order=order,
                    order_line=line,
                    attachments=_ticket_photos(cleaned["photos"]),
                )
                repair = repair_create(
                    customer=order.customer,
                    product=line.product,
                    fault_description=cleaned["fault"],
                    serial_number=cleaned["serial_number"],
                    order_line=line,
                    ticket=ticket,
                    channel=Ticket.Channel.PORTAL,
                )
        except DomainError as error:
            field = {"fault_description": "fault", "order_line": "line"}.get(error.field)
            field = field or (error.field if error.field in form.fields else None)
            form.add_error(field, error.message)
        else:
            _log("portal_repair", request, order, repair=repair.number, ticket=ticket.number)
            return _done(
                request,
                order,
                ticket,
                _("Your repair request %(number)s has been received.") % {"number": ticket.number},
            )
    return _render(request, "portal/selfservice/repair.html", {"form": form, "lines": lines})


# --- Complaint or question ----------------------------------------------------------


@access.portal_order
@require_http_methods(["GET", "POST"])
def complaint(request, token: str):
    """A complaint or a question about the order: a ticket."""
    order = request.portal_order
    data, files = _post_data(request)
    form = ComplaintForm(data, files, needs_check=not is_proven(request, order))
    if request.method == "POST" and _accept(request, form, order, "complaint"):
        cleaned = form.cleaned_data
        try:
            with transaction.atomic():
                ticket = ticket_create(
                    customer=order.customer,
                    subject=cleaned["subject"],
                    kind=cleaned["kind"],
                    channel=Ticket.Channel.PORTAL,
                    description=cleaned["message"],
                    order=order,
                    attachments=_ticket_photos(cleaned["photos"]),
                )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            _log("portal_complaint", request, order, ticket=ticket.number, kind=ticket.kind)
            return _done(
                request,
                order,
                ticket,
                _("Your request %(number)s has been received. We will answer you soon.")
                % {"number": ticket.number},
            )
    return _render(request, "portal/selfservice/complaint.html", {"form": form})


# --- One ticket: its conversation, a reply, the rating ---------------------------------


def _ticket(order, number: str) -> Ticket:
    """A ticket of this order and its customer, else 404: never another
    order's. Tickets the system opened (a logistics alarm) are staff's work
    list, as on the order page."""
    tickets = (
        Ticket.objects.select_related("customer")
        .filter(order=order, customer_id=order.customer_id)
        .exclude(channel=Ticket.Channel.SYSTEM)
    )
    return get_object_or_404(tickets, number=number)


def _survey(ticket: Ticket) -> Feedback | None:
    if ticket.status not in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
        return None
    return Feedback.objects.filter(ticket=ticket).first()


def ticket_status(ticket: Ticket) -> tuple[str, str]:
    """(code, words) of the ticket's status as the customer sees it: who holds
    it inside is not their business. The order page's words."""
    label = selectors.TICKET_STATUS_LABELS.get(ticket.status) or ticket.get_status_display()
    return STATUS_CODES.get(ticket.status, ticket.status), str(label)


def _returns(ticket: Ticket) -> list:
    returns = list(
        ticket.return_requests.prefetch_related("lines__order_line").select_related(
            "return_carrier"
        )
    )
    for rma in returns:
        rma.portal_kind = selectors.TICKET_KIND_LABELS.get(rma.kind, rma.get_kind_display())
        rma.portal_status = (
            selectors.RETURN_STATUS_LABELS.get(rma.status) or rma.get_status_display()
        )
    return returns


def _repairs(ticket: Ticket) -> list:
    repairs = list(ticket.repairs.select_related("product"))
    for repair in repairs:
        repair.portal_status = (
            selectors.REPAIR_STATUS_LABELS.get(repair.status) or repair.get_status_display()
        )
    return repairs


@access.portal_order
@require_http_methods(["GET", "POST"])
def ticket_detail(request, token: str, number: str):
    """One request: its status, its return or repair, the conversation (never
    internal notes) and, while it is open, the customer's reply."""
    order = request.portal_order
    ticket = _ticket(order, number)
    data, files = _post_data(request)
    form = (
        ReplyForm(data, files, needs_check=not is_proven(request, order))
        if ticket.is_open
        else None
    )
    if request.method == "POST":
        if form is None:
            messages.error(
                request,
                _("This request is finished. If you need more help, send us a new request."),
            )
            return redirect("portal:ticket", token=token, number=ticket.number)
        if _accept(request, form, order, "reply"):
            try:
                with transaction.atomic():
                    ticket_customer_message(
                        ticket=ticket,
                        body=form.cleaned_data["body"],
                        channel=Ticket.Channel.PORTAL,
                        attachments=_ticket_photos(form.cleaned_data["photos"]),
                    )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                _log("portal_reply", request, order, ticket=ticket.number)
                return _done(request, order, ticket, _("Your message has been sent."))
    thread = (
        TicketMessage.objects.filter(ticket=ticket, kind__in=CUSTOMER_VISIBLE)
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    survey = _survey(ticket)
    status_code, status_label = ticket_status(ticket)
    return _render(
        request,
        "portal/selfservice/ticket.html",
        {
            "ticket": ticket,
            "status_code": status_code,
            "status_label": status_label,
            "thread": thread,
            "returns": _returns(ticket),
            "repairs": _repairs(ticket),
            "repair_label": selectors.TICKET_KIND_LABELS["repair"],
            "form": form,
            "finished": ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED),
            "survey": survey,
            "can_rate": survey is not None
            and survey.submitted_at is None
            and not feedback_expired(survey),
        },
    )


@access.portal_order
@require_http_methods(["GET", "POST"])
def ticket_rate(request, token: str, number: str):
    """Rate a resolved request: stars, optionally 0-10 and a comment, once."""
    order = request.portal_order
    ticket = _ticket(order, number)
    survey = _survey(ticket)
    if survey is None:
        messages.info(request, _("You can rate our service once your request is resolved."))
        return redirect("portal:ticket", token=token, number=ticket.number)
    context = {"ticket": ticket, "survey": survey}
    if survey.submitted_at is not None:
        return _render(request, "portal/selfservice/rated.html", {**context, "already": True})
    if feedback_expired(survey):
        request.portal_status = 410
        return _render(request, "portal/selfservice/rated.html", {**context, "expired": True})
    data = request.POST if request.method == "POST" else None
    form = RateForm(data, needs_check=not is_proven(request, order))
    if request.method == "POST" and _accept(request, form, order, "rate"):
        answer = {name: form.cleaned_data[name] for name in ("csat", "nps", "comment")}
        try:
            with transaction.atomic():
                feedback_submit(token=survey.token, **answer)
        except FeedbackAlreadyAnswered:
            return _render(request, "portal/selfservice/rated.html", {**context, "already": True})
        except FeedbackExpired:
            request.portal_status = 410
            return _render(request, "portal/selfservice/rated.html", {**context, "expired": True})
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            _log("portal_rating", request, order, ticket=ticket.number, csat=answer["csat"])
            return _done(request, order, ticket, _("Thank you for rating our service."))
    return _render(request, "portal/selfservice/rate.html", {**context, "form": form})


@access.portal_order
@require_GET
def ticket_file(request, token: str, number: str, pk: int):
    """A file of a message the customer may see, on a ticket of this order;
    always downloaded, never shown in our origin."""
    ticket = _ticket(request.portal_order, number)
    attachment = get_object_or_404(
        TicketAttachment, pk=pk, message__ticket=ticket, message__kind__in=CUSTOMER_VISIBLE
    )
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as error:
        raise Http404 from error
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.name,
        content_type="application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("<str:token>/return/", return_request, name="return"),
    path("<str:token>/repair/", repair_request, name="repair"),
    path("<str:token>/complaint/", complaint, name="complaint"),
    path("<str:token>/tickets/<str:number>/", ticket_detail, name="ticket"),
    path("<str:token>/tickets/<str:number>/rate/", ticket_rate, name="rate"),
    path("<str:token>/tickets/<str:number>/files/<int:pk>/", ticket_file, name="ticket-file"),
]

"""Ticket pages: my queue, the team queue and all tickets; phone intake with
a customer lookup; one ticket with its conversation, timeline, SLA clocks,
links and the actions its status allows; attachment downloads.

Every page shows only tickets_visible_to(user): another team's ticket is a
404, not a 403, so its existence is not given away."""

import mimetypes

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, Prefetch, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from aftersales.filters.tickets import TicketFilter
from aftersales.forms.tickets import (
    CUSTOMER_DATALIST_ID,
    ORDER_DATALIST_ID,
    AssignForm,
    ClassifyForm,
    NoteForm,
    PriorityForm,
    ReplyForm,
    ResolveForm,
    StatusForm,
    TicketCreateForm,
    customer_suggestions,
    find_customer,
    members_of,
)
from aftersales.models import (
    TICKET_TRANSITIONS,
    Feedback,
    Priority,
    ServiceTeam,
    SlaRecord,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketMessage,
)
from aftersales.selectors import (
    LOOSE,
    in_my_teams,
    ticket_detail,
    ticket_queue_counts,
    tickets_visible_to,
)
from aftersales.services.assignment import ticket_assign
from aftersales.services.tickets import (
    ticket_create,
    ticket_note,
    ticket_priority_change,
    ticket_reply,
    ticket_resolve,
    ticket_transition,
    ticket_update,
)
from erp.core.errors import DomainError
from erp.core.forms import ServiceFormView
from erp.core.templatetags.erp_tags import person_name
from erp.core.views import StaffListView
from erp.core.widgets import style_form
from logistics.documents import mask_phone

Status = Ticket.Status

STATUS_BADGES = {
    Status.NEW: "text-bg-info",
    Status.ASSIGNED: "text-bg-primary",
    Status.IN_PROGRESS: "text-bg-primary",
    Status.WAITING_CUSTOMER: "text-bg-warning",
    Status.RESOLVED: "text-bg-success",
    Status.CLOSED: "text-bg-light border",
    Status.REOPENED: "text-bg-danger",
}
PRIORITY_BADGES = {
    Priority.LOW: "text-bg-light border",
    Priority.NORMAL: "text-bg-secondary",
    Priority.HIGH: "text-bg-warning",
    Priority.URGENT: "text-bg-danger",
}
MESSAGE_STYLES = {
    TicketMessage.Kind.CUSTOMER: "border-primary",
    TicketMessage.Kind.REPLY: "border-success",
    TicketMessage.Kind.NOTE: "border-warning bg-warning-subtle",
}
CHANGE = "aftersales.change_ticket"


def _url(name: str, *args) -> str | None:
    """The URL of a page another area adds, or None while it does not exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# --- Queues --------------------------------------------------------------------


class TicketListView(StaffListView):
    """All tickets the user may see; the queues below narrow it."""

    permission_required = "aftersales.view_ticket"
    filterset_class = TicketFilter
    template_name = "aftersales/tickets/list.html"
    title = gettext_lazy("All tickets")
    queue = "all"
    open_by_default = False
    hidden_filters: tuple[str, ...] = ()
    drill_filters = (
        "responded_from",
        "responded_to",
        "resolved_from",
        "resolved_to",
        "sla_met",
        "sales_channel",
        "order_warehouse",
    )
    columns = [
        ("number", gettext_lazy("ticket number"), "number"),
        ("subject", gettext_lazy("subject")),
        ("customer.name", gettext_lazy("customer")),
        ("kind", gettext_lazy("kind")),
        ("priority", gettext_lazy("priority"), "priority"),
        ("status", gettext_lazy("status")),
        ("assignee", gettext_lazy("assignee")),
        ("team", gettext_lazy("team")),
        ("resolution_due_at", gettext_lazy("SLA"), "resolution_due_at"),
        ("created_at", gettext_lazy("created at"), "created_at"),
    ]
    create_url_name = "aftersales:ticket-create"
    create_permission = "aftersales.add_ticket"
    empty_message = gettext_lazy("No tickets match these filters.")
    empty_default = gettext_lazy("No tickets yet.")

    def scope(self, queryset):
        return queryset

    def get_queryset(self):
        return self.scope(tickets_visible_to(self.request.user))

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        if self.open_by_default and not self.request.GET.getlist("status"):
            data = self.request.GET.copy()
            data.setlist("status", list(Ticket.OPEN_STATUSES))
            kwargs["data"] = data
        return kwargs

    def get_filterset(self, filterset_class):
        filterset = super().get_filterset(filterset_class)
        for name in self.hidden_filters:
            filterset.filters.pop(name, None)
        fields = filterset.form.fields
        for name in ("created_from", "created_to"):
            fields[name].widget.input_type = "date"
        fields["status"].widget.attrs["size"] = 3
        return filterset

    def row_url(self, obj):
        return reverse("aftersales:ticket-detail", args=[obj.number])

    def tabs(self) -> list[dict]:
        if not self.request.user.has_perm("aftersales.change_ticket"):
            return []  # looking only (account managers): no queues of their own
        counts = ticket_queue_counts(self.request.user)
        team_url = reverse("aftersales:ticket-team")
        unassigned = self.queue == "team" and self.request.GET.get("unassigned") == "true"
        return [
            {
                "id": "mine",
                "label": _("My queue"),
                "url": reverse("aftersales:ticket-mine"),
                "count": counts["mine"],
                "active": self.queue == "mine",
            },
            {
                "id": "team",
                "label": _("Team queue"),
                "url": team_url,
                "count": counts["team"],
                "active": self.queue == "team" and not unassigned,
            },
            {
                "id": "unassigned",
                "label": _("Unassigned"),
                "url": f"{team_url}?{urlencode({'unassigned': 'true'})}",
                "count": counts["unassigned"],
                "active": unassigned,
            },
            {
                "id": "all",
                "label": _("All tickets"),
                "url": reverse("aftersales:ticket-list"),
                "count": None,
                "active": self.queue == "all",
            },
        ]

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        now = timezone.now()
        ctx.update(
            tabs=self.tabs(),
            empty_default=self.empty_default,
            now=now,
            tickets=[
                {
                    "ticket": ticket,
                    "url": self.row_url(ticket),
                    "status_badge": STATUS_BADGES.get(ticket.status, "text-bg-secondary"),
                    "priority_badge": PRIORITY_BADGES.get(ticket.priority, "text-bg-secondary"),
                }
                for ticket in ctx["object_list"]
            ],
            # Queues open with the open statuses chosen: not "filtered" by the user.
            filtered=any(
                v for k, v in self.request.GET.items() if k not in ("page", "ordering", "export")
            ),
        )
        return ctx


class MyQueueView(TicketListView):
    """Tickets assigned to me, open ones unless other statuses are chosen."""

    title = gettext_lazy("My queue")
    queue = "mine"
    open_by_default = True
    hidden_filters = ("assignee", "unassigned")
    empty_message = gettext_lazy("None of your tickets match these filters.")
    empty_default = gettext_lazy("Nothing in your queue.")

    def scope(self, queryset):
        return queryset.filter(assignee=self.request.user)


class TeamQueueView(TicketListView):
    """Tickets of my teams and those no team took yet."""

    title = gettext_lazy("Team queue")
    queue = "team"
    open_by_default = True
    empty_default = gettext_lazy("No open tickets in your teams' queue.")

    def scope(self, queryset):
        return queryset.filter(Q(Exists(in_my_teams(self.request.user))) | LOOSE)


# --- Phone intake -------------------------------------------------------------


class TicketCreateView(ServiceFormView):
    """A ticket typed in during a customer's call."""

    permission_required = "aftersales.add_ticket"
    form_class = TicketCreateForm
    template_name = "aftersales/tickets/create.html"
    title = gettext_lazy("New ticket")
    cancel_url_name = "aftersales:ticket-mine"
    hint = gettext_lazy(
        "Type the customer code, or part of the phone number, e-mail address or name, "
        "and pick the customer from the suggestions."
    )

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["customer"].widget.attrs.update(
            {
                "hx-get": reverse("aftersales:ticket-customer-suggest"),
                "hx-trigger": "input changed delay:300ms, change",
                "hx-target": "#customer-suggest",
                "hx-swap": "outerHTML",
                "hx-sync": "this:replace",
            }
        )
        return form

    def perform(self, form):
        data = form.cleaned_data
        return ticket_create(
            customer=data["customer"],
            subject=data["subject"],
            kind=data["kind"],
            channel=Ticket.Channel.PHONE,
            description=data["description"],
            order=data["order"],
            shipment=data["shipment"],
            category=data["category"],
            reason_code=data["reason_code"],
            priority=data["priority"],
            contact_phone=data["contact_phone"],
            actor=self.request.user,
            attachments=data["attachments"],
        )

    def get_success_message(self, ticket) -> str:
        if ticket.assignee is not None:
            return _("Ticket %(number)s opened and assigned to %(assignee)s.") % {
                "number": ticket.number,
                "assignee": person_name(ticket.assignee),
            }
        if ticket.team is not None:
            return _("Ticket %(number)s opened; it waits in the queue of %(team)s.") % {
                "number": ticket.number,
                "team": ticket.team.name,
            }
        return _("Ticket %(number)s opened; no team takes this kind, it waits unassigned.") % {
            "number": ticket.number
        }

    def get_success_url_for(self, ticket) -> str:
        return reverse("aftersales:ticket-detail", args=[ticket.number])

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        form = ctx["form"]
        text = form.data.get("customer", "") if form.is_bound else ""
        ctx.update(_suggest_context(self.request, text))
        return ctx


def _suggest_context(request, text: str) -> dict:
    customer = find_customer(text)
    show_phone = request.user.has_perm("crm.view_customer")
    suggestions = [
        {
            "customer": c,
            "phone": c.phone if show_phone else mask_phone(c.phone),
        }
        for c in customer_suggestions(text)
    ]
    orders = []
    if customer is not None:
        orders = list(
            customer.orders.order_by("-placed_at", "-id").values_list("number", "status")[:10]
        )
    return {
        "suggestions": suggestions,
        "matched": customer,
        "matched_phone": (
            (customer.phone if show_phone else mask_phone(customer.phone)) if customer else ""
        ),
        "customer_orders": orders,
        "customer_datalist_id": CUSTOMER_DATALIST_ID,
        "order_datalist_id": ORDER_DATALIST_ID,
    }


@login_required
@permission_required("aftersales.add_ticket", raise_exception=True)
@require_GET
def customer_suggest(request):
    """htmx: the customers matching what was typed, and the orders of the one it names."""
    return render(
        request,
        "aftersales/tickets/_customer_suggest.html",
        _suggest_context(request, request.GET.get("customer", "")),
    )


# --- Detail ---------------------------------------------------------------------


def _visible(request, number: str, queryset=None) -> Ticket:
    return get_object_or_404(
        tickets_visible_to(request.user, queryset if queryset is not None else ticket_detail()),
        number=number,
    )


def _status_targets(ticket: Ticket) -> set[str]:
    # Resolving has its own form (summary and responsibility).
    targets = set(TICKET_TRANSITIONS.get(ticket.status, set())) - {Status.RESOLVED}
    if ticket.assignee_id is None:
        targets -= {Status.ASSIGNED, Status.IN_PROGRESS}
    return targets


def _forms_for(request, ticket: Ticket, bound: dict | None = None) -> dict:
    """The forms this user may use on this ticket now; `bound` replaces one
    with the form just posted (to show its errors and keep what was typed)."""
    if not request.user.has_perm(CHANGE):
        return {}
    forms = {}
    if ticket.status != Status.CLOSED:
        forms["reply"] = ReplyForm()
    forms["note"] = NoteForm()
    if ticket.is_open:
        team = ticket.team
        chosen = request.GET.get("team")
        if chosen:
            team = ServiceTeam.objects.filter(code=chosen, active=True).first() or team
        forms["assign"] = AssignForm(
            team=team,
            initial={"team": team, "assignee": ticket.assignee},
        )
        forms["priority"] = PriorityForm(initial={"priority": ticket.priority})
    targets = _status_targets(ticket)
    if targets:
        forms["status"] = StatusForm(targets=targets)
    if Status.RESOLVED in TICKET_TRANSITIONS.get(ticket.status, set()):
        forms["resolve"] = ResolveForm(initial={"responsibility": ticket.responsibility})
    forms["classify"] = ClassifyForm(
        initial={
            "category": ticket.category,
            "reason_code": ticket.reason_code,
            "responsibility": ticket.responsibility,
        }
    )
    forms.update(bound or {})
    for name, form in forms.items():
        style_form(form, small=True)
        form.auto_id = f"{name}-%s"  # several forms share field names on one page
    if "assign" in forms:
        forms["assign"].fields["team"].widget.attrs.update(
            {
                "hx-get": reverse("aftersales:ticket-assign-members", args=[ticket.number]),
                "hx-trigger": "change",
                "hx-target": "#assign-assignee",
                "hx-swap": "outerHTML",
            }
        )
    return forms


def _event_value(event: TicketEvent, value: str, names: dict | None = None) -> str:
    if not value:
        return ""
    if event.kind == TicketEvent.Kind.ASSIGNED and names and value in names:
        return names[value]
    if event.kind == TicketEvent.Kind.STATUS and value in Status.values:
        return str(Status(value).label)
    if event.kind == TicketEvent.Kind.PRIORITY and value in Priority.values:
        return str(Priority(value).label)
    if event.kind == TicketEvent.Kind.CREATED and value in Ticket.Channel.values:
        return str(Ticket.Channel(value).label)
    sla_kinds = (TicketEvent.Kind.SLA_WARNING, TicketEvent.Kind.SLA_BREACH)
    if event.kind in sla_kinds and value in SlaRecord.Metric.values:
        return str(SlaRecord.Metric(value).label)
    if event.kind == TicketEvent.Kind.LINKED and value == "survey":
        return _("satisfaction survey")
    return value


def _links(request, ticket: Ticket) -> dict:
    """Links to the order, the shipment, the ticket's returns and repairs and
    the buttons that start a return or a repair (each only where its page exists)."""
    user = request.user
    query = "?" + urlencode({"ticket": ticket.number})
    returns = [
        {
            "number": r.number,
            "status": r.get_status_display(),
            "url": _url("aftersales:return-detail", r.number),
        }
        for r in ticket.return_requests.all()
    ]
    repairs = [
        {
            "number": r.number,
            "status": r.get_status_display(),
            "url": _url("aftersales:repair-detail", r.number),
        }
        for r in ticket.repairs.all()
    ]
    new_return = None
    if ticket.order_id and user.has_perm("aftersales.add_returnrequest"):
        url = _url("aftersales:return-create", ticket.order.number)
        new_return = url + query if url else None
    new_repair = None
    if user.has_perm("aftersales.add_repairorder"):
        url = _url("aftersales:repair-create")
        new_repair = url + query if url else None
    return {
        "order_url": (
            _url("orders:order-detail", ticket.order.number)
            if ticket.order_id and user.has_perm("orders.view_order")
            else None
        ),
        "shipment_url": (
            _url("logistics:shipment-detail", ticket.shipment.number)
            if ticket.shipment_id and user.has_perm("logistics.view_shipment")
            else None
        ),
        "returns": returns,
        "repairs": repairs,
        "new_return_url": new_return,
        "new_repair_url": new_repair,
    }


def _detail_context(request, ticket: Ticket, bound: dict | None = None) -> dict:
    conversation = list(
        ticket.messages.select_related("author").prefetch_related(
            Prefetch("attachments", queryset=TicketAttachment.objects.order_by("id"))
        )
    )
    events = list(ticket.events.select_related("actor"))
    # Assignments record usernames; people read names.
    usernames = {
        value
        for event in events
        if event.kind == TicketEvent.Kind.ASSIGNED
        for value in (event.from_value, event.to_value)
        if value
    }
    names = {
        user.get_username(): person_name(user)
        for user in get_user_model().objects.filter(username__in=usernames)
    }
    events = [
        {
            "event": event,
            "from": _event_value(event, event.from_value, names),
            "to": _event_value(event, event.to_value, names),
        }
        for event in events
    ]
    try:
        feedback = ticket.feedback
    except Feedback.DoesNotExist:
        feedback = None
    customer = ticket.customer
    show_phone = request.user.has_perm("crm.view_customer")
    return {
        "ticket": ticket,
        "status_badge": STATUS_BADGES.get(ticket.status, "text-bg-secondary"),
        "priority_badge": PRIORITY_BADGES.get(ticket.priority, "text-bg-secondary"),
        "conversation": [
            {"message": m, "style": MESSAGE_STYLES.get(m.kind, "")} for m in conversation
        ],
        "events": events,
        "feedback": feedback,
        "customer_phone": customer.phone if show_phone else mask_phone(customer.phone),
        "contact_phone": (ticket.contact_phone if show_phone else mask_phone(ticket.contact_phone)),
        "forms": _forms_for(request, ticket, bound),
        "now": timezone.now(),
        **_links(request, ticket),
    }


@login_required
@permission_required("aftersales.view_ticket", raise_exception=True)
def ticket_detail_view(request, number: str):
    ticket = _visible(request, number)
    return render(request, "aftersales/tickets/detail.html", _detail_context(request, ticket))


@login_required
@permission_required(CHANGE, raise_exception=True)
@require_GET
def assign_members(request, number: str):
    """htmx: the member select of the assign form for the team chosen."""
    ticket = _visible(request, number, Ticket.objects.select_related("team", "assignee"))
    team = ServiceTeam.objects.filter(code=request.GET.get("team", ""), active=True).first()
    form = style_form(
        AssignForm(team=team, initial={"team": team, "assignee": ticket.assignee}), small=True
    )
    form.auto_id = "assign-%s"
    return render(request, "aftersales/tickets/_assign_members.html", {"form": form})


# --- Actions --------------------------------------------------------------------

ACTION_FORMS = {
    "reply": lambda request, ticket: ReplyForm(request.POST, request.FILES),
    "note": lambda request, ticket: NoteForm(request.POST, request.FILES),
    "assign": lambda request, ticket: AssignForm(request.POST),
    # Any status but resolved (its own form): the service says which moves the table allows.
    "status": lambda request, ticket: StatusForm(
        request.POST, targets=set(Status.values) - {Status.RESOLVED}
    ),
    "priority": lambda request, ticket: PriorityForm(request.POST),
    "resolve": lambda request, ticket: ResolveForm(request.POST),
    "classify": lambda request, ticket: ClassifyForm(request.POST),
}
# The services' field names that a form calls differently.
SERVICE_FIELDS = {"resolution_summary": "summary"}


def _run(action: str, ticket: Ticket, data: dict, actor) -> str:
    """Call the service of `action`; the success message."""
    if action == "reply":
        ticket_reply(
            ticket=ticket,
            body=data["body"],
            actor=actor,
            attachments=data["attachments"],
            wait_for_customer=data["wait_for_customer"],
        )
        ticket.refresh_from_db()
        if ticket.status == Status.WAITING_CUSTOMER:
            return _("Reply sent; the ticket waits for the customer's answer.")
        return _("Reply sent to the customer.")
    if action == "note":
        ticket_note(ticket=ticket, body=data["body"], actor=actor, attachments=data["attachments"])
        return _("Internal note added.")
    if action == "assign":
        ticket = ticket_assign(
            ticket=ticket,
            assignee=data["assignee"],
            team=data["team"],
            actor=actor,
            reason=data["reason"],
        )
        if ticket.assignee is not None:
            return _("Ticket %(number)s assigned to %(assignee)s.") % {
                "number": ticket.number,
                "assignee": person_name(ticket.assignee),
            }
        return _("Ticket %(number)s is in the queue of %(team)s.") % {
            "number": ticket.number,
            "team": ticket.team.name if ticket.team else "—",
        }
    if action == "status":
        ticket = ticket_transition(
            ticket=ticket, to_status=data["status"], actor=actor, reason=data["reason"]
        )
        return _("Ticket %(number)s is now %(status)s.") % {
            "number": ticket.number,
            "status": Status(ticket.status).label,
        }
    if action == "priority":
        ticket = ticket_priority_change(
            ticket=ticket, priority=data["priority"], actor=actor, reason=data["reason"]
        )
        return _("The priority of %(number)s is now %(priority)s.") % {
            "number": ticket.number,
            "priority": Priority(ticket.priority).label,
        }
    if action == "resolve":
        ticket = ticket_resolve(
            ticket=ticket,
            summary=data["summary"],
            responsibility=data["responsibility"],
            actor=actor,
        )
        return _("Ticket %(number)s resolved; the customer gets the answer and a survey.") % {
            "number": ticket.number
        }
    ticket_update(
        ticket=ticket,
        category=data["category"],
        reason_code=data["reason_code"],
        responsibility=data["responsibility"],
        actor=actor,
    )
    return _("Classification saved.")


@login_required
@require_POST
def ticket_action(request, number: str, action: str):
    """Reply, note, assign, change the status or priority, resolve or
    classify a ticket; then back to its page. A refused or invalid action
    shows the page again with the form as typed and the error."""
    if action not in ACTION_FORMS:
        raise Http404
    if not request.user.has_perm(CHANGE):
        raise PermissionDenied
    ticket = _visible(request, number)
    form = ACTION_FORMS[action](request, ticket)
    if form.is_valid():
        try:
            message = _run(action, ticket, form.cleaned_data, request.user)
        except DomainError as exc:
            field = SERVICE_FIELDS.get(exc.field, exc.field)
            form.add_error(field if field in form.fields else None, exc.message)
            messages.error(request, exc.message)
        else:
            messages.success(request, message)
            return redirect("aftersales:ticket-detail", number=number)
    else:
        messages.error(request, _("The form has errors; see below."))
    ticket = _visible(request, number)
    if action == "assign":
        team = getattr(form, "cleaned_data", {}).get("team") or ticket.team
        form.fields["assignee"].queryset = members_of(team)
    context = _detail_context(request, ticket, bound={action: form})
    context["failed_action"] = action
    return render(request, "aftersales/tickets/detail.html", context, status=400)


# --- Attachments --------------------------------------------------------------------

# Shown in the browser; anything else is downloaded (an uploaded HTML or SVG
# file must never run in our origin).
INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"}


@login_required
@permission_required("aftersales.view_ticket", raise_exception=True)
@require_GET
def attachment_download(request, number: str, pk: int):
    ticket = _visible(request, number, Ticket.objects.all())
    attachment = get_object_or_404(TicketAttachment, pk=pk, message__ticket=ticket)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    content_type = attachment.content_type or mimetypes.guess_type(attachment.name)[0] or ""
    inline = content_type in INLINE_TYPES
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=attachment.name,
        content_type=content_type if inline else "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("tickets/", TicketListView.as_view(), name="ticket-list"),
    path("tickets/mine/", MyQueueView.as_view(), name="ticket-mine"),
    path("tickets/team/", TeamQueueView.as_view(), name="ticket-team"),
    path("tickets/new/", TicketCreateView.as_view(), name="ticket-create"),
    path("tickets/new/customers/", customer_suggest, name="ticket-customer-suggest"),
    path("tickets/<str:number>/", ticket_detail_view, name="ticket-detail"),
    path("tickets/<str:number>/members/", assign_members, name="ticket-assign-members"),
    path(
        "tickets/<str:number>/attachments/<int:pk>/",
        attachment_download,
        name="ticket-attachment",
    ),
    path("tickets/<str:number>/<str:action>/", ticket_action, name="ticket-action"),
]

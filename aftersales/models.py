"""After-sales: service teams, tickets with their messages and SLA clocks,
returns and exchanges (RMA), repair work orders with spare parts, customer
feedback, and (kept for the record) the notices once sent to customers about
their deliveries."""

from datetime import time
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from crm.models import Customer
from erp.core.models import TimeStampedModel


class TicketKind(models.TextChoices):
    COMPLAINT = "complaint", _("complaint")
    INQUIRY = "inquiry", _("inquiry")
    RETURN = "return", pgettext_lazy("ticket kind", "return")
    EXCHANGE = "exchange", pgettext_lazy("ticket kind", "exchange")
    REPAIR = "repair", pgettext_lazy("ticket kind", "repair")
    LOGISTICS_EXCEPTION = "logistics_exception", _("logistics exception")


TICKET_KINDS = TicketKind.choices


class ServiceTeam(TimeStampedModel):
    """A group of after-sales agents that tickets are assigned to."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("members"),
        blank=True,
        related_name="service_teams",
    )
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords(m2m_fields=[members])

    class Meta:
        ordering = ["code"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class CustomerNotice(TimeStampedModel):
    """A message to the customer about their delivery, sent because of
    something logistics reported (a failed attempt, damage, loss, a delay).

    Kept for the record only: such messages are now written by
    erp.portal.notifications as Notification rows (event
    `shipment_exception`), with every other customer message."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("notice", "pending")
        SENT = "sent", pgettext_lazy("notice", "sent")
        SKIPPED = "skipped", pgettext_lazy("notice", "skipped")  # no e-mail address

    exception = models.OneToOneField(
        "logistics.ShipmentException",
        verbose_name=_("exception"),
        on_delete=models.CASCADE,
        related_name="customer_notice",
    )
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="notices",
    )
    to = models.CharField(_("to"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("customer notice")
        verbose_name_plural = _("customer notices")

    def __str__(self) -> str:
        return self.subject


# --- Service calendars and SLA policies ----------------------------------


class BusinessCalendar(TimeStampedModel):
    """When the service desk works: which weekdays, from when to when, and
    the exceptions (public holidays, and the make-up working days that come
    with them in China). A 24x7 calendar counts every minute."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    always_open = models.BooleanField(_("24x7"), default=False)
    # ISO weekdays that are working days: 1 = Monday ... 7 = Sunday.
    working_days = models.JSONField(_("working days"), default=list, blank=True)
    day_start = models.TimeField(_("day starts"), default=time(9, 0))
    day_end = models.TimeField(_("day ends"), default=time(18, 0))
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("service calendar")
        verbose_name_plural = _("service calendars")
        constraints = [
            models.CheckConstraint(
                condition=Q(always_open=True) | Q(day_end__gt=F("day_start")),
                name="calendar_day_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name


class CalendarDay(models.Model):
    """One date that differs from the calendar's week: a holiday (closed) or
    a make-up working day (open although it falls on a weekend)."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="days", verbose_name=_("calendar")
    )
    date = models.DateField(_("date"))
    working = models.BooleanField(_("working day"), default=False)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["calendar", "date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="calendar_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Priority(models.TextChoices):
    LOW = "low", pgettext_lazy("priority", "low")
    NORMAL = "normal", pgettext_lazy("priority", "normal")
    HIGH = "high", pgettext_lazy("priority", "high")
    URGENT = "urgent", pgettext_lazy("priority", "urgent")


class SlaPolicy(TimeStampedModel):
    """Targets for first response and resolution, for one priority and
    (optionally) one customer tier, counted in the calendar's working time.
    The most specific active policy applies: tier and priority, then the
    priority for any tier."""

    name = models.CharField(_("name"), max_length=100)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    customer_tier = models.CharField(
        _("customer tier"), max_length=10, choices=Customer.Tier.choices, blank=True
    )
    first_response_minutes = models.PositiveIntegerField(_("first response (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution (minutes)"))
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        on_delete=models.PROTECT,
        related_name="policies",
    )
    warn_at_percent = models.PositiveSmallIntegerField(
        # xgettext:no-python-format
        _("warn at (% of target)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["priority", "customer_tier"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["priority", "customer_tier"],
                condition=Q(active=True),
                name="sla_policy_one_active_per_priority_tier",
            ),
            models.CheckConstraint(
                condition=Q(resolution_minutes__gte=F("first_response_minutes")),
                name="sla_resolution_after_first_response",
            ),
            models.CheckConstraint(
                condition=Q(warn_at_percent__gte=1, warn_at_percent__lte=99),
                name="sla_warn_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TeamSkill(models.Model):
    """A kind of ticket (and optionally one category) a team takes. Tickets
    go to the team whose skill matches most closely."""

    team = models.ForeignKey(
        ServiceTeam, on_delete=models.CASCADE, related_name="skills", verbose_name=_("team")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TICKET_KINDS)
    category = models.CharField(_("category"), max_length=50, blank=True)

    class Meta:
        ordering = ["team", "kind", "category"]
        verbose_name = _("team skill")
        verbose_name_plural = _("team skills")
        constraints = [
            models.UniqueConstraint(fields=["team", "kind", "category"], name="team_skill_unique")
        ]

    def __str__(self) -> str:
        return f"{self.team_id} {self.kind} {self.category}"


# --- Tickets -----------------------------------------------------------------


class Ticket(TimeStampedModel):
    """A customer's request or problem, from any channel, followed until it
    is resolved and closed. Status changes go through
    aftersales.services.tickets.ticket_transition (TICKET_TRANSITIONS)."""

    Kind = TicketKind

    class Channel(models.TextChoices):
        PHONE = "phone", _("phone")  # a staff member typed it in during a call
        EMAIL = "email", _("email")  # an inbound e-mail
        PORTAL = "portal", _("portal")  # the customer's order-tracking portal
        CHAT = "chat", _("chat")  # a chat conversation (WeChat, web chat)
        API = "api", _("API")  # an integrator (a marketplace, a chat bot)
        SYSTEM = "system", _("system")  # opened by the suite itself (a logistics exception)

    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("ticket", "new")  # not yet with anybody
        ASSIGNED = "assigned", pgettext_lazy("ticket", "assigned")  # has an assignee
        IN_PROGRESS = "in_progress", pgettext_lazy("ticket", "in progress")  # being worked on
        WAITING_CUSTOMER = (
            "waiting_customer",
            _("waiting on customer"),
        )  # the SLA clock is paused
        RESOLVED = "resolved", pgettext_lazy("ticket", "resolved")  # answer given, survey sent
        CLOSED = "closed", pgettext_lazy("ticket", "closed")  # final
        REOPENED = "reopened", pgettext_lazy("ticket", "reopened")  # the customer came back

    class Responsibility(models.TextChoices):
        WAREHOUSE = "warehouse", _("warehouse")
        LOGISTICS = "logistics", _("logistics")
        PRODUCT_QUALITY = "product_quality", _("product quality")
        CUSTOMER = "customer", _("customer")
        OTHER = "other", _("other")

    Priority = Priority
    OPEN_STATUSES = ("new", "assigned", "in_progress", "waiting_customer", "reopened")

    number = models.CharField(_("ticket number"), max_length=30, unique=True)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    order_line = models.ForeignKey(
        "orders.OrderLine",
        verbose_name=_("order line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    shipment = models.ForeignKey(
        "logistics.Shipment",
        verbose_name=_("shipment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    # The logistics exception that opened this ticket: one ticket per exception.
    shipment_exception = models.OneToOneField(
        "logistics.ShipmentException",
        verbose_name=_("exception"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ticket",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TicketKind.choices, db_index=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=50, blank=True, db_index=True)
    reason_code = models.CharField(_("reason code"), max_length=50, blank=True)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True
    )
    team = models.ForeignKey(
        ServiceTeam,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tickets",
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    responsibility = models.CharField(
        _("responsibility"), max_length=20, choices=Responsibility.choices, blank=True
    )
    resolution_summary = models.TextField(_("resolution summary"), blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)

    # SLA clocks (see aftersales.services.sla). Due times are null while the
    # clock is paused (waiting on the customer) or when no policy applies.
    sla_policy = models.ForeignKey(
        SlaPolicy,
        verbose_name=_("SLA policy"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    sla_started_at = models.DateTimeField(_("SLA started at"), null=True, blank=True)
    sla_paused_at = models.DateTimeField(_("paused since"), null=True, blank=True)
    # Working seconds spent waiting on the customer, added to both targets.
    sla_paused_seconds = models.PositiveIntegerField(default=0)
    first_response_due_at = models.DateTimeField(
        _("first response due"), null=True, blank=True, db_index=True
    )
    resolution_due_at = models.DateTimeField(
        _("resolution due"), null=True, blank=True, db_index=True
    )
    first_response_warn_at = models.DateTimeField(null=True, blank=True, db_index=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True, db_index=True)
    first_responded_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    first_response_breached = models.BooleanField(_("first response breached"), default=False)
    resolution_breached = models.BooleanField(_("resolution breached"), default=False)

    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Where the customer is written to; a secret for the survey link.
    public_token = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["team", "status"], name="ticket_team_status"),
        ]
        permissions = [
            ("assign_ticket", _("Can assign tickets to anybody")),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def sla_paused(self) -> bool:
        return self.sla_paused_at is not None


TICKET_TRANSITIONS: dict[str, set[str]] = {
    Ticket.Status.NEW: {
        Ticket.Status.ASSIGNED,
        Ticket.Status.IN_PROGRESS,
        Ticket.Status.WAITING_CUSTOMER,
        Ticket.Status.RESOLVED,
    },
    # Back to new: the assignee handed it back to the team's queue.
    Ticket.Status.ASSIGNED: {
        Ticket.Status.IN_PROGRESS,
        Ticket.Status.WAITING_CUSTOMER,
        Ticket.Status.RESOLVED,
        Ticket.Status.NEW,
    },
    Ticket.Status.IN_PROGRESS: {
        Ticket.Status.WAITING_CUSTOMER,
        Ticket.Status.RESOLVED,
        Ticket.Status.ASSIGNED,
        Ticket.Status.NEW,
    },
    # The customer answered: back to whoever holds it, or to the queue.
    Ticket.Status.WAITING_CUSTOMER: {
        Ticket.Status.IN_PROGRESS,
        Ticket.Status.NEW,
        Ticket.Status.RESOLVED,
    },
    Ticket.Status.RESOLVED: {Ticket.Status.CLOSED, Ticket.Status.REOPENED},
    Ticket.Status.REOPENED: {
        Ticket.Status.IN_PROGRESS,
        Ticket.Status.WAITING_CUSTOMER,
        Ticket.Status.RESOLVED,
    },
    Ticket.Status.CLOSED: {Ticket.Status.REOPENED},
}


class TicketMessage(models.Model):
    """A message on a ticket: an internal note between staff, a reply the
    customer sees, or what the customer wrote (by e-mail, portal, chat)."""

    class Kind(models.TextChoices):
        NOTE = "note", _("internal note")  # staff only
        REPLY = "reply", _("reply to customer")  # staff to customer; counts as first response
        CUSTOMER = "customer", _("customer message")  # from the customer

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="messages", verbose_name=_("ticket")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Ticket.Channel.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    author_name = models.CharField(_("author"), max_length=150, blank=True)
    body = models.TextField(_("message"))
    # The inbound e-mail's Message-ID (or a chat message id): the same message twice is one.
    external_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"

    @property
    def visible_to_customer(self) -> bool:
        return self.kind != self.Kind.NOTE


class TicketAttachment(models.Model):
    """A file sent with a ticket message (a photo of the damage, an invoice)."""

    message = models.ForeignKey(
        TicketMessage,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("message"),
    )
    file = models.FileField(_("file"), upload_to="tickets/%Y/%m/")
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(_("size"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class TicketEvent(models.Model):
    """The ticket's timeline: every status change, assignment, priority
    change, SLA warning and breach, with who and why."""

    class Kind(models.TextChoices):
        CREATED = "created", pgettext_lazy("event", "created")
        STATUS = "status", _("status changed")
        ASSIGNED = "assigned", _("assigned")
        PRIORITY = "priority", _("priority changed")
        SLA_PAUSED = "sla_paused", _("SLA paused")
        SLA_RESUMED = "sla_resumed", _("SLA resumed")
        SLA_WARNING = "sla_warning", _("SLA due soon")
        SLA_BREACH = "sla_breach", _("SLA breached")
        LINKED = "linked", _("linked")  # a return, repair or survey was linked
        FEEDBACK = "feedback", _("feedback received")

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("ticket")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    from_value = models.CharField(_("from"), max_length=50, blank=True)
    to_value = models.CharField(_("to"), max_length=50, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


class SlaRecord(models.Model):
    """A pre-breach warning or a breach of one SLA target of one ticket.
    The unique constraint records each at most once, however often the
    watch runs."""

    class Metric(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("first response")
        RESOLUTION = "resolution", pgettext_lazy("sla", "resolution")

    class Kind(models.TextChoices):
        WARNING = "warning", _("due soon")
        BREACH = "breach", _("breached")

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="sla_records", verbose_name=_("ticket")
    )
    metric = models.CharField(_("target"), max_length=20, choices=Metric.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    due_at = models.DateTimeField(_("due"))  # the target as it stood when recorded
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = _("SLA record")
        verbose_name_plural = _("SLA records")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "metric", "kind"], name="sla_record_once_per_target"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.metric} {self.kind}"


# --- Returns and exchanges (RMA) ----------------------------------------------


class ReturnPolicy(TimeStampedModel):
    """How long after delivery a customer may return goods: per sales
    channel, per product category, or both (the most specific applies;
    with no policy, RETURN_WINDOW_DAYS). `no_reason` marks the Chinese
    "7 days, no reason needed" rule."""

    channel = models.ForeignKey(
        "orders.SalesChannel",
        verbose_name=_("sales channel"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="return_policies",
    )
    category = models.CharField(_("product category"), max_length=100, blank=True)
    days = models.PositiveSmallIntegerField(_("days after delivery"))
    no_reason = models.BooleanField(_("no reason needed"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["channel", "category"]
        verbose_name = _("return policy")
        verbose_name_plural = _("return policies")
        constraints = [
            # One active policy per channel and category; "any channel" is a
            # NULL, so it gets a constraint of its own.
            models.UniqueConstraint(
                fields=["channel", "category"],
                condition=Q(active=True, channel__isnull=False),
                name="return_policy_one_active_per_channel",
            ),
            models.UniqueConstraint(
                fields=["category"],
                condition=Q(active=True, channel__isnull=True),
                name="return_policy_one_active_any_channel",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel or '*'} {self.category or '*'} {self.days}"


class ReturnRequest(TimeStampedModel):
    """A return or exchange of delivered goods (退换货单): requested,
    approved or rejected, received back into a warehouse (or quarantine),
    inspected line by line, then refunded or exchanged. Status changes go
    through aftersales.services.returns (RETURN_TRANSITIONS)."""

    class Kind(models.TextChoices):
        RETURN = "return", pgettext_lazy("rma", "return")  # money back
        EXCHANGE = "exchange", pgettext_lazy("rma", "exchange")  # other goods instead

    class Status(models.TextChoices):
        REQUESTED = "requested", pgettext_lazy("rma", "requested")  # waiting for approval
        APPROVED = "approved", pgettext_lazy("rma", "approved")  # customer may send it back
        REJECTED = "rejected", pgettext_lazy("rma", "rejected")  # final, with a reason
        AWAITING_RECEIPT = (
            "awaiting_receipt",
            pgettext_lazy("rma", "awaiting receipt"),
        )  # return label issued, goods on their way back
        RECEIVED = "received", pgettext_lazy("rma", "received")  # goods arrived
        INSPECTED = "inspected", pgettext_lazy("rma", "inspected")  # every line has a disposition
        REFUNDED = "refunded", pgettext_lazy("rma", "refunded")  # money returned (final)
        EXCHANGED = "exchanged", pgettext_lazy("rma", "exchanged")  # replacement order made (final)
        CANCELLED = "cancelled", pgettext_lazy("rma", "cancelled")  # withdrawn before receipt

    class ReceiveInto(models.TextChoices):
        STOCK = "stock", _("stock")  # units go straight back into the warehouse's stock
        QUARANTINE = "quarantine", _("quarantine")  # held aside until inspected

    number = models.CharField(_("return number"), max_length=30, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED, db_index=True
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        related_name="return_requests",
    )
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="return_requests",
    )
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="return_requests",
    )
    reason = models.CharField(_("reason"), max_length=500)
    rejection_reason = models.CharField(_("rejection reason"), max_length=500, blank=True)
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("receiving warehouse"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    receive_into = models.CharField(
        _("receive into"), max_length=12, choices=ReceiveInto.choices, blank=True
    )
    return_carrier = models.ForeignKey(
        "logistics.Carrier",
        verbose_name=_("return carrier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    return_tracking_number = models.CharField(_("return waybill number"), max_length=50, blank=True)
    refund_amount = models.DecimalField(
        _("refund amount"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    replacement_order = models.OneToOneField(
        "orders.Order",
        verbose_name=_("replacement order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaces_return",
    )
    # Replacement value minus the returned goods' value: > 0 the customer
    # pays the difference, < 0 it is refunded.
    price_difference = models.DecimalField(
        _("price difference"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    inspected_at = models.DateTimeField(_("inspected at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("return request")
        verbose_name_plural = _("return requests")
        permissions = [
            ("approve_returnrequest", _("Can approve or reject returns and refund them")),
            ("receive_returnrequest", _("Can receive returned goods and inspect them")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(refund_amount__gte=0), name="return_refund_not_negative"
            )
        ]

    def __str__(self) -> str:
        return self.number


RETURN_TRANSITIONS: dict[str, set[str]] = {
    ReturnRequest.Status.REQUESTED: {
        ReturnRequest.Status.APPROVED,
        ReturnRequest.Status.REJECTED,
        ReturnRequest.Status.CANCELLED,
    },
    ReturnRequest.Status.APPROVED: {
        ReturnRequest.Status.AWAITING_RECEIPT,
        ReturnRequest.Status.RECEIVED,
        ReturnRequest.Status.CANCELLED,
    },
    ReturnRequest.Status.AWAITING_RECEIPT: {
        ReturnRequest.Status.RECEIVED,
        ReturnRequest.Status.CANCELLED,
    },
    ReturnRequest.Status.RECEIVED: {ReturnRequest.Status.INSPECTED},
    ReturnRequest.Status.INSPECTED: {
        ReturnRequest.Status.REFUNDED,
        ReturnRequest.Status.EXCHANGED,
    },
    ReturnRequest.Status.REJECTED: set(),
    ReturnRequest.Status.REFUNDED: set(),
    ReturnRequest.Status.EXCHANGED: set(),
    ReturnRequest.Status.CANCELLED: set(),
}


class ReturnLine(models.Model):
    """One order line's units coming back, with what was found and what
    happens to them."""

    class Condition(models.TextChoices):
        UNOPENED = "unopened", _("unopened")
        OPENED = "opened", _("opened, as new")
        USED = "used", _("used")
        DAMAGED = "damaged", _("damaged")
        DEFECTIVE = "defective", _("defective")

    class Disposition(models.TextChoices):
        RESTOCK = "restock", _("restock")
        SCRAP = "scrap", _("scrap")
        REPAIR = "repair", _("send to repair")

    request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="lines", verbose_name=_("return")
    )
    order_line = models.ForeignKey(
        "orders.OrderLine",
        verbose_name=_("order line"),
        on_delete=models.PROTECT,
        related_name="return_lines",
    )
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    condition = models.CharField(
        _("condition"), max_length=10, choices=Condition.choices, blank=True
    )
    quantity_received = models.PositiveIntegerField(_("received"), default=0)
    disposition = models.CharField(
        _("disposition"), max_length=10, choices=Disposition.choices, blank=True
    )
    inspection_note = models.CharField(_("inspection note"), max_length=500, blank=True)
    # For an exchange: what the customer gets instead (blank: the same product).
    replacement_product = models.ForeignKey(
        "inventory.Product",
        verbose_name=_("replacement product"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["request", "id"]
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="return_line_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(quantity_received__lte=F("quantity")),
                name="return_line_received_le_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.order_line_id} x{self.quantity}"


class ReturnPhoto(models.Model):
    """A photo the customer or the inspector took of the returned goods."""

    request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="photos", verbose_name=_("return")
    )
    image = models.FileField(_("photo"), upload_to="returns/%Y/%m/")
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("return photo")
        verbose_name_plural = _("return photos")

    def __str__(self) -> str:
        return self.caption or self.image.name


class ReturnEvent(models.Model):
    """The return's timeline: each status change with who and why."""

    request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="events", verbose_name=_("return")
    )
    from_status = models.CharField(
        _("from"), max_length=20, choices=ReturnRequest.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=ReturnRequest.Status.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("return event")
        verbose_name_plural = _("return events")

    def __str__(self) -> str:
        return f"{self.request_id} {self.from_status}->{self.to_status}"


# --- Repairs -----------------------------------------------------------------


class RepairOrder(TimeStampedModel):
    """A repair work order (维修单): a product, usually with its serial
    number, brought in with a fault; diagnosed, repaired with spare parts
    from stock, and returned. Warranty is decided from the purchase date and
    the warranty months; the cost is split between what the warranty covers
    and what the customer pays."""

    class Status(models.TextChoices):
        REPORTED = "reported", pgettext_lazy("repair", "reported")
        DIAGNOSING = "diagnosing", pgettext_lazy("repair", "diagnosing")
        WAITING_PARTS = "waiting_parts", pgettext_lazy("repair", "waiting for parts")
        REPAIRING = "repairing", pgettext_lazy("repair", "repairing")
        DONE = "done", pgettext_lazy("repair", "done")
        RETURNED = "returned_to_customer", pgettext_lazy("repair", "returned to customer")
        CANCELLED = "cancelled", pgettext_lazy("repair", "cancelled")

    number = models.CharField(_("repair number"), max_length=30, unique=True)
    status = models.CharField(
        _("status"), max_length=25, choices=Status.choices, default=Status.REPORTED, db_index=True
    )
    customer = models.ForeignKey(
        "crm.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="repairs"
    )
    product = models.ForeignKey(
        "inventory.Product", verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    serial_number = models.CharField(_("serial number"), max_length=64, blank=True, db_index=True)
    order_line = models.ForeignKey(
        "orders.OrderLine",
        verbose_name=_("order line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="repairs",
    )
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="repairs",
    )
    return_line = models.ForeignKey(
        ReturnLine,
        verbose_name=_("return line"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="repairs",
    )
    fault_description = models.TextField(_("fault description"))
    diagnosis = models.TextField(_("diagnosis"), blank=True)
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    warranty_months = models.PositiveSmallIntegerField(_("warranty (months)"), default=0)
    warranty_until = models.DateField(_("warranty until"), null=True, blank=True)
    in_warranty = models.BooleanField(_("in warranty"), default=False)
    # Damage the customer caused (a drop, water) voids the warranty for this repair.
    warranty_void_reason = models.CharField(_("warranty void because"), max_length=255, blank=True)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("technician"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="repairs",
    )
    parts_warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("spare parts warehouse"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    labour_hours = models.DecimalField(
        _("labour hours"), max_digits=6, decimal_places=2, default=Decimal("0")
    )
    labour_rate = models.DecimalField(
        _("labour rate per hour"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    parts_price = models.DecimalField(
        _("parts"), max_digits=14, decimal_places=2, default=Decimal("0")
    )  # at list price
    parts_cost = models.DecimalField(
        _("parts cost"), max_digits=14, decimal_places=2, default=Decimal("0")
    )  # at moving average cost: what the parts cost us
    labour_amount = models.DecimalField(
        _("labour"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    covered_amount = models.DecimalField(
        _("covered by warranty"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    charged_amount = models.DecimalField(
        _("charged to customer"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("repair order")
        verbose_name_plural = _("repair orders")
        constraints = [
            models.CheckConstraint(
                condition=Q(labour_hours__gte=0), name="repair_labour_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def total_amount(self) -> Decimal:
        return self.parts_price + self.labour_amount


REPAIR_TRANSITIONS: dict[str, set[str]] = {
    RepairOrder.Status.REPORTED: {RepairOrder.Status.DIAGNOSING, RepairOrder.Status.CANCELLED},
    RepairOrder.Status.DIAGNOSING: {
        RepairOrder.Status.WAITING_PARTS,
        RepairOrder.Status.REPAIRING,
        RepairOrder.Status.CANCELLED,
    },
    RepairOrder.Status.WAITING_PARTS: {RepairOrder.Status.REPAIRING, RepairOrder.Status.CANCELLED},
    RepairOrder.Status.REPAIRING: {RepairOrder.Status.WAITING_PARTS, RepairOrder.Status.DONE},
    RepairOrder.Status.DONE: {RepairOrder.Status.RETURNED},
    RepairOrder.Status.RETURNED: set(),
    RepairOrder.Status.CANCELLED: set(),
}


class RepairPart(models.Model):
    """A spare part used on a repair; it left stock through its move."""

    repair = models.ForeignKey(
        RepairOrder, on_delete=models.CASCADE, related_name="parts", verbose_name=_("repair")
    )
    product = models.ForeignKey(
        "inventory.Product",
        verbose_name=_("spare part"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        verbose_name=_("warehouse"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_cost = models.DecimalField(_("unit cost"), max_digits=14, decimal_places=4)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    stock_move = models.OneToOneField(
        "inventory.StockMove",
        verbose_name=_("stock move"),
        on_delete=models.PROTECT,
        related_name="repair_part",
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["repair", "id"]
        verbose_name = _("repair part")
        verbose_name_plural = _("repair parts")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="repair_part_quantity_gt_0")
        ]

    def __str__(self) -> str:
        return f"{self.repair_id} {self.product_id} x{self.quantity}"


class RepairEvent(models.Model):
    """The repair's timeline: each status change with who and why."""

    repair = models.ForeignKey(
        RepairOrder, on_delete=models.CASCADE, related_name="events", verbose_name=_("repair")
    )
    from_status = models.CharField(
        _("from"), max_length=25, choices=RepairOrder.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=25, choices=RepairOrder.Status.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("repair event")
        verbose_name_plural = _("repair events")

    def __str__(self) -> str:
        return f"{self.repair_id} {self.from_status}->{self.to_status}"


# --- Feedback ----------------------------------------------------------------


class Feedback(TimeStampedModel):
    """The survey sent when a ticket is resolved, and the customer's answer:
    satisfaction 1-5 (CSAT), optionally likelihood to recommend 0-10 (NPS)
    and a comment. Attached to the ticket and its assignee."""

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("ticket")
    )
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="feedback",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
    )
    token = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    csat = models.PositiveSmallIntegerField(
        _("satisfaction (1-5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    nps = models.PositiveSmallIntegerField(
        _("recommend (0-10)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    comment = models.TextField(_("comment"), blank=True)
    submitted_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            models.CheckConstraint(
                condition=Q(csat__isnull=True) | Q(csat__gte=1, csat__lte=5),
                name="feedback_csat_1_5",
            ),
            models.CheckConstraint(
                condition=Q(nps__isnull=True) | Q(nps__lte=10), name="feedback_nps_0_10"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.csat}"

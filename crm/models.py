"""Customers, their contacts and addresses, interactions, scores and tiers,
care tasks, segments and campaigns. One customer across every channel.

crm sits at the bottom with the kernel: it imports no other domain app. What it
needs from higher apps (order figures for the scores, care-task causes, the
sections of the customer 360 page) those apps register with it (see
crm/hooks.py), and merging customers moves every row that points at a customer
through the model's reverse relations.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from erp.core.models import TimeStampedModel


class Customer(TimeStampedModel):
    """A person or company that buys from us, whichever channel they use."""

    class Kind(models.TextChoices):
        PERSON = "person", _("person")  # a consumer
        COMPANY = "company", _("company")  # a business buyer (B2B)

    class ConsentSource(models.TextChoices):
        WEB_FORM = "web_form", _("web form")
        PORTAL = "portal", _("portal")
        PHONE = "phone", _("phone")
        IN_STORE = "in_store", _("in store")
        CHANNEL = "channel", _("sales channel")
        IMPORT = "import", _("import")
        API = "api", _("API")
        STAFF = "staff", _("staff")

    class Language(models.TextChoices):
        ZH_HANS = "zh-hans", "简体中文"
        EN = "en", "English"

    class Tier(models.TextChoices):
        STANDARD = "standard", _("standard")  # default for new customers
        SILVER = "silver", _("silver")
        GOLD = "gold", _("gold")
        VIP = "vip", _("VIP")  # top value; served first when stock is short

    code = models.CharField(_("customer code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PERSON)
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, default=Tier.STANDARD)
    default_address = models.ForeignKey(
        "crm.Address",
        verbose_name=_("default address"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    tier_override = models.CharField(
        _("tier set by hand"),
        max_length=10,
        choices=Tier.choices,
        blank=True,
        help_text=_("When set, the nightly scoring keeps this tier instead of computing one."),
    )
    tier_override_reason = models.CharField(_("reason for the tier"), max_length=200, blank=True)
    marketing_consent = models.BooleanField(_("marketing consent"), default=False)
    consent_at = models.DateTimeField(_("consent given or withdrawn at"), null=True, blank=True)
    consent_source = models.CharField(
        _("consent source"), max_length=12, choices=ConsentSource.choices, blank=True
    )
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    tags = models.ManyToManyField(
        "crm.Tag", verbose_name=_("tags"), blank=True, related_name="customers"
    )
    note = models.TextField(_("note"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_customers",
        help_text=_("Set when this customer was merged into another; kept for the record."),
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_customers",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [("merge_customer", _("Can merge customers"))]
        constraints = [
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("id")), name="customer_not_merged_into_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def phone_tail(self) -> str:
        digits = "".join(ch for ch in self.phone if ch.isdigit())
        return digits[-4:]


class Tag(models.Model):
    """A free label staff put on customers (e.g. "wholesale", "trade fair 2026")."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Contact(TimeStampedModel):
    """A person at a company customer: who buys, who receives, who pays."""

    class Role(models.TextChoices):
        BUYER = "buyer", _("buyer")
        RECEIVER = "receiver", _("receiver")
        FINANCE = "finance", _("finance")
        OTHER = "other", _("other")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.BUYER)
    title = models.CharField(_("job title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    email = models.EmailField(_("email"), blank=True, db_index=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["customer_id", "-is_primary", "name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "role"],
                condition=Q(is_primary=True),
                name="contact_one_primary_per_role",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Address(TimeStampedModel):
    """A delivery address of a customer (mainland format: province, city, district)."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="addresses"
    )
    recipient = models.CharField(_("recipient"), max_length=100)
    phone = models.CharField(_("phone"), max_length=32)
    province = models.CharField(_("province"), max_length=50)
    city = models.CharField(_("city"), max_length=50)
    district = models.CharField(_("district"), max_length=50, blank=True)
    street = models.CharField(_("street address"), max_length=255)
    postcode = models.CharField(_("postcode"), max_length=12, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["customer_id", "id"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self) -> str:
        return f"{self.province}{self.city}{self.district}{self.street}"


class CustomerMerge(models.Model):
    """One merge of a duplicate customer into the one that survives.

    The merged customer's row is kept (with `merged_into` set) and `moved` lists,
    per relation, the primary keys of every row that was moved to the survivor,
    so a merge can be looked at, and undone, later."""

    survivor = models.ForeignKey(
        Customer, verbose_name=_("kept customer"), on_delete=models.PROTECT, related_name="+"
    )
    merged = models.ForeignKey(
        Customer, verbose_name=_("merged customer"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    merged_snapshot = models.JSONField(_("merged customer before the merge"), default=dict)
    survivor_snapshot = models.JSONField(_("kept customer before the merge"), default=dict)
    moved = models.JSONField(_("rows moved"), default=dict)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    merged_at = models.DateTimeField(_("merged at"), auto_now_add=True, db_index=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-merged_at", "-id"]
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")

    def __str__(self) -> str:
        return f"{self.merged_id} -> {self.survivor_id}"


class DuplicateDismissal(models.Model):
    """Staff looked at two suggested duplicates and said they are different
    customers: the pair is not suggested again."""

    first = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dismissed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("dismissed duplicate")
        verbose_name_plural = _("dismissed duplicates")
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="duplicate_dismissal_unique"),
            models.CheckConstraint(
                condition=Q(first__lt=models.F("second")), name="duplicate_dismissal_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_id} != {self.second_id}"


class Interaction(models.Model):
    """A contact with a customer: a call, an e-mail, a chat, a visit, a portal
    message, logged by staff or written by the system."""

    class Kind(models.TextChoices):
        CALL = "call", _("call")
        EMAIL = "email", _("email")
        SMS = "sms", _("SMS")
        CHAT = "chat", _("chat")
        VISIT = "visit", _("visit")
        PORTAL = "portal", _("portal message")
        NOTE = "note", _("note")

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("inbound")  # the customer reached us
        OUTBOUND = "outbound", _("outbound")  # we reached the customer
        INTERNAL = "internal", _("internal")  # a note among staff

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="interactions",
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crm_interactions",
    )
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    by_system = models.BooleanField(_("written by the system"), default=False)
    # The cause of a system-written interaction ("ticket-message:12"): written once.
    source_key = models.CharField(max_length=100, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    care_task = models.ForeignKey(
        "crm.CareTask",
        verbose_name=_("care task"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        constraints = [
            models.UniqueConstraint(
                fields=["source_key"],
                condition=~Q(source_key=""),
                name="interaction_source_key_unique",
            ),
        ]
        indexes = [models.Index(fields=["customer", "-occurred_at"], name="interaction_customer")]

    def __str__(self) -> str:
        return self.subject


class TierThreshold(models.Model):
    """What a customer must reach in the last 12 months to hold a tier. The
    nightly scoring gives each customer the highest tier whose thresholds it
    meets (both of them); `standard` needs nothing."""

    tier = models.CharField(_("tier"), max_length=10, choices=Customer.Tier.choices, unique=True)
    min_spend_12m = models.DecimalField(
        _("minimum spend in 12 months"), max_digits=14, decimal_places=2, default=0
    )
    min_orders_12m = models.PositiveIntegerField(_("minimum orders in 12 months"), default=0)

    class Meta:
        ordering = ["min_spend_12m"]
        verbose_name = _("tier threshold")
        verbose_name_plural = _("tier thresholds")

    def __str__(self) -> str:
        return self.get_tier_display()


class CustomerScore(models.Model):
    """The nightly scores of one customer (one row each, rewritten set-based)."""

    class Segment(models.TextChoices):
        CHAMPIONS = "champions", _("champions")
        LOYAL = "loyal", _("loyal")
        POTENTIAL = "potential", _("potential loyalists")
        NEW = "new", _("new customers")
        PROMISING = "promising", _("promising")
        NEEDS_ATTENTION = "attention", _("needs attention")
        AT_RISK = "at_risk", pgettext_lazy("RFM segment", "at risk")
        CANNOT_LOSE = "cannot_lose", _("cannot lose them")
        HIBERNATING = "hibernating", _("hibernating")
        LOST = "lost", pgettext_lazy("RFM segment", "lost")
        PROSPECT = "prospect", _("prospect (no orders)")

    class ChurnLevel(models.TextChoices):
        NONE = "none", _("none")  # no orders yet
        LOW = "low", _("low")
        MEDIUM = "medium", _("medium")
        HIGH = "high", _("high")

    customer = models.OneToOneField(
        Customer,
        verbose_name=_("customer"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="score",
    )
    orders_count = models.PositiveIntegerField(_("orders"), default=0)
    orders_12m = models.PositiveIntegerField(_("orders in 12 months"), default=0)
    revenue = models.DecimalField(_("revenue"), max_digits=16, decimal_places=2, default=0)
    revenue_12m = models.DecimalField(
        _("revenue in 12 months"), max_digits=16, decimal_places=2, default=0
    )
    refunded = models.DecimalField(_("refunded"), max_digits=16, decimal_places=2, default=0)
    margin = models.DecimalField(_("margin"), max_digits=16, decimal_places=2, default=0)
    first_order_at = models.DateTimeField(_("first order"), null=True, blank=True)
    last_order_at = models.DateTimeField(_("last order"), null=True, blank=True)
    recency_days = models.PositiveIntegerField(_("days since last order"), null=True, blank=True)
    interval_days = models.DecimalField(
        _("usual days between orders"), max_digits=8, decimal_places=1, null=True, blank=True
    )
    r_score = models.PositiveSmallIntegerField(_("R"), default=0)
    f_score = models.PositiveSmallIntegerField(_("F"), default=0)
    m_score = models.PositiveSmallIntegerField(_("M"), default=0)
    segment = models.CharField(
        _("RFM segment"),
        max_length=12,
        choices=Segment.choices,
        default=Segment.PROSPECT,
        db_index=True,
    )
    lifetime_value = models.DecimalField(
        _("lifetime value"), max_digits=16, decimal_places=2, default=0
    )
    predicted_value = models.DecimalField(
        _("predicted value (12 months)"), max_digits=16, decimal_places=2, default=0
    )
    churn_risk = models.DecimalField(_("churn risk"), max_digits=4, decimal_places=3, default=0)
    churn_level = models.CharField(
        _("churn risk level"),
        max_length=8,
        choices=ChurnLevel.choices,
        default=ChurnLevel.NONE,
        db_index=True,
    )
    previous_churn_level = models.CharField(
        max_length=8, choices=ChurnLevel.choices, default=ChurnLevel.NONE
    )
    # When the churn level last went up (the cause of a win-back care task).
    churn_rose_at = models.DateTimeField(null=True, blank=True)
    computed_tier = models.CharField(
        _("computed tier"),
        max_length=10,
        choices=Customer.Tier.choices,
        default=Customer.Tier.STANDARD,
    )
    computed_at = models.DateTimeField(_("scored at"))

    class Meta:
        verbose_name = _("customer score")
        verbose_name_plural = _("customer scores")

    def __str__(self) -> str:
        return f"{self.customer_id} {self.segment}"


class TierChange(models.Model):
    """A customer's tier changed: by the nightly scoring or by hand."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="tier_changes"
    )
    from_tier = models.CharField(_("from"), max_length=10, choices=Customer.Tier.choices)
    to_tier = models.CharField(_("to"), max_length=10, choices=Customer.Tier.choices)
    by_system = models.BooleanField(_("by the nightly scoring"), default=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    changed_at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")

    def __str__(self) -> str:
        return f"{self.from_tier} -> {self.to_tier}"


class CareRule(models.Model):
    """A rule that raises care tasks: on or off, and how long after its cause
    the task is due. The rules themselves are code (crm/hooks.py registry);
    their rows are created after every migrate."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    enabled = models.BooleanField(_("on"), default=True)
    delay_days = models.PositiveSmallIntegerField(_("days after the cause"), default=0)
    threshold = models.DecimalField(
        _("threshold"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("For rules that need one, e.g. the total that makes an order large."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("care rule")
        verbose_name_plural = _("care rules")

    def __str__(self) -> str:
        return self.code


class CareTask(TimeStampedModel):
    """Something to do for one customer: call, follow up, thank, win back."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    class Priority(models.TextChoices):
        LOW = "low", _("low")
        NORMAL = "normal", _("normal")
        HIGH = "high", _("high")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="care_tasks"
    )
    rule = models.ForeignKey(
        CareRule,
        verbose_name=_("rule"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    # What caused it ("ticket:42:resolved"): one task per rule and cause.
    cause_key = models.CharField(max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=200)
    detail = models.TextField(_("detail"), blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="care_tasks",
    )
    due_at = models.DateTimeField(_("due"), db_index=True)
    outcome = models.TextField(_("outcome"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("care task")
        verbose_name_plural = _("care tasks")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "cause_key"],
                condition=Q(rule__isnull=False),
                name="caretask_one_per_rule_and_cause",
            ),
        ]
        indexes = [models.Index(fields=["assignee", "status", "due_at"], name="caretask_queue")]

    def __str__(self) -> str:
        return self.title


class Segment(TimeStampedModel):
    """A saved filter over customers and their scores, counted live."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    # The query string of the segment filter (crm.filters.SegmentFilter), as a dict.
    filters = models.JSONField(_("filters"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name


class Campaign(TimeStampedModel):
    """A message to the consenting customers of a segment, with a code that
    orders carry so their revenue is attributed to it."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("email")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        CANCELLED = "cancelled", _("cancelled")

    code = models.CharField(
        _("campaign code"),
        max_length=30,
        unique=True,
        help_text=_("Orders that carry this code count as responses to the campaign."),
    )
    name = models.CharField(_("name"), max_length=200)
    segment = models.ForeignKey(
        Segment, verbose_name=_("segment"), on_delete=models.PROTECT, related_name="campaigns"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    message = models.TextField(_("message"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    # Orders placed this many days after the send count as responses.
    attribution_days = models.PositiveSmallIntegerField(_("attribution window (days)"), default=30)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    audience_count = models.PositiveIntegerField(_("customers in the segment"), default=0)
    excluded_no_consent = models.PositiveIntegerField(_("left out: no consent"), default=0)
    excluded_no_address = models.PositiveIntegerField(_("left out: no address"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        permissions = [("send_campaign", _("Can send campaigns"))]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CampaignSend(models.Model):
    """One customer a campaign went to."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="sends"
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="campaign_sends",
    )
    recipient = models.CharField(_("to"), max_length=254)
    notification = models.ForeignKey(
        "core.Notification",
        verbose_name=_("notification"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        ordering = ["campaign_id", "id"]
        verbose_name = _("campaign send")
        verbose_name_plural = _("campaign sends")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer"], name="campaignsend_once_per_customer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} -> {self.customer_id}"

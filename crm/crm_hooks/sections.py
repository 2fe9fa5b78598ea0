"""crm's own parts of the customer 360 page and API (crm/hooks.py sections):
profile (contacts, addresses, tags), scores and tier, interactions, care
tasks and campaigns received. Each loads in a fixed number of queries: the
latest rows cut to the section's limit, totals counted in SQL."""

from django.db.models import Case, Count, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.hooks import Section, register_section
from crm.models import Address, CampaignSend, CareTask, Contact, Interaction, TierChange
from crm.selectors import care_tasks_visible_to, customer_score_or_none
from crm.services.scoring import SCORE_COLUMNS

# --- Profile -------------------------------------------------------------------


def load_profile(customer, user) -> dict:
    limit = PROFILE.limit
    contacts = Contact.objects.filter(customer=customer, active=True)
    addresses = Address.objects.filter(customer=customer)
    counts = {
        "contacts": contacts.count(),
        "addresses": addresses.count(),
    }
    tags = [tag.name for tag in customer.tags.all()]
    return {
        "contacts": list(contacts.order_by("-is_primary", "role", "name", "id")[:limit]),
        "addresses": list(addresses.order_by("-id")[:limit]),
        "default_address_id": customer.default_address_id,
        "tags": tags,
        "counts": counts,
        "facts": {**counts, "tags": tags},
    }


def profile_json(data: dict) -> dict:
    return {
        "contacts": [
            {
                "name": c.name,
                "role": c.role,
                "title": c.title,
                "phone": c.phone,
                "email": c.email,
                "is_primary": c.is_primary,
            }
            for c in data["contacts"]
        ],
        "addresses": [
            {
                "recipient": a.recipient,
                "phone": a.phone,
                "province": a.province,
                "city": a.city,
                "district": a.district,
                "street": a.street,
                "postcode": a.postcode,
                "is_default": a.pk == data["default_address_id"],
            }
            for a in data["addresses"]
        ],
        "tags": data["tags"],
        "counts": data["counts"],
    }


PROFILE = Section(
    key="profile",
    title=_("Profile"),
    template="crm/sections/profile.html",
    load=load_profile,
    as_json=profile_json,
    permission="crm.view_contact",
    order=10,
)


# --- Scores and tier -----------------------------------------------------------


def load_scores(customer, user) -> dict:
    score = customer_score_or_none(customer)
    changes = []
    if user.has_perm("crm.view_tierchange"):
        changes = list(
            TierChange.objects.filter(customer=customer)
            .select_related("changed_by")
            .order_by("-changed_at", "-id")[: SCORES.limit]
        )
    facts = {}
    if score is not None:
        facts = {
            "score_orders_count": score.orders_count,
            "score_revenue": score.revenue,
            "score_margin": score.margin,
            "lifetime_value": score.lifetime_value,
            "predicted_value": score.predicted_value,
            "churn_risk": score.churn_risk,
            "churn_level": score.churn_level,
            "churn_level_label": score.get_churn_level_display(),
            "segment": score.segment,
            "segment_label": score.get_segment_display(),
            "recency_days": score.recency_days,
            "interval_days": score.interval_days,
            "scored_at": score.computed_at,
        }
    return {
        "score": score,
        "tier": customer.tier,
        "tier_override": customer.tier_override,
        "tier_override_reason": customer.tier_override_reason,
        "tier_changes": changes,
        "facts": facts,
    }


# What the API shows of a score: everything the scoring writes but its bookkeeping.
SCORE_FIELDS = tuple(
    column
    for column in SCORE_COLUMNS
    if column not in ("customer_id", "previous_churn_level", "churn_rose_at")
)


def scores_json(data: dict) -> dict:
    score = data["score"]
    return {
        "tier": data["tier"],
        "tier_override": data["tier_override"],
        "tier_override_reason": data["tier_override_reason"],
        "score": None if score is None else {f: getattr(score, f) for f in SCORE_FIELDS},
        "tier_changes": [
            {
                "from_tier": c.from_tier,
                "to_tier": c.to_tier,
                "by_system": c.by_system,
                "changed_by": c.changed_by.get_username() if c.changed_by else None,
                "reason": c.reason,
                "changed_at": c.changed_at,
            }
            for c in data["tier_changes"]
        ],
    }


SCORES = Section(
    key="scores",
    title=_("Scores and tier"),
    template="crm/sections/scores.html",
    load=load_scores,
    as_json=scores_json,
    permission="crm.view_customerscore",
    order=20,
    limit=5,
)


# --- Interactions --------------------------------------------------------------


def load_interactions(customer, user) -> dict:
    interactions = Interaction.objects.filter(customer=customer)
    totals = interactions.order_by().aggregate(
        count=Count("pk"),
        inbound=Count("pk", filter=Q(direction=Interaction.Direction.INBOUND)),
        outbound=Count("pk", filter=Q(direction=Interaction.Direction.OUTBOUND)),
    )
    rows = list(
        interactions.select_related("staff", "contact").order_by("-occurred_at", "-id")[
            : INTERACTIONS.limit
        ]
    )
    return {
        "rows": rows,
        "totals": totals,
        "facts": {
            "interactions": totals["count"],
            "last_interaction_at": rows[0].occurred_at if rows else None,
        },
    }


def interactions_json(data: dict) -> dict:
    return {
        "totals": data["totals"],
        "rows": [
            {
                "occurred_at": i.occurred_at,
                "kind": i.kind,
                "direction": i.direction,
                "subject": i.subject,
                "staff": i.staff.get_username() if i.staff else None,
                "contact": i.contact.name if i.contact else None,
                "by_system": i.by_system,
                "reference": i.reference,
            }
            for i in data["rows"]
        ],
    }


INTERACTIONS = Section(
    key="interactions",
    title=_("Interactions"),
    template="crm/sections/interactions.html",
    load=load_interactions,
    as_json=interactions_json,
    permission="crm.view_interaction",
    order=60,
)


# --- Care tasks ----------------------------------------------------------------


def load_care_tasks(customer, user) -> dict:
    # The care area's rule: admins all, others their own and the unassigned ones
    # of the customers they manage.
    tasks = care_tasks_visible_to(user, CareTask.objects.filter(customer=customer))
    now = timezone.now()
    totals = tasks.order_by().aggregate(
        count=Count("pk"),
        open=Count("pk", filter=Q(status=CareTask.Status.OPEN)),
        overdue=Count("pk", filter=Q(status=CareTask.Status.OPEN, due_at__lt=now)),
        done=Count("pk", filter=Q(status=CareTask.Status.DONE)),
    )
    # Open ones first (soonest due first), then the latest closed: one query.
    is_open = Q(status=CareTask.Status.OPEN)
    rows = list(
        tasks.select_related("assignee", "rule").order_by(
            Case(When(is_open, then=Value(0)), default=Value(1)),
            Case(When(is_open, then=F("due_at"))).asc(nulls_last=True),
            F("due_at").desc(),
            "-id",
        )[: CARE_TASKS.limit]
    )
    return {
        "rows": rows,
        "totals": totals,
        "now": now,
        "facts": {"open_care_tasks": totals["open"], "overdue_care_tasks": totals["overdue"]},
    }


def care_tasks_json(data: dict) -> dict:
    return {
        "totals": data["totals"],
        "rows": [
            {
                "id": t.pk,
                "title": t.title,
                "rule": t.rule.code if t.rule else None,
                "status": t.status,
                "priority": t.priority,
                "due_at": t.due_at,
                "assignee": t.assignee.get_username() if t.assignee else None,
                "reference": t.reference,
                "completed_at": t.completed_at,
            }
            for t in data["rows"]
        ],
    }


CARE_TASKS = Section(
    key="care_tasks",
    title=_("Care tasks"),
    template="crm/sections/care_tasks.html",
    load=load_care_tasks,
    as_json=care_tasks_json,
    permission="crm.view_caretask",
    order=70,
)


# --- Campaigns received -----------------------------------------------------------


def load_campaigns(customer, user) -> dict:
    sends = CampaignSend.objects.filter(customer=customer)
    received = list(sends.order_by().values_list("campaign_id", flat=True).distinct())
    rows = list(sends.select_related("campaign").order_by("-created_at", "-id")[: CAMPAIGNS.limit])
    return {
        "rows": rows,
        "count": len(received),
        "facts": {"campaigns_received": len(received), "campaign_ids_received": received},
    }


def campaigns_json(data: dict) -> dict:
    return {
        "count": data["count"],
        "rows": [
            {
                "campaign": s.campaign.code,
                "name": s.campaign.name,
                "channel": s.campaign.channel,
                "recipient": s.recipient,
                "sent_at": s.created_at,
            }
            for s in data["rows"]
        ],
    }


CAMPAIGNS = Section(
    key="campaigns",
    title=_("Campaigns received"),
    template="crm/sections/campaigns.html",
    load=load_campaigns,
    as_json=campaigns_json,
    permission="crm.view_campaignsend",
    order=80,
)


for _section in (PROFILE, SCORES, INTERACTIONS, CARE_TASKS, CAMPAIGNS):
    register_section(_section)

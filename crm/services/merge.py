"""Merging duplicate customers, undoing a merge, and dismissing a suggested pair.

A merge moves every row that points at the merged customer to the one that
survives, found generically through `Customer._meta.related_objects`, so the
orders, tickets, returns, repairs, feedback, notices of the apps above crm move
too without crm importing them. `CustomerMerge.moved` records, per relation
("app_label.Model.field"), the primary keys moved; keys that start with "_"
hold what else the merge did, for the undo:

- "_kept": rows left on the merged customer because moving them would break a
  unique constraint (a campaign sent to both customers keeps one send each);
- "_demoted": contacts of the merged customer that lost "primary" because the
  survivor has a primary contact of that role already;
- "_filled": survivor fields the merge filled from the merged customer
  (blank e-mail, phone, default address, account manager, note; the consent
  decision when the merged one's is later), with the value set;
- "_tags_added": tags the survivor got from the merged customer.
"""

import importlib
from datetime import datetime

from django.apps import apps
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, UniqueConstraint
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Contact, Customer, CustomerMerge, CustomerScore, DuplicateDismissal
from erp.core.db import advisory_lock
from erp.core.errors import DomainError


class MergeRefused(DomainError):
    status_code = 409
    code = "merge_refused"


SNAPSHOT_FIELDS = (
    "code",
    "name",
    "kind",
    "phone",
    "email",
    "tier",
    "tier_override",
    "tier_override_reason",
    "marketing_consent",
    "consent_at",
    "consent_source",
    "language",
    "note",
    "default_address_id",
    "account_manager_id",
    "merged_into_id",
)
# Survivor fields filled from the merged customer when blank on the survivor.
FILL_FIELDS = ("email", "phone", "default_address_id", "account_manager_id", "note")
CONSENT_FIELDS = ("marketing_consent", "consent_at", "consent_source")
# Contacts that would break "one primary per role" are demoted, not left behind.
DEMOTE_ON_CONFLICT = {"crm.Contact.customer": {"is_primary": False}}


def _json(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _unjson(field: str, value):
    if field == "consent_at" and value:
        return datetime.fromisoformat(value)
    return value


def customer_snapshot(customer: Customer) -> dict:
    data = {field: _json(getattr(customer, field)) for field in SNAPSHOT_FIELDS}
    data["tags"] = sorted(customer.tags.values_list("pk", flat=True))
    return data


def merge_relations():
    """The relations whose rows follow a customer into a merge: every reverse
    foreign key to Customer except crm's own bookkeeping (the scores row,
    and the customers merged into this one, which keep pointing at it)."""
    for rel in Customer._meta.related_objects:
        if rel.one_to_one or rel.many_to_many or rel.related_model is Customer:
            continue
        yield rel


def relation_key(rel) -> str:
    return f"{rel.related_model._meta.label}.{rel.field.name}"


def _unique_sets(model, field_name: str):
    """(other fields, condition) of each unique rule on `model` that includes `field_name`."""
    for fields in model._meta.unique_together:
        if field_name in fields:
            yield [f for f in fields if f != field_name], Q()
    for constraint in model._meta.constraints:
        if isinstance(constraint, UniqueConstraint) and field_name in (constraint.fields or ()):
            others = [f for f in constraint.fields if f != field_name]
            yield others, constraint.condition or Q()


def _conflicting(rel, merged: Customer, survivor: Customer) -> list[int]:
    """Rows of the merged customer that would break a unique rule on the survivor."""
    model, name = rel.related_model, rel.field.name
    pks: set[int] = set()
    for others, condition in _unique_sets(model, name):
        clash = model._base_manager.filter(condition, **{name: survivor}).filter(
            **{other: OuterRef(other) for other in others}
        )
        pks.update(
            model._base_manager.filter(condition, **{name: merged})
            .filter(Exists(clash))
            .values_list("pk", flat=True)
        )
    return sorted(pks)


def merge_preview(*, survivor: Customer, merged: Customer) -> list[dict]:
    """What a merge would move: per relation, its label and how many rows
    (and how many stay for a unique rule). Only relations with rows."""
    rows = []
    for rel in merge_relations():
        count = rel.related_model._base_manager.filter(**{rel.field.name: merged}).count()
        if not count:
            continue
        staying = 0
        if relation_key(rel) not in DEMOTE_ON_CONFLICT:
            staying = len(_conflicting(rel, merged, survivor))
        rows.append(
            {
                "key": relation_key(rel),
                "label": str(rel.related_model._meta.verbose_name_plural),
                "count": count - staying,
                "staying": staying,
            }
        )
    return rows


def _lock_keys(*customers: Customer) -> None:
    """Take the matching locks of both customers' phones and e-mails (as
    order intake does), so no order is matched to the merged customer while
    it is being merged."""
    keys = set()
    for customer in customers:
        if customer.phone:
            keys.add(f"phone:{customer.phone}")
        if customer.email:
            keys.add(f"email:{customer.email}")
    for key in sorted(keys):
        advisory_lock(f"customer:{key}")


def _lock(*pks: int) -> dict[int, Customer]:
    locked = Customer.objects.select_for_update().filter(pk__in=pks).order_by("pk")
    return {customer.pk: customer for customer in locked}


def _refresh_scores(customer_ids: list[int]) -> None:
    """Rescore the customers once the merge is committed, if the scoring
    offers it (else the nightly job does). Robust: a failing rescoring is
    logged and never undoes the merge."""
    try:
        scoring = importlib.import_module("crm.services.scoring")
    except ImportError:
        return
    refresh = getattr(scoring, "customer_score_refresh", None)
    if refresh is not None:
        transaction.on_commit(lambda: refresh(customer_ids=customer_ids), robust=True)


@transaction.atomic
def customer_merge(
    *, survivor: Customer, merged: Customer, actor=None, reason: str = ""
) -> CustomerMerge:
    """Merge `merged` into `survivor`: every row of the merged customer moves
    to the survivor, blank survivor fields are filled, tags are joined, the
    later consent decision wins, and the merged customer is kept, marked as
    merged into the survivor. Undo with `customer_merge_undo`."""
    if survivor.pk == merged.pk:
        raise MergeRefused(_("A customer cannot be merged into itself."), field="duplicate")
    _lock_keys(survivor, merged)
    locked = _lock(survivor.pk, merged.pk)
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    if merged.merged_into_id is not None:
        raise MergeRefused(
            _("Customer %(code)s was merged already.") % {"code": merged.code}, field="duplicate"
        )
    if survivor.merged_into_id is not None:
        raise MergeRefused(
            _("Customer %(code)s was merged into another customer; merge into that one.")
            % {"code": survivor.code},
            field="survivor",
        )
    reason = (reason or "").strip()[:200]
    survivor_snapshot = customer_snapshot(survivor)
    merged_snapshot = customer_snapshot(merged)

    moved: dict = {}
    kept: dict = {}
    demoted: dict = {}
    for rel in merge_relations():
        key = relation_key(rel)
        model, name = rel.related_model, rel.field.name
        conflicting = _conflicting(rel, merged, survivor)
        if conflicting and key in DEMOTE_ON_CONFLICT:
            model._base_manager.filter(pk__in=conflicting).update(**DEMOTE_ON_CONFLICT[key])
            demoted[key] = conflicting
            conflicting = []
        rows = model._base_manager.filter(**{name: merged}).exclude(pk__in=conflicting)
        pks = sorted(rows.values_list("pk", flat=True))
        if pks:
            model._base_manager.filter(pk__in=pks).update(**{rel.field.attname: survivor.pk})
            moved[key] = pks
        if conflicting:
            kept[key] = conflicting

    filled = {}
    for field in FILL_FIELDS:
        if not getattr(survivor, field) and getattr(merged, field):
            setattr(survivor, field, getattr(merged, field))
            filled[field] = _json(getattr(merged, field))
    if merged.consent_at and (
        survivor.consent_at is None or merged.consent_at > survivor.consent_at
    ):
        for field in CONSENT_FIELDS:
            setattr(survivor, field, getattr(merged, field))
            filled[field] = _json(getattr(merged, field))
    survivor.save()
    tags_added = sorted(set(merged_snapshot["tags"]) - set(survivor_snapshot["tags"]))
    if tags_added:
        survivor.tags.add(*tags_added)

    merged.merged_into = survivor
    merged.save(update_fields=["merged_into", "updated_at"])
    CustomerScore.objects.filter(customer=merged).delete()

    moved.update(_kept=kept, _demoted=demoted, _filled=filled, _tags_added=tags_added)
    merge = CustomerMerge.objects.create(
        survivor=survivor,
        merged=merged,
        reason=reason,
        survivor_snapshot=survivor_snapshot,
        merged_snapshot=merged_snapshot,
        moved=moved,
        merged_by=actor if actor is not None and actor.is_authenticated else None,
    )
    _refresh_scores([survivor.pk])
    return merge


def merge_undoable(merge: CustomerMerge) -> bool:
    """Only the latest merge into a survivor can be undone, and only while
    the survivor itself is not merged."""
    if merge.undone_at is not None:
        return False
    if hasattr(merge, "latest_of_survivor"):  # annotated by crm.selectors.merge_list
        return merge.latest_of_survivor == merge.pk and merge.survivor.merged_into_id is None
    latest = (
        CustomerMerge.objects.filter(survivor_id=merge.survivor_id, undone_at__isnull=True)
        .order_by("-merged_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    return (
        latest == merge.pk
        and not Customer.objects.filter(pk=merge.survivor_id, merged_into__isnull=False).exists()
    )


@transaction.atomic
def customer_merge_undo(*, merge: CustomerMerge, actor=None) -> CustomerMerge:
    """Undo a merge: the recorded rows that still point at the survivor go
    back, the merged customer is active again as it was, and what the merge
    filled on the survivor is cleared again (unless changed since)."""
    merge = CustomerMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise MergeRefused(_("This merge was undone already."), field="merge")
    locked = _lock(merge.survivor_id, merge.merged_id)
    survivor, merged = locked[merge.survivor_id], locked[merge.merged_id]
    if survivor.merged_into_id is not None:
        raise MergeRefused(
            _("Customer %(code)s was merged into another customer since; undo that merge first.")
            % {"code": survivor.code},
            field="merge",
        )
    if not merge_undoable(merge):
        raise MergeRefused(
            _("Only the latest merge into %(code)s can be undone; undo the later ones first.")
            % {"code": survivor.code},
            field="merge",
        )
    moved = merge.moved or {}
    for key, pks in moved.items():
        if key.startswith("_") or not pks:
            continue
        label, field_name = key.rsplit(".", 1)
        model = apps.get_model(label)
        field = model._meta.get_field(field_name)
        model._base_manager.filter(pk__in=pks, **{field.attname: survivor.pk}).update(
            **{field.attname: merged.pk}
        )
    for key, pks in (moved.get("_demoted") or {}).items():
        label, field_name = key.rsplit(".", 1)
        if label == "crm.Contact":
            Contact.objects.filter(pk__in=pks, customer=merged, active=True).update(is_primary=True)

    snapshot = merge.survivor_snapshot or {}
    for field, value in (moved.get("_filled") or {}).items():
        if _json(getattr(survivor, field)) == value:
            setattr(survivor, field, _unjson(field, snapshot.get(field)))
    survivor.save()
    tags_added = moved.get("_tags_added") or []
    if tags_added:
        survivor.tags.remove(*tags_added)

    before = merge.merged_snapshot or {}
    for field in SNAPSHOT_FIELDS:
        if field in ("code", "merged_into_id") or field not in before:
            continue
        setattr(merged, field, _unjson(field, before[field]))
    if (
        merged.default_address_id
        and not merged.addresses.filter(pk=merged.default_address_id).exists()
    ):
        merged.default_address = None
    merged.merged_into = None
    merged.save()
    if "tags" in before:
        merged.tags.set(before["tags"])

    merge.undone_at = timezone.now()
    merge.undone_by = actor if actor is not None and actor.is_authenticated else None
    merge.save(update_fields=["undone_at", "undone_by"])
    _refresh_scores([survivor.pk, merged.pk])
    return merge


@transaction.atomic
def duplicate_dismiss(*, first: Customer, second: Customer, actor=None) -> DuplicateDismissal:
    """Staff say two suggested customers are different people: not suggested again."""
    if first.pk == second.pk:
        raise MergeRefused(_("Choose two different customers."), field="second")
    low, high = sorted((first.pk, second.pk))
    dismissal, _created = DuplicateDismissal.objects.get_or_create(
        first_id=low,
        second_id=high,
        defaults={"dismissed_by": actor if actor is not None and actor.is_authenticated else None},
    )
    return dismissal

"""Merging duplicate customers moves every row pointing at the merged one,
and undoing the merge moves them back; duplicate suggestions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.services.tickets import ticket_create
from crm.models import (
    CampaignSend,
    CareTask,
    Contact,
    Customer,
    CustomerScore,
    Interaction,
    Segment,
    Tag,
)
from crm.selectors import duplicate_suggestions
from crm.services.customers import (
    CustomerMerged,
    address_add,
    consent_set,
    contact_create,
    customer_match_or_create,
    customer_update,
)
from crm.services.merge import (
    MergeRefused,
    customer_merge,
    customer_merge_undo,
    duplicate_dismiss,
    merge_preview,
    merge_undoable,
)
from tests.factories import CustomerFactory
from tests.orders.conftest import place, stock, world  # noqa: F401  (shared fixtures)

pytestmark = pytest.mark.django_db


def _address(name="王芳"):
    return {
        "recipient": name,
        "phone": "13800000001",
        "province": "上海市",
        "city": "上海市",
        "street": "人民路1号",
    }


def _campaign(code="CP-1"):
    from crm.models import Campaign

    segment, _ = Segment.objects.get_or_create(name="all")
    return Campaign.objects.create(
        code=code, name=code, segment=segment, channel="sms", message="hi {name}"
    )


@pytest.fixture
def pair(world, place, make_user):  # noqa: F811
    """Two records of one buyer: the survivor from the web store with two orders,
    the duplicate with an order, a ticket, an interaction, a care task, an
    address, a primary buyer contact and a campaign send."""
    manager = make_user("account_manager", username="amy")
    first = place(("tea", 1), phone="13800000001")
    place(("cup", 1), phone="13800000001")
    survivor = first.customer
    contact_create(customer=survivor, name="甲", phone="13900000001", is_primary=True)
    second = place(("tea", 2), phone="13700000002")
    merged = second.customer
    merged.email = "wang@example.com"
    merged.account_manager = manager
    merged.save()
    merged.tags.add(Tag.objects.create(name="wholesale"))
    contact = contact_create(customer=merged, name="乙", phone="13900000002", is_primary=True)
    address = address_add(customer=merged, **_address())
    ticket = ticket_create(
        customer=merged, subject="茶叶受潮", kind="complaint", channel="phone", auto_assign=False
    )
    interaction = Interaction.objects.create(
        customer=merged,
        kind="call",
        direction="inbound",
        subject="问价",
        occurred_at=timezone.now(),
    )
    task = CareTask.objects.create(customer=merged, title="回访", due_at=timezone.now())
    both = _campaign("CP-BOTH")
    CampaignSend.objects.create(campaign=both, customer=survivor, recipient="13800000001")
    clash = CampaignSend.objects.create(campaign=both, customer=merged, recipient="13700000002")
    only = CampaignSend.objects.create(
        campaign=_campaign("CP-ONE"), customer=merged, recipient="13700000002"
    )
    CustomerScore.objects.create(customer=merged, computed_at=timezone.now())
    return {
        "survivor": survivor,
        "merged": merged,
        "order": second,
        "ticket": ticket,
        "interaction": interaction,
        "task": task,
        "address": address,
        "contact": contact,
        "clash": clash,
        "send": only,
        "manager": manager,
    }


def test_merge_moves_every_row_and_undo_moves_them_back(pair, make_user):
    survivor, merged = pair["survivor"], pair["merged"]
    actor = make_user("account_manager")
    preview = {row["key"]: row for row in merge_preview(survivor=survivor, merged=merged)}
    assert preview["orders.Order.customer"]["count"] == 1
    assert preview["crm.CampaignSend.customer"] == {
        "key": "crm.CampaignSend.customer",
        "label": str(CampaignSend._meta.verbose_name_plural),
        "count": 1,
        "staying": 1,
    }

    merge = customer_merge(survivor=survivor, merged=merged, actor=actor, reason="同一人")

    for key in ("order", "ticket", "interaction", "task", "address", "contact", "send"):
        pair[key].refresh_from_db()
        assert pair[key].customer_id == survivor.pk, key
    pair["clash"].refresh_from_db()
    assert pair["clash"].customer_id == merged.pk  # one send per campaign and customer
    assert not pair["contact"].is_primary  # the survivor has a primary buyer already
    assert Contact.objects.filter(customer=survivor, is_primary=True, role="buyer").count() == 1
    survivor.refresh_from_db()
    merged.refresh_from_db()
    assert merged.merged_into == survivor
    assert survivor.email == "wang@example.com"
    assert survivor.account_manager == pair["manager"]
    assert survivor.phone == "13800000001"  # not overwritten
    assert list(survivor.tags.values_list("name", flat=True)) == ["wholesale"]
    assert survivor.orders.count() == 3
    assert not CustomerScore.objects.filter(customer=merged).exists()
    assert merge.moved["orders.Order.customer"] == [pair["order"].pk]
    assert merge.moved["aftersales.Ticket.customer"] == [pair["ticket"].pk]
    assert merge.moved["_kept"] == {"crm.CampaignSend.customer": [pair["clash"].pk]}
    assert merge.merged_by == actor and merge.reason == "同一人"
    assert merge.merged_snapshot["email"] == "wang@example.com"
    assert merge.survivor_snapshot["email"] == ""

    # A row added to the survivor after the merge stays with it on undo.
    later = Interaction.objects.create(
        customer=survivor,
        kind="note",
        direction="internal",
        subject="后来",
        occurred_at=timezone.now(),
    )
    assert merge_undoable(merge)
    customer_merge_undo(merge=merge, actor=actor)

    for key in ("order", "ticket", "interaction", "task", "address", "contact", "send", "clash"):
        pair[key].refresh_from_db()
        assert pair[key].customer_id == merged.pk, key
    assert pair["contact"].is_primary
    later.refresh_from_db()
    assert later.customer_id == survivor.pk
    survivor.refresh_from_db()
    merged.refresh_from_db()
    assert merged.merged_into is None
    assert survivor.email == "" and survivor.account_manager is None
    assert not survivor.tags.exists()
    assert list(merged.tags.values_list("name", flat=True)) == ["wholesale"]
    assert survivor.orders.count() == 2 and merged.orders.count() == 1
    merge.refresh_from_db()
    assert merge.undone_at is not None and merge.undone_by == actor
    assert not merge_undoable(merge)
    with pytest.raises(MergeRefused):
        customer_merge_undo(merge=merge, actor=actor)


def test_merge_refusals():
    a, b, c = CustomerFactory(), CustomerFactory(), CustomerFactory()
    with pytest.raises(MergeRefused) as exc:
        customer_merge(survivor=a, merged=a)
    assert exc.value.field == "duplicate"
    customer_merge(survivor=a, merged=b)
    with pytest.raises(MergeRefused):  # b is merged already
        customer_merge(survivor=c, merged=b)
    with pytest.raises(MergeRefused) as exc:  # cannot merge into a merged customer
        customer_merge(survivor=b, merged=c)
    assert exc.value.field == "survivor"
    with pytest.raises(CustomerMerged):  # a merged customer takes no changes
        customer_update(customer=b, name="新")


def test_only_the_latest_merge_of_a_survivor_can_be_undone():
    a, b, c = CustomerFactory(), CustomerFactory(), CustomerFactory()
    first = customer_merge(survivor=a, merged=b)
    second = customer_merge(survivor=a, merged=c)
    assert not merge_undoable(first)
    with pytest.raises(MergeRefused):
        customer_merge_undo(merge=first)
    customer_merge_undo(merge=second)
    customer_merge_undo(merge=first)
    assert not Customer.objects.filter(merged_into__isnull=False).exists()


def test_undo_refused_once_the_survivor_is_merged_elsewhere():
    a, b, c = CustomerFactory(), CustomerFactory(), CustomerFactory()
    inner = customer_merge(survivor=b, merged=c)
    customer_merge(survivor=a, merged=b)
    with pytest.raises(MergeRefused):
        customer_merge_undo(merge=inner)


def test_consent_the_later_decision_wins():
    a = CustomerFactory()
    b = CustomerFactory()
    consent_set(customer=a, given=True, source="web_form", at=timezone.now() - timedelta(days=10))
    consent_set(customer=b, given=False, source="phone", at=timezone.now() - timedelta(days=1))
    customer_merge(survivor=a, merged=b)
    a.refresh_from_db()
    assert a.marketing_consent is False and a.consent_source == "phone"

    c, d = CustomerFactory(), CustomerFactory()
    consent_set(customer=c, given=True, source="portal", at=timezone.now())
    consent_set(customer=d, given=False, source="phone", at=timezone.now() - timedelta(days=3))
    merge = customer_merge(survivor=c, merged=d)
    c.refresh_from_db()
    assert c.marketing_consent is True and c.consent_source == "portal"
    customer_merge_undo(merge=merge)
    c.refresh_from_db()
    assert c.marketing_consent is True


def test_merged_customers_are_not_matched_their_survivor_is():
    a = CustomerFactory(phone="13800000001")
    b = CustomerFactory(phone="13800000009", email="b@example.com")
    customer_merge(survivor=a, merged=b)
    found, created = customer_match_or_create(name="x", phone="138 0000 0009")
    assert (found, created) == (a, False)
    found, created = customer_match_or_create(name="x", email="B@example.com")
    assert (found, created) == (a, False)


def test_duplicate_suggestions_by_phone_email_and_contact():
    a = CustomerFactory(phone="13800000001", email="")
    b = CustomerFactory(phone="13800000001", email="")
    c = CustomerFactory(phone="13600000003", email="same@example.com")
    d = CustomerFactory(phone="13600000004", email="same@example.com")
    company = CustomerFactory(phone="02100000000", kind="company", email="")
    person = CustomerFactory(phone="13500000005", email="")
    contact_create(customer=company, name="采购", phone="13500000005")
    CustomerFactory(phone="13300000000", email="")  # alone

    suggestions = duplicate_suggestions()
    assert suggestions.count() == 3
    pairs = {(p["first"].pk, p["second"].pk): p["reasons"] for p in suggestions[0:10]}
    assert pairs == {
        (a.pk, b.pk): ["phone"],
        (c.pk, d.pk): ["email"],
        (company.pk, person.pk): ["contact"],
    }
    assert duplicate_suggestions(customer_id=a.pk).count() == 1

    duplicate_dismiss(first=b, second=a)
    duplicate_dismiss(first=a, second=b)  # twice is fine
    customer_merge(survivor=c, merged=d)
    remaining = list(duplicate_suggestions())
    assert [(p["first"].pk, p["second"].pk) for p in remaining] == [(company.pk, person.pk)]
    with pytest.raises(MergeRefused):
        duplicate_dismiss(first=a, second=a)

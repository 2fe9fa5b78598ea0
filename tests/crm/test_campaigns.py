"""Campaigns: a campaign never reaches a customer without consent, sends
once per customer however often it runs, and counts the orders that carry
its code."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import Campaign, CampaignSend, Customer, CustomerScore, Tag
from crm.selectors import campaign_audience, campaign_stats
from crm.services.campaigns import (
    CampaignInvalid,
    CampaignNotDraft,
    campaign_cancel,
    campaign_create,
    campaign_send,
    campaign_send_run,
    campaign_update,
)
from crm.services.segments import segment_create
from erp.core.models import Notification
from orders.models import Order
from orders.services import LineInput, order_create
from orders.services.errors import OrderInvalid
from tests.factories import CustomerFactory
from tests.orders.conftest import place, stock, world  # noqa: F401  (shared fixtures)

# The shared fixtures are imported above and taken as arguments below.
# ruff: noqa: F811

pytestmark = pytest.mark.django_db


@pytest.fixture
def audience(db):
    """A "newsletter" segment (tag) of six customers and one outsider."""
    tag = Tag.objects.create(name="newsletter")
    people = {
        "yes": CustomerFactory(
            code="YES", name="Ann", email="ann@example.com", marketing_consent=True
        ),
        "yes2": CustomerFactory(
            code="YES2", name="Bo", email="bo@example.com", marketing_consent=True
        ),
        "no": CustomerFactory(code="NO", email="no@example.com", marketing_consent=False),
        "noaddr": CustomerFactory(code="NOADDR", email="", marketing_consent=True),
        "merged": CustomerFactory(code="MERGED", email="m@example.com", marketing_consent=True),
        "withdraws": CustomerFactory(code="WD", email="wd@example.com", marketing_consent=True),
    }
    outsider = CustomerFactory(code="OUT", email="out@example.com", marketing_consent=True)
    for customer in people.values():
        customer.tags.add(tag)
    people["merged"].merged_into = people["yes"]
    people["merged"].save(update_fields=["merged_into"])
    segment = segment_create(name="Newsletter", filters={"tags": ["newsletter"]})
    return {**people, "outsider": outsider, "segment": segment}


def new_campaign(segment, **kwargs):
    kwargs.setdefault("name", "Autumn tea")
    kwargs.setdefault("channel", "email")
    kwargs.setdefault("subject", "Hello {name}")
    kwargs.setdefault("message", "Dear {name}, our autumn tea is in.")
    return campaign_create(segment=segment, **kwargs)


def send(campaign, actor, capture):
    with capture(execute=True):
        campaign_send(campaign=campaign, actor=actor)
    campaign.refresh_from_db()
    return campaign


def sent_to(campaign):
    return sorted(campaign.sends.values_list("customer__code", flat=True))


def test_codes_are_numbered_per_month_or_given(audience):
    prefix = f"CP-{timezone.localdate():%Y%m}-"
    assert new_campaign(audience["segment"]).code == f"{prefix}001"
    assert new_campaign(audience["segment"]).code == f"{prefix}002"
    assert new_campaign(audience["segment"], code=" tea-fair ").code == "TEA-FAIR"
    with pytest.raises(CampaignInvalid) as caught:
        new_campaign(audience["segment"], code="tea-fair")
    assert caught.value.field == "code"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"subject": ""}, "subject"),  # e-mail needs a subject
        ({"message": "  "}, "message"),
        ({"message": "Hi {first_name}"}, "message"),
        ({"channel": "fax"}, "channel"),
        ({"attribution_days": 0}, "attribution_days"),
        ({"code": "x"}, "code"),
    ],
)
def test_campaign_input_is_checked(audience, changes, field):
    with pytest.raises(CampaignInvalid) as caught:
        new_campaign(audience["segment"], **changes)
    assert caught.value.field == field


def test_sms_needs_no_subject(audience):
    campaign = new_campaign(audience["segment"], channel="sms", subject="")
    assert campaign.channel == "sms" and campaign.status == Campaign.Status.DRAFT


def test_audience_preview_counts_consent_and_addresses(audience):
    figures = campaign_audience(segment=audience["segment"], channel="email")
    # merged customers are out of the segment; of the other 5, NO has no consent,
    # NOADDR no e-mail address.
    assert figures == {
        "customers": 5,
        "consenting": 4,
        "recipients": 3,
        "no_consent": 1,
        "no_address": 1,
    }
    sms = campaign_audience(segment=audience["segment"], channel="sms")
    assert sms["recipients"] == 4  # every factory customer has a phone


def test_a_campaign_never_reaches_a_customer_without_consent(
    audience, make_user, django_capture_on_commit_callbacks
):
    campaign = new_campaign(audience["segment"])
    # Consent withdrawn after the segment and the campaign were made.
    Customer.objects.filter(pk=audience["withdraws"].pk).update(marketing_consent=False)
    campaign = send(campaign, make_user("account_manager"), django_capture_on_commit_callbacks)

    assert campaign.status == Campaign.Status.SENT and campaign.sent_at is not None
    assert sent_to(campaign) == ["YES", "YES2"]
    assert (
        campaign.audience_count,
        campaign.excluded_no_consent,
        campaign.excluded_no_address,
    ) == (5, 2, 1)
    notes = Notification.objects.filter(key__startswith=f"campaign:{campaign.pk}:")
    assert sorted(notes.values_list("recipient", flat=True)) == [
        "ann@example.com",
        "bo@example.com",
    ]
    ann = notes.get(recipient="ann@example.com")
    assert (ann.subject, ann.body) == ("Hello Ann", "Dear Ann, our autumn tea is in.")
    assert ann.status == Notification.Status.SENT  # delivered by the eager task
    for code in ("NO", "NOADDR", "MERGED", "WD", "OUT"):
        assert not Notification.objects.filter(
            key=f"campaign:{campaign.pk}:{Customer.objects.get(code=code).pk}"
        ).exists()
    assert campaign.sends.filter(notification__isnull=True).count() == 0


def test_sending_twice_sends_once(audience, make_user, django_capture_on_commit_callbacks):
    campaign = new_campaign(audience["segment"])
    campaign = send(campaign, make_user("account_manager"), django_capture_on_commit_callbacks)
    again = campaign_send_run(campaign_id=campaign.pk)
    assert again["skipped"] is True
    with pytest.raises(CampaignNotDraft):
        campaign_send(campaign=campaign)
    assert CampaignSend.objects.filter(campaign=campaign).count() == 3
    assert Notification.objects.filter(key__startswith=f"campaign:{campaign.pk}:").count() == 3


def test_a_run_interrupted_then_resumed_sends_each_once_and_rechecks_consent(audience, make_user):
    campaign = new_campaign(audience["segment"])
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)
    # An earlier run wrote these rows, then died before notifying anybody.
    CampaignSend.objects.create(
        campaign=campaign, customer=audience["yes"], recipient="ann@example.com"
    )
    CampaignSend.objects.create(
        campaign=campaign, customer=audience["withdraws"], recipient="wd@example.com"
    )
    Customer.objects.filter(pk=audience["withdraws"].pk).update(marketing_consent=False)
    result = campaign_send_run(campaign_id=campaign.pk)
    assert result["sent"] == 2 and result["inserted"] == 1  # YES2 new; YES not twice
    campaign.refresh_from_db()
    assert sent_to(campaign) == ["YES", "YES2"]
    assert campaign.status == Campaign.Status.SENT


def test_sms_goes_to_the_phone(audience, make_user, django_capture_on_commit_callbacks):
    campaign = new_campaign(audience["segment"], channel="sms", subject="")
    campaign = send(campaign, make_user("account_manager"), django_capture_on_commit_callbacks)
    assert sent_to(campaign) == ["NOADDR", "WD", "YES", "YES2"]
    send_row = campaign.sends.get(customer=audience["yes"])
    assert send_row.recipient == audience["yes"].phone
    assert send_row.notification.channel == "sms"


def test_only_a_draft_is_changed_cancelled_or_sent(audience, make_user):
    campaign = new_campaign(audience["segment"])
    campaign = campaign_update(campaign=campaign, name="Winter tea", attribution_days=14)
    assert (campaign.name, campaign.attribution_days) == ("Winter tea", 14)
    campaign = campaign_cancel(campaign=campaign)
    assert campaign.status == Campaign.Status.CANCELLED
    for service in (campaign_cancel, campaign_send):
        with pytest.raises(CampaignNotDraft):
            service(campaign=campaign)
    with pytest.raises(CampaignNotDraft):
        campaign_update(campaign=campaign, name="x")
    assert campaign_send_run(campaign_id=campaign.pk)["skipped"] is True
    assert not campaign.sends.exists()


def test_a_segment_whose_filter_broke_is_not_sent(audience):
    campaign = new_campaign(audience["segment"])
    Tag.objects.filter(name="newsletter").delete()
    with pytest.raises(CampaignInvalid) as caught:
        campaign_send(campaign=campaign)
    assert caught.value.field == "segment"
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def order_for(world, customer, *, at, code="", quantity=1):
    order, _created = order_create(
        channel=world["channel"],
        customer={"code": customer.code},
        shipping_address={
            "recipient": customer.name,
            "phone": customer.phone,
            "province": "上海市",
            "city": "上海市",
            "street": "人民路1号",
        },
        lines=[LineInput(product=world["tea"], quantity=quantity, unit_price=Decimal("100"))],
        placed_at=at,
        campaign_code=code,
    )
    return order


def test_attribution_response_rate_and_revenue(
    audience, world, make_user, django_capture_on_commit_callbacks
):
    extra = [
        CustomerFactory(code=f"R{n}", email=f"r{n}@example.com", marketing_consent=True)
        for n in range(2)
    ]
    for customer in extra:
        customer.tags.add(Tag.objects.get(name="newsletter"))
    campaign = new_campaign(audience["segment"], attribution_days=30)
    campaign = send(campaign, make_user("account_manager"), django_capture_on_commit_callbacks)
    assert sent_to(campaign) == ["R0", "R1", "WD", "YES", "YES2"]  # 5 recipients
    sent_at = timezone.now() - timedelta(days=40)
    Campaign.objects.filter(pk=campaign.pk).update(sent_at=sent_at)
    campaign.refresh_from_db()
    code = campaign.code.lower()  # codes match in any case

    yes, yes2, wd = audience["yes"], audience["yes2"], audience["withdraws"]
    first = order_for(world, yes, at=sent_at + timedelta(days=1), code=code, quantity=2)  # 200
    order_for(world, yes, at=sent_at + timedelta(days=2), code=code)  # 100, same responder
    order_for(world, yes2, at=sent_at + timedelta(days=31), code=code)  # too late
    order_for(world, yes2, at=sent_at - timedelta(hours=1), code=code)  # before the send
    order_for(
        world, audience["outsider"], at=sent_at + timedelta(days=3), code=code, quantity=4
    )  # 400: passed on, counts as revenue but not as a response
    cancelled = order_for(world, wd, at=sent_at + timedelta(days=4), code=code)
    Order.objects.filter(pk=cancelled.pk).update(status=Order.Status.CANCELLED)
    order_for(world, extra[0], at=sent_at + timedelta(days=5))  # no code: not attributed
    order_for(world, extra[1], at=sent_at + timedelta(days=29, hours=23), code=code)  # 100

    assert first.campaign == campaign
    stats = campaign_stats(campaign)
    assert stats["recipients"] == 5
    assert stats["delivered"] == 5
    assert stats["responders"] == 2  # YES and R1
    assert stats["response_rate"] == Decimal("40.0")
    assert stats["orders"] == 4  # YES x2, outsider, R1
    assert stats["revenue"] == Decimal("800.00")


def test_an_unknown_campaign_code_refuses_the_order(world):
    with pytest.raises(OrderInvalid) as caught:
        order_for(world, CustomerFactory(), at=timezone.now(), code="CP-NOPE")
    assert caught.value.field == "campaign_code"


def test_the_code_of_a_campaign_not_sent_refuses_the_order(audience, world):
    draft = new_campaign(audience["segment"])
    with pytest.raises(OrderInvalid) as caught:
        order_for(world, audience["yes"], at=timezone.now(), code=draft.code)
    assert caught.value.field == "campaign_code"
    assert draft.code in caught.value.message


def test_the_send_writes_sends_in_one_statement(audience, django_assert_max_num_queries):
    """The rows are written set-based: the queries do not grow with the audience."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def run(segment_name, n):
        tag = Tag.objects.create(name=segment_name)
        for i in range(n):
            CustomerFactory(
                email=f"{segment_name}{i}@example.com", marketing_consent=True
            ).tags.add(tag)
        segment = segment_create(name=segment_name, filters={"tags": [segment_name]})
        campaign = new_campaign(segment)
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)
        with CaptureQueriesContext(connection) as ctx:
            campaign_send_run(campaign_id=campaign.pk)
        inserts = [
            q
            for q in ctx.captured_queries
            if "crm_campaignsend" in q["sql"] and q["sql"].lstrip().upper().startswith("INSERT")
        ]
        return len(inserts)

    assert run("small", 2) == run("large", 12) == 1


def test_scores_do_not_matter_to_consent(audience, make_user, django_capture_on_commit_callbacks):
    # A champion without consent is still left out.
    CustomerScore.objects.create(
        customer=audience["no"], segment="champions", computed_at=timezone.now()
    )
    seg = segment_create(name="Champions", filters={"segment": ["champions"]})
    campaign = send(
        new_campaign(seg), make_user("account_manager"), django_capture_on_commit_callbacks
    )
    assert sent_to(campaign) == []
    assert campaign.excluded_no_consent == 1

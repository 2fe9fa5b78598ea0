"""Segment and campaign pages: lists with live counts, the segment's
customers with export and the 7P panel, the forms, send and cancel."""

import csv
import io

import pytest
from django.utils import timezone

from crm.models import Campaign, CustomerScore, Segment, Tag
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def segment(db):
    tag = Tag.objects.create(name="vip-club")
    for n in range(3):
        customer = CustomerFactory(
            code=f"S{n}", email=f"s{n}@example.com", marketing_consent=n != 2
        )
        customer.tags.add(tag)
        CustomerScore.objects.create(customer=customer, computed_at=timezone.now(), orders_count=n)
    CustomerFactory(code="OTHER")
    return Segment.objects.create(name="VIP club", filters={"tags": ["vip-club"]})


def test_segment_list_shows_live_counts(role_client, segment, django_assert_max_num_queries):
    Segment.objects.create(name="Everyone", filters={})
    client = role_client("account_manager")
    response = client.get("/crm/segments/", **EN)
    assert response.status_code == 200
    rows = {row["cells"][0]: row["cells"][2] for row in response.context["rows"]}
    assert rows == {"Everyone": 4, "VIP club": 3}
    export = client.get("/crm/segments/?export=csv")
    body = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [body[1][0], body[1][2]] == ["Everyone", "4"]


def test_segment_detail_lists_exports_and_analyses(role_client, segment):
    client = role_client("account_manager")
    response = client.get(f"/crm/segments/{segment.pk}/", **EN)
    assert response.status_code == 200
    assert response.context["paginator"].count == 3
    assert response.context["seven_p"]["profile"]["customers"] == 3
    assert 'id="seven-p"' in response.content.decode()
    export = client.get(f"/crm/segments/{segment.pk}/?export=csv&ordering=code", **EN)
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[0][0] == "customer code"
    assert [row[0] for row in rows[1:]] == ["S0", "S1", "S2"]
    xlsx = client.get(f"/crm/segments/{segment.pk}/?export=xlsx")
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx["Content-Type"]


def test_segment_form_counts_then_saves(role_client, segment):
    client = role_client("account_manager")
    data = {"name": "Consenting VIPs", "tags": ["vip-club"], "marketing_consent": "true"}
    preview = client.post("/crm/segments/new/", {**data, "preview": "1"}, **EN)
    assert preview.status_code == 200
    assert preview.context["preview"] == {"customers": 2, "consenting": 2}
    assert not Segment.objects.filter(name="Consenting VIPs").exists()
    saved = client.post("/crm/segments/new/", data)
    created = Segment.objects.get(name="Consenting VIPs")
    assert saved.status_code == 302 and saved["Location"] == f"/crm/segments/{created.pk}/"
    assert created.filters == {"tags": ["vip-club"], "marketing_consent": "true"}
    bad = client.post(
        f"/crm/segments/{created.pk}/edit/", {"name": "x", "min_orders": "many"}, **EN
    )
    assert bad.status_code == 200 and "min_orders" in bad.context["form"].errors
    edit = client.post(f"/crm/segments/{created.pk}/edit/", {"name": "Renamed", "tier": ["vip"]})
    assert edit.status_code == 302
    created.refresh_from_db()
    assert (created.name, created.filters) == ("Renamed", {"tier": ["vip"]})


def test_pages_check_permissions(role_client, segment):
    campaign = Campaign.objects.create(
        code="CP-X-1", name="x", segment=segment, channel="email", subject="s", message="m"
    )
    clerk = role_client("order_clerk")
    for url in (
        "/crm/segments/",
        f"/crm/segments/{segment.pk}/",
        "/crm/segments/new/",
        "/crm/campaigns/",
        f"/crm/campaigns/{campaign.code}/",
        "/crm/campaigns/new/",
    ):
        assert clerk.get(url).status_code == 403, url
    analyst = role_client("analyst")
    assert analyst.get(f"/crm/segments/{segment.pk}/").status_code == 200
    assert analyst.get(f"/crm/campaigns/{campaign.code}/").status_code == 200
    assert analyst.get("/crm/segments/new/").status_code == 403
    assert analyst.post(f"/crm/campaigns/{campaign.code}/send/").status_code == 403
    assert analyst.post(f"/crm/campaigns/{campaign.code}/cancel/").status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_campaign_pages_create_preview_send(
    role_client, segment, django_capture_on_commit_callbacks
):
    client = role_client("account_manager")
    form = client.get(f"/crm/campaigns/new/?segment={segment.pk}")
    assert form.status_code == 200 and form.context["form"].initial["segment"] == str(segment.pk)
    saved = client.post(
        "/crm/campaigns/new/",
        {
            "name": "Club news",
            "segment": segment.pk,
            "channel": "email",
            "attribution_days": 30,
            "subject": "News for {name}",
            "message": "Hello {name}",
        },
    )
    campaign = Campaign.objects.get(name="Club news")
    assert saved.status_code == 302 and saved["Location"] == f"/crm/campaigns/{campaign.code}/"
    page = client.get(saved["Location"], **EN)
    assert page.context["audience"]["recipients"] == 2
    assert page.context["can_send"] is True
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(f"/crm/campaigns/{campaign.code}/send/")
    assert sent.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT
    page = client.get(f"/crm/campaigns/{campaign.code}/", **EN)
    assert page.context["stats"]["recipients"] == 2
    assert len(page.context["sends"]) == 2
    assert client.get(f"/crm/campaigns/{campaign.code}/edit/").status_code == 302  # not a draft
    listing = client.get("/crm/campaigns/?status=sent", **EN)
    assert [row["cells"][0] for row in listing.context["rows"]] == [campaign.code]
    bad = client.post(
        "/crm/campaigns/new/",
        {
            "name": "x",
            "segment": segment.pk,
            "channel": "email",
            "attribution_days": 30,
            "subject": "",
            "message": "m",
        },
        **EN,
    )
    assert bad.status_code == 200 and "subject" in bad.context["form"].errors


def test_cancel_from_the_page(role_client, segment):
    campaign = Campaign.objects.create(
        code="CP-X-2", name="x", segment=segment, channel="sms", message="m"
    )
    client = role_client("account_manager")
    assert client.post(f"/crm/campaigns/{campaign.code}/cancel/").status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CANCELLED

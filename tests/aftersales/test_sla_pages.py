"""SLA pages: the policy and calendar lists, their forms, a calendar's
holidays and make-up days, the navigation entries, who may see and change
them, and the countdown badge {% sla_clock ticket %}."""

import secrets
from datetime import date

import pytest
from django.template import Context, Template
from django.utils import translation

from aftersales.models import BusinessCalendar, CalendarDay, SlaPolicy, Ticket
from aftersales.services.sla import sla_first_response, sla_pause, sla_start, sla_stop
from tests.aftersales.conftest import shanghai
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def office():
    calendar = BusinessCalendar.objects.create(
        code="OFFICE", name="办公时间", working_days=[1, 2, 3, 4, 5]
    )
    CalendarDay.objects.create(calendar=calendar, date=date(2026, 10, 1), name="国庆节")
    CalendarDay.objects.create(
        calendar=calendar, date=date(2026, 10, 10), working=True, name="调休"
    )
    return calendar


@pytest.fixture
def normal(office):
    return SlaPolicy.objects.create(
        name="普通工单",
        priority="normal",
        first_response_minutes=120,
        resolution_minutes=480,
        calendar=office,
    )


# --- Lists and who may see them ---------------------------------------------------------


def test_agents_see_the_policy_list(role_client, normal):
    response = role_client("aftersales_agent").get("/aftersales/sla-policies/", **EN)
    assert response.status_code == 200
    body = response.content.decode()
    assert "普通工单" in body
    assert "2 h" in body and "8 h" in body  # the targets, readable
    assert "any tier" in body
    assert "办公时间" in body


def test_the_calendar_list_and_detail_show_holidays_and_make_up_days(role_client, office):
    client = role_client("aftersales_agent")
    listed = client.get("/aftersales/calendars/", **EN)
    assert listed.status_code == 200
    assert "/aftersales/calendars/OFFICE/" in listed.content.decode()
    assert "Mon, Tue, Wed, Thu, Fri" in listed.content.decode()
    detail = client.get("/aftersales/calendars/OFFICE/", **EN)
    assert detail.status_code == 200
    body = detail.content.decode()
    holidays = body.split('id="holidays"', 1)[1].split("</table>", 1)[0]
    makeup = body.split('id="makeup-days"', 1)[1].split("</table>", 1)[0]
    assert "2026-10-01" in holidays and "国庆节" in holidays
    assert "2026-10-10" in makeup and "调休" in makeup


@pytest.mark.parametrize(
    "url", ["/aftersales/sla-policies/", "/aftersales/calendars/", "/aftersales/calendars/OFFICE/"]
)
def test_warehouse_staff_are_refused(role_client, office, url):
    assert role_client("warehouse").get(url).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, office):
    response = client.get("/aftersales/sla-policies/")
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_navigation_lists_the_sla_pages_for_agents_only(role_client, office):
    agent = role_client("aftersales_agent").get("/aftersales/calendars/", **EN).content.decode()
    assert 'href="/aftersales/sla-policies/"' in agent
    assert 'href="/aftersales/calendars/"' in agent
    clerk = role_client("order_clerk").get("/orders/orders/", **EN).content.decode()
    assert 'href="/aftersales/sla-policies/"' not in clerk


def test_the_list_filters_by_priority_and_exports(role_client, normal, office):
    SlaPolicy.objects.create(
        name="紧急工单",
        priority="urgent",
        first_response_minutes=30,
        resolution_minutes=60,
        calendar=office,
    )
    client = role_client("admin")
    body = client.get("/aftersales/sla-policies/", {"priority": "urgent"}, **EN).content.decode()
    assert "紧急工单" in body and "普通工单" not in body
    export = client.get("/aftersales/sla-policies/", {"export": "csv"}, **EN)
    assert export.status_code == 200
    text = export.content.decode("utf-8-sig")
    assert "紧急工单" in text and "30 min" in text and "any tier" in text


# --- Forms (admins) ------------------------------------------------------------------------


def test_admin_creates_and_edits_a_policy_through_the_form(role_client, office):
    client = role_client("admin")
    assert client.get("/aftersales/sla-policies/new/").status_code == 200
    response = client.post(
        "/aftersales/sla-policies/new/",
        {
            "name": "金牌客户",
            "priority": "high",
            "customer_tier": "gold",
            "first_response_minutes": 60,
            "resolution_minutes": 240,
            "warn_at_percent": 75,
            "calendar": "OFFICE",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = SlaPolicy.objects.get(name="金牌客户")
    assert (policy.customer_tier, policy.warn_at_percent, policy.active) == ("gold", 75, True)

    edit_url = f"/aftersales/sla-policies/{policy.pk}/edit/"
    form = client.get(edit_url).content.decode()
    assert 'value="金牌客户"' in form
    bad = client.post(
        edit_url,
        {
            "name": "金牌客户",
            "priority": "high",
            "customer_tier": "gold",
            "first_response_minutes": 300,
            "resolution_minutes": 240,
            "warn_at_percent": 75,
            "calendar": "OFFICE",
            "active": "on",
        },
        **EN,
    )
    assert bad.status_code == 200
    assert "cannot be shorter than the first response" in bad.content.decode()
    policy.refresh_from_db()
    assert policy.first_response_minutes == 60


def test_admin_creates_a_calendar_with_chosen_weekdays(role_client):
    client = role_client("admin")
    assert client.get("/aftersales/calendars/new/").status_code == 200
    response = client.post(
        "/aftersales/calendars/new/",
        {
            "code": "shop",
            "name": "门店",
            "working_days": ["1", "2", "3", "4", "5", "6"],
            "day_start": "08:30",
            "day_end": "20:00",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/aftersales/calendars/SHOP/"
    calendar = BusinessCalendar.objects.get(code="SHOP")
    assert calendar.working_days == [1, 2, 3, 4, 5, 6]
    none = client.post(
        "/aftersales/calendars/new/",
        {"code": "empty", "name": "空", "day_start": "09:00", "day_end": "18:00"},
        **EN,
    )
    assert none.status_code == 200
    assert "at least one working day" in none.content.decode()
    edit = client.post(
        "/aftersales/calendars/SHOP/edit/",
        {"name": "门店", "working_days": ["6", "7"], "day_start": "10:00", "day_end": "22:00"},
    )
    assert edit.status_code == 302
    calendar.refresh_from_db()
    assert calendar.working_days == [6, 7] and calendar.code == "SHOP"


def test_admin_adds_and_removes_a_day_on_the_calendar_page(role_client, office):
    client = role_client("admin")
    page = client.get("/aftersales/calendars/OFFICE/", **EN).content.decode()
    assert 'id="add-day"' in page
    added = client.post(
        "/aftersales/calendars/OFFICE/", {"date": "2026-10-02", "working": "0", "name": "国庆节"}
    )
    assert added.status_code == 302
    assert CalendarDay.objects.get(calendar=office, date=date(2026, 10, 2)).working is False
    twice = client.post(
        "/aftersales/calendars/OFFICE/", {"date": "2026-10-02", "working": "1"}, **EN
    )
    assert twice.status_code == 200
    assert "is in this calendar already" in twice.content.decode()
    removed = client.post("/aftersales/calendars/OFFICE/days/2026-10-02/remove/")
    assert removed.status_code == 302
    assert not CalendarDay.objects.filter(calendar=office, date=date(2026, 10, 2)).exists()


def test_those_who_may_only_look_cannot_change(role_client, office):
    client = role_client("account_manager")  # aftersales.view_* only
    page = client.get("/aftersales/calendars/OFFICE/", **EN).content.decode()
    assert 'id="add-day"' not in page and "remove/" not in page
    assert client.post("/aftersales/calendars/OFFICE/", {"date": "2026-10-02"}).status_code == 403
    assert client.post("/aftersales/calendars/OFFICE/days/2026-10-01/remove/").status_code == 403
    assert client.get("/aftersales/sla-policies/new/").status_code == 403
    assert client.get("/aftersales/calendars/OFFICE/edit/").status_code == 403
    assert CalendarDay.objects.filter(calendar=office).count() == 2


def test_agents_cannot_change_sla_settings_on_the_pages(role_client, office, normal):
    client = role_client("aftersales_agent")
    assert client.get("/aftersales/sla-policies/new/").status_code == 403
    assert client.get(f"/aftersales/sla-policies/{normal.pk}/edit/").status_code == 403
    assert client.post("/aftersales/calendars/OFFICE/", {"date": "2026-10-02"}).status_code == 403


# --- The countdown badge ------------------------------------------------------------------


def clock(ticket, now) -> str:
    with translation.override("en"):
        return Template("{% load aftersales_sla %}{% sla_clock ticket now %}").render(
            Context({"ticket": ticket, "now": now})
        )


@pytest.fixture
def ticket(normal):
    ticket = Ticket.objects.create(
        number="T-SLA-1",
        subject="茶叶罐破损",
        customer=CustomerFactory(),
        kind="complaint",
        channel="phone",
        public_token=secrets.token_urlsafe(16),
    )
    sla_start(ticket=ticket, now=shanghai(2026, 11, 27, 10, 0))  # first response due 12:00
    return ticket


def test_the_badge_counts_down_turns_amber_then_red(ticket, django_assert_num_queries):
    ticket = Ticket.objects.get(pk=ticket.pk)
    with django_assert_num_queries(0):  # fine for every row of a queue
        ok = clock(ticket, shanghai(2026, 11, 27, 9, 45))
    assert "text-bg-success" in ok and "2h 15m left" in ok
    assert 'title="First response due 2026-11-27 12:00"' in ok
    soon = clock(ticket, shanghai(2026, 11, 27, 11, 40))
    assert "text-bg-warning" in soon and "due soon" in soon and "20m left" in soon
    late = clock(ticket, shanghai(2026, 11, 27, 12, 35))
    assert "text-bg-danger" in late and "overdue by 35m" in late
    days = clock(ticket, shanghai(2026, 11, 24, 9, 0))
    assert "3d 3h left" in days


def test_the_badge_shows_paused_resolution_met_and_none(ticket):
    sla_pause(ticket=ticket, now=shanghai(2026, 11, 27, 11, 0))
    paused = clock(ticket, shanghai(2026, 11, 27, 11, 30))
    assert "text-bg-secondary" in paused and "paused" in paused
    assert 'title="waiting on customer"' in paused

    other = Ticket.objects.create(
        number="T-SLA-2",
        subject="s",
        customer=CustomerFactory(),
        kind="inquiry",
        channel="email",
        public_token=secrets.token_urlsafe(16),
    )
    sla_start(ticket=other, now=shanghai(2026, 11, 27, 10, 0))
    sla_first_response(ticket=other, now=shanghai(2026, 11, 27, 10, 30))
    resolution = clock(other, shanghai(2026, 11, 27, 11, 0))
    assert "7h 0m left" in resolution and "Resolution due 2026-11-27 18:00" in resolution
    other.status = Ticket.Status.RESOLVED
    sla_stop(ticket=other, now=shanghai(2026, 11, 27, 12, 0))
    assert "met" in clock(other, shanghai(2026, 11, 27, 13, 0))

    low = Ticket.objects.create(
        number="T-SLA-3",
        subject="s",
        customer=CustomerFactory(),
        kind="inquiry",
        channel="email",
        public_token=secrets.token_urlsafe(16),
        priority="low",
    )
    sla_start(ticket=low, now=shanghai(2026, 11, 27, 10, 0))
    assert 'data-sla-state="none"' in clock(low, shanghai(2026, 11, 27, 13, 0))

"""SLA policies and service calendars over the API: create, change,
validation naming the field, the nested holidays and make-up days, and who
may do what (staff roles and integrator scopes)."""

import secrets

import pytest

from aftersales.models import BusinessCalendar, CalendarDay, SlaPolicy, Ticket
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

POLICIES = "/api/v1/sla-policies/"
CALENDARS = "/api/v1/service-calendars/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def admin_api(staff_api):
    return staff_api("admin")


@pytest.fixture
def office():
    return BusinessCalendar.objects.create(
        code="OFFICE", name="办公时间", working_days=[1, 2, 3, 4, 5]
    )


def policy_body(**overrides):
    body = {
        "name": "普通工单",
        "priority": "normal",
        "first_response_minutes": 120,
        "resolution_minutes": 480,
        "calendar": "OFFICE",
    }
    body.update(overrides)
    return body


def error_fields(response) -> dict:
    return response.json()["error"]["fields"]


# --- Calendars ------------------------------------------------------------------------


def test_admin_creates_a_calendar_and_adds_holidays_and_make_up_days(admin_api):
    response = admin_api.post(
        CALENDARS,
        {
            "code": "cs-sh",
            "name": "上海客服",
            "working_days": [5, 1, 2, 3, 4],
            "day_start": "08:30",
            "day_end": "17:30",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["code"] == "CS-SH"
    assert response.json()["working_days"] == [1, 2, 3, 4, 5]
    assert response.json()["day_start"] == "08:30:00"

    holiday = admin_api.post(
        f"{CALENDARS}CS-SH/days/", {"date": "2026-10-01", "name": "国庆节"}, format="json"
    )
    assert holiday.status_code == 201, holiday.content
    assert holiday.json() == {"date": "2026-10-01", "working": False, "name": "国庆节"}
    makeup = admin_api.post(
        f"{CALENDARS}CS-SH/days/",
        {"date": "2026-10-10", "working": True, "name": "调休上班"},
        format="json",
    )
    assert makeup.status_code == 201

    detail = admin_api.get(f"{CALENDARS}CS-SH/").json()
    assert detail["days"] == [
        {"date": "2026-10-01", "working": False, "name": "国庆节"},
        {"date": "2026-10-10", "working": True, "name": "调休上班"},
    ]
    again = admin_api.post(f"{CALENDARS}CS-SH/days/", {"date": "2026-10-01"}, format="json", **EN)
    assert again.status_code == 400
    assert "date" in error_fields(again)
    assert CalendarDay.objects.filter(calendar__code="CS-SH").count() == 2

    assert admin_api.delete(f"{CALENDARS}CS-SH/days/2026-10-01/").status_code == 204
    assert admin_api.delete(f"{CALENDARS}CS-SH/days/2026-10-01/").status_code == 404
    assert [d["date"] for d in admin_api.get(f"{CALENDARS}CS-SH/").json()["days"]] == ["2026-10-10"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"working_days": [0, 1]}, "working_days[0]"),
        ({"working_days": [1, 8]}, "working_days[1]"),
        ({"working_days": []}, "working_days"),
        ({"day_start": "18:00", "day_end": "09:00"}, "day_end"),
        ({"name": ""}, "name"),
    ],
)
def test_calendar_validation_names_the_field(admin_api, body, field):
    response = admin_api.post(
        CALENDARS, {"code": "BAD", "name": "坏日历", **body}, format="json", **EN
    )
    assert response.status_code == 400, response.content
    assert field in error_fields(response)
    assert not BusinessCalendar.objects.filter(code="BAD").exists()


def test_a_24x7_calendar_needs_no_working_days_and_takes_no_holidays(admin_api):
    response = admin_api.post(
        CALENDARS,
        {"code": "24X7", "name": "全天候", "always_open": True, "working_days": []},
        format="json",
    )
    assert response.status_code == 201, response.content
    day = admin_api.post(f"{CALENDARS}24X7/days/", {"date": "2026-10-01"}, format="json")
    assert day.status_code == 400
    assert "date" in error_fields(day)


def test_calendar_codes_are_unique_and_cannot_change(admin_api, office):
    twice = admin_api.post(CALENDARS, {"code": "office", "name": "again"}, format="json")
    assert twice.status_code == 400
    assert "code" in error_fields(twice)
    renamed = admin_api.patch(f"{CALENDARS}OFFICE/", {"code": "OTHER"}, format="json")
    assert renamed.status_code == 400
    changed = admin_api.patch(
        f"{CALENDARS}OFFICE/", {"working_days": [1, 2, 3, 4, 5, 6]}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["working_days"] == [1, 2, 3, 4, 5, 6]
    office.refresh_from_db()
    assert office.working_days == [1, 2, 3, 4, 5, 6]
    bad = admin_api.patch(f"{CALENDARS}OFFICE/", {"day_end": "08:00"}, format="json")
    assert bad.status_code == 400 and "day_end" in error_fields(bad)


# --- Policies -------------------------------------------------------------------------


def test_admin_creates_lists_and_changes_policies(admin_api, office):
    created = admin_api.post(POLICIES, policy_body(), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["calendar"] == "OFFICE"
    assert body["warn_at_percent"] == 80
    assert body["customer_tier"] == ""
    assert body["active"] is True
    vip = admin_api.post(
        POLICIES,
        policy_body(name="VIP", customer_tier="vip", resolution_minutes=240),
        format="json",
    )
    assert vip.status_code == 201

    listed = admin_api.get(POLICIES, {"customer_tier": "any"}).json()
    assert [p["name"] for p in listed["results"]] == ["普通工单"]

    changed = admin_api.patch(
        f"{POLICIES}{body['id']}/", {"resolution_minutes": 600}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert SlaPolicy.objects.get(pk=body["id"]).resolution_minutes == 600


def test_resolution_shorter_than_first_response_is_refused(admin_api, office):
    response = admin_api.post(
        POLICIES, policy_body(first_response_minutes=120, resolution_minutes=60), format="json"
    )
    assert response.status_code == 400
    assert list(error_fields(response)) == ["resolution_minutes"]
    policy = admin_api.post(POLICIES, policy_body(), format="json").json()
    patch = admin_api.patch(
        f"{POLICIES}{policy['id']}/", {"first_response_minutes": 600}, format="json"
    )
    assert patch.status_code == 400
    assert "resolution_minutes" in error_fields(patch)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_response_minutes": 0}, "first_response_minutes"),
        ({"warn_at_percent": 100}, "warn_at_percent"),
        ({"priority": "whenever"}, "priority"),
        ({"calendar": "NOPE"}, "calendar"),
        ({"customer_tier": "platinum"}, "customer_tier"),
    ],
)
def test_policy_validation_names_the_field(admin_api, office, body, field):
    response = admin_api.post(POLICIES, policy_body(**body), format="json")
    assert response.status_code == 400
    assert field in error_fields(response)
    assert not SlaPolicy.objects.exists()


def test_one_active_policy_per_priority_and_tier(admin_api, office):
    first = admin_api.post(POLICIES, policy_body(), format="json").json()
    clash = admin_api.post(POLICIES, policy_body(name="另一个"), format="json", **EN)
    assert clash.status_code == 400
    assert list(error_fields(clash)) == ["priority"]
    assert "active policy" in clash.json()["error"]["message"]
    # Another tier is another policy; an inactive one makes room.
    gold = admin_api.post(POLICIES, policy_body(name="金牌", customer_tier="gold"), format="json")
    assert gold.status_code == 201
    moved = admin_api.patch(f"{POLICIES}{gold.json()['id']}/", {"customer_tier": ""})
    assert moved.status_code == 400 and "priority" in error_fields(moved)
    off = admin_api.patch(f"{POLICIES}{first['id']}/", {"active": False}, format="json")
    assert off.status_code == 200
    assert admin_api.post(POLICIES, policy_body(name="新"), format="json").status_code == 201
    assert SlaPolicy.objects.filter(active=True, priority="normal", customer_tier="").count() == 1


def test_a_policy_tickets_used_cannot_be_deleted(admin_api, office):
    used = admin_api.post(POLICIES, policy_body(), format="json").json()
    unused = admin_api.post(POLICIES, policy_body(priority="low"), format="json").json()
    Ticket.objects.create(
        number="T1",
        subject="s",
        customer=CustomerFactory(),
        kind="inquiry",
        channel="phone",
        public_token=secrets.token_urlsafe(16),
        sla_policy_id=used["id"],
    )
    assert admin_api.delete(f"{POLICIES}{used['id']}/").status_code == 409
    assert admin_api.delete(f"{POLICIES}{unused['id']}/").status_code == 204
    # A calendar in use by a policy stays too.
    assert admin_api.delete(f"{CALENDARS}OFFICE/").status_code == 409


def test_list_query_count_is_bounded(admin_api, office, django_assert_max_num_queries):
    for day in range(1, 8):
        CalendarDay.objects.create(calendar=office, date=f"2026-10-0{day}")
    for i, priority in enumerate(["low", "normal", "high", "urgent"]):
        SlaPolicy.objects.create(
            name=f"P{i}",
            priority=priority,
            first_response_minutes=10,
            resolution_minutes=20,
            calendar=office,
        )
        BusinessCalendar.objects.create(code=f"C{i}", name=f"C{i}", working_days=[1])
    with django_assert_max_num_queries(8):
        assert len(admin_api.get(POLICIES).json()["results"]) == 4
    with django_assert_max_num_queries(8):
        assert len(admin_api.get(CALENDARS).json()["results"]) == 5


# --- Who may ----------------------------------------------------------------------------


def test_agents_may_read_but_not_change_sla_settings(staff_api, office):
    agent = staff_api("aftersales_agent")
    assert agent.get(POLICIES).status_code == 200
    assert agent.get(CALENDARS).status_code == 200
    assert agent.post(POLICIES, policy_body(), format="json").status_code == 403
    assert agent.post(CALENDARS, {"code": "X", "name": "x"}, format="json").status_code == 403
    assert agent.post(f"{CALENDARS}OFFICE/days/", {"date": "2026-10-01"}).status_code == 403
    assert not SlaPolicy.objects.exists() and not CalendarDay.objects.exists()


@pytest.mark.parametrize("role", ["account_manager", "warehouse"])
def test_other_roles_may_not_change_sla_settings(staff_api, office, role):
    client = staff_api(role)
    assert client.post(POLICIES, policy_body(), format="json").status_code == 403
    assert client.post(f"{CALENDARS}OFFICE/days/", {"date": "2026-10-01"}).status_code == 403
    assert client.patch(f"{CALENDARS}OFFICE/", {"name": "x"}).status_code == 403
    assert not SlaPolicy.objects.exists() and not CalendarDay.objects.exists()


def test_warehouse_may_not_even_read_them(staff_api):
    client = staff_api("warehouse")
    assert client.get(POLICIES).status_code == 403
    assert client.get(CALENDARS).status_code == 403


def test_anonymous_callers_are_refused(client):
    assert client.get(POLICIES).status_code == 401


def test_integrations_need_the_aftersales_scopes(integration, office):
    wrong = integration("orders:read orders:write")
    assert wrong.get(POLICIES).status_code == 403
    assert wrong.post(POLICIES, policy_body(), format="json").status_code == 403
    reader = integration("aftersales:read")
    assert reader.get(CALENDARS).status_code == 200
    assert reader.post(f"{CALENDARS}OFFICE/days/", {"date": "2026-10-01"}).status_code == 403
    writer = integration("aftersales:read aftersales:write")
    assert writer.post(POLICIES, policy_body(), format="json").status_code == 201
    assert writer.post(f"{CALENDARS}OFFICE/days/", {"date": "2026-10-01"}).status_code == 201

"""The customer's survey page (no sign-in) and its API twin, and the staff
feedback list with the scores per assignee."""

import secrets

import pytest
from django.test import Client
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from aftersales.models import Feedback, Ticket, TicketEvent
from aftersales.services.feedback import feedback_request, feedback_submit
from aftersales.services.teams import team_create
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def signed_in(user, client_class=Client):
    client = client_class()
    client.force_login(user)
    return client


@pytest.fixture
def survey(make_user, frozen_clock):
    """A resolved ticket of 王芳 (phone and e-mail on file) assigned to ann, and its survey."""
    ann = make_user("aftersales_agent", username="ann")
    customer = CustomerFactory(
        name="王芳", phone="13912345678", email="wang.fang@example.com", code="C-WANG"
    )
    ticket = Ticket.objects.create(
        number="TK-20261127-00007",
        subject="水壶到货破损",
        customer=customer,
        kind=Ticket.Kind.COMPLAINT,
        channel=Ticket.Channel.PHONE,
        public_token=secrets.token_urlsafe(24),
        assignee=ann,
        status=Ticket.Status.RESOLVED,
    )
    feedback = feedback_request(ticket=ticket)
    return {"ann": ann, "customer": customer, "ticket": ticket, "feedback": feedback}


def test_the_survey_page_works_without_signing_in(survey):
    client = Client()
    url = f"/aftersales/survey/{survey['feedback'].token}/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "TK-20261127-00007" in html and "水壶到货破损" in html
    for private in ("王芳", "13912345678", "wang.fang@example.com", "C-WANG", "ann"):
        assert private not in html
    assert html.count('name="csat"') == 5 and html.count('name="nps"') == 11
    assert 'name="viewport"' in html
    answered = client.post(url, {"csat": "4", "nps": "9", "comment": "很快"})
    assert answered.status_code == 302
    assert answered["Location"] == f"{url}thanks/"
    assert client.get(answered["Location"]).status_code == 200
    feedback = Feedback.objects.get()
    assert (feedback.csat, feedback.nps, feedback.comment) == (4, 9, "很快")
    assert feedback.assignee == survey["ann"]
    assert survey["ticket"].events.filter(kind=TicketEvent.Kind.FEEDBACK).exists()
    again = client.get(url)
    assert again.status_code == 200 and 'id="already-answered"' in again.content.decode()
    assert 'name="csat"' not in again.content.decode()
    client.post(url, {"csat": "1"})
    feedback.refresh_from_db()
    assert feedback.csat == 4


def test_a_bad_or_missing_csat_shows_the_form_again(survey):
    url = f"/aftersales/survey/{survey['feedback'].token}/"
    for data in ({"nps": "5"}, {"csat": "9"}):
        page = Client().post(url, data)
        assert page.status_code == 200 and 'id="csat-error"' in page.content.decode()
    assert Feedback.objects.get().submitted_at is None


def test_unknown_token_is_404(survey):
    assert Client().get("/aftersales/survey/not-a-token/").status_code == 404
    assert Client().post("/aftersales/survey/not-a-token/", {"csat": "5"}).status_code == 404
    assert Client().get("/aftersales/survey/not-a-token/thanks/").status_code == 404


def test_an_expired_survey_says_so(survey, frozen_clock):
    frozen_clock.advance(days=31)
    url = f"/aftersales/survey/{survey['feedback'].token}/"
    page = Client().get(url)
    assert page.status_code == 410 and 'id="survey-expired"' in page.content.decode()
    assert Client().post(url, {"csat": "5"}).status_code == 410
    assert Feedback.objects.get().submitted_at is None


def test_the_feedback_list_with_scores_per_assignee(survey, make_user, role_client):
    feedback_submit(token=survey["feedback"].token, csat=5, nps=10, comment="谢谢")
    bob = make_user("aftersales_agent", username="bob")
    viewer = make_user("aftersales_agent", username="dan")
    general = team_create(code="GENERAL", name="售后一组", members=[survey["ann"], bob, viewer])
    Ticket.objects.filter(pk=survey["ticket"].pk).update(team=general)
    other = Ticket.objects.create(
        number="TK-20261127-00008",
        subject="发票",
        customer=survey["customer"],
        kind=Ticket.Kind.INQUIRY,
        channel=Ticket.Channel.EMAIL,
        public_token=secrets.token_urlsafe(24),
        assignee=bob,
        team=general,
    )
    feedback_submit(token=feedback_request(ticket=other).token, csat=2, nps=3)
    client = signed_in(viewer)  # sees the team's tickets, and so their surveys
    page = client.get("/aftersales/feedback/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "TK-20261127-00007" in html and "谢谢" in html
    assert 'data-assignee="ann"' in html and 'data-assignee="bob"' in html
    assert '<td class="text-end score-csat">3.50</td>' in html  # overall (5 + 2) / 2
    assert '<td class="text-end score-nps">0.0</td>' in html  # 1 promoter, 1 detractor
    filtered = client.get("/aftersales/feedback/", {"csat": "2"}).content.decode()
    assert "TK-20261127-00008" in filtered and "TK-20261127-00007" not in filtered
    assert 'data-assignee="ann"' not in filtered
    export = client.get("/aftersales/feedback/", {"assignee": "ann", "export": "csv"})
    assert export.status_code == 200 and "谢谢" in export.content.decode("utf-8-sig")


def test_who_may_see_the_feedback_list(survey, role_client, client):
    assert client.get("/aftersales/feedback/").status_code == 302
    assert role_client("warehouse").get("/aftersales/feedback/").status_code == 403
    assert role_client("order_clerk").get("/aftersales/feedback/").status_code == 403
    assert role_client("account_manager").get("/aftersales/feedback/").status_code == 200


def test_each_user_sees_the_feedback_of_the_tickets_they_may_see(survey, make_user):
    """ann's ticket (no team) and a LOGI team ticket of another customer."""
    feedback_submit(token=survey["feedback"].token, csat=1, comment="王芳的秘密意见")
    cat = make_user("aftersales_agent", username="cat")
    logi = team_create(code="LOGI", name="物流售后组", members=[cat])
    li = CustomerFactory(name="李雷", code="C-LI")
    logi_ticket = Ticket.objects.create(
        number="TK-20261127-00009",
        subject="丢件",
        customer=li,
        kind=Ticket.Kind.LOGISTICS_EXCEPTION,
        channel=Ticket.Channel.PHONE,
        public_token=secrets.token_urlsafe(24),
        team=logi,
        assignee=cat,
    )
    feedback_submit(token=feedback_request(ticket=logi_ticket).token, csat=5, comment="李雷很满意")
    wang_manager = make_user("account_manager")
    survey["customer"].account_manager = wang_manager
    survey["customer"].save()

    numbers = ("TK-20261127-00007", "TK-20261127-00009")

    def seen(user):
        """The surveys on the list page and in its export, and the overall scores row."""
        client = signed_in(user)
        page = client.get("/aftersales/feedback/")
        assert page.status_code == 200
        html = page.content.decode()
        export = client.get("/aftersales/feedback/", {"export": "csv"})
        rows = export.content.decode("utf-8-sig").strip().splitlines()[1:]
        listed = {n for n in numbers if n in html}
        exported = {n for n in numbers if any(n in row for row in rows)}
        assert listed == exported and len(rows) == len(exported)
        overall = html.split('id="scores-overall"')[1].split("</tr>")[0]
        return listed, overall

    shown, overall = seen(survey["ann"])
    assert shown == {"TK-20261127-00007"}
    assert '<td class="text-end score-csat">1.00</td>' in overall
    assert (
        "李雷很满意" not in signed_in(survey["ann"]).get("/aftersales/feedback/").content.decode()
    )
    shown, overall = seen(cat)
    assert shown == {"TK-20261127-00009"}
    assert '<td class="text-end score-csat">5.00</td>' in overall
    assert seen(wang_manager)[0] == {"TK-20261127-00007"}
    shown, overall = seen(make_user("account_manager"))  # manages neither customer
    assert shown == set()
    assert '<td class="text-end">0</td>' in overall  # nothing sent, as far as they can see
    assert seen(make_user("admin"))[0] == {"TK-20261127-00007", "TK-20261127-00009"}


# --- API -----------------------------------------------------------------------


def test_the_survey_is_answered_over_the_api_without_credentials(survey):
    api = APIClient()
    url = f"/api/v1/feedback/{survey['feedback'].token}/"
    shown = api.get(url)
    assert shown.status_code == 200
    assert shown.json()["ticket"] == "TK-20261127-00007"
    assert shown.json()["answered"] is False
    assert "王芳" not in shown.content.decode("utf-8")
    bad = api.post(url, {"csat": 0}, format="json")
    assert bad.status_code == 400 and "csat" in bad.json()["error"]["fields"]
    ok = api.post(url, {"csat": 5, "nps": 10, "comment": "好"}, format="json")
    assert ok.status_code == 200 and ok.json()["answered"] is True
    again = api.post(url, {"csat": 1}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_answered"
    assert api.post("/api/v1/feedback/nope/", {"csat": 5}, format="json").status_code == 404
    assert Feedback.objects.get().csat == 5


def test_an_expired_survey_is_gone_over_the_api(survey, frozen_clock):
    frozen_clock.advance(days=30, seconds=1)
    response = APIClient().post(
        f"/api/v1/feedback/{survey['feedback'].token}/", {"csat": 5}, format="json"
    )
    assert response.status_code == 410 and response.json()["error"]["code"] == "expired"


def test_the_public_survey_endpoint_is_throttled(survey, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "client": "3/min"})
    api = APIClient()
    codes = [api.get(f"/api/v1/feedback/guess-{i}/").status_code for i in range(5)]
    assert codes == [404, 404, 404, 429, 429]


def test_staff_list_feedback_over_the_api(survey, staff_api, integration):
    feedback_submit(token=survey["feedback"].token, csat=4)
    feedback_request(
        ticket=Ticket.objects.create(
            number="TK-X",
            subject="s",
            customer=survey["customer"],
            kind="inquiry",
            channel="email",
            public_token=secrets.token_urlsafe(24),
        )
    )
    agent = signed_in(survey["ann"], APIClient)  # her ticket, and TK-X nobody holds
    rows = agent.get("/api/v1/feedback/").json()["results"]
    assert {row["ticket"] for row in rows} == {"TK-20261127-00007", "TK-X"}
    assert "token" not in rows[0]
    answered = agent.get("/api/v1/feedback/", {"answered": "true"}).json()["results"]
    assert [(row["ticket"], row["csat"], row["assignee"]) for row in answered] == [
        ("TK-20261127-00007", 4, "ann")
    ]
    assert [
        r["ticket"] for r in agent.get("/api/v1/feedback/", {"answered": "false"}).json()["results"]
    ] == ["TK-X"]
    assert agent.get("/api/v1/feedback/", {"assignee": "ann"}).json()["count"] == 1
    assert agent.get("/api/v1/feedback/", {"sent_from": "2999-01-01"}).json()["count"] == 0
    assert staff_api("warehouse").get("/api/v1/feedback/").status_code == 403
    assert integration("orders:read").get("/api/v1/feedback/").status_code == 403
    assert integration("aftersales:read").get("/api/v1/feedback/").json()["count"] == 2


def test_staff_read_over_the_api_only_the_feedback_of_tickets_they_may_see(
    survey, staff_api, make_user, integration
):
    feedback_submit(token=survey["feedback"].token, csat=2, comment="王芳的秘密意见")
    assert staff_api("aftersales_agent").get("/api/v1/feedback/").json()["count"] == 0
    stranger = staff_api("account_manager")
    body = stranger.get("/api/v1/feedback/")
    assert body.status_code == 200 and body.json()["count"] == 0
    assert "王芳的秘密意见" not in body.content.decode("utf-8")
    manager = make_user("account_manager")
    survey["customer"].account_manager = manager
    survey["customer"].save()
    rows = signed_in(manager, APIClient).get("/api/v1/feedback/").json()["results"]
    assert [(row["ticket"], row["comment"]) for row in rows] == [
        ("TK-20261127-00007", "王芳的秘密意见")
    ]
    assert integration("aftersales:read").get("/api/v1/feedback/").json()["count"] == 1
    assert APIClient().get("/api/v1/feedback/").status_code in (401, 403)


def test_feedback_list_queries_do_not_grow_with_rows(
    survey, make_user, role_client, staff_api, django_assert_max_num_queries
):
    team = team_create(code="GENERAL", name="售后一组", members=[survey["ann"]])
    for n in range(6):
        ticket = Ticket.objects.create(
            number=f"TK-Q{n}",
            subject="s",
            customer=survey["customer"],
            kind="inquiry",
            channel="email",
            public_token=secrets.token_urlsafe(24),
            assignee=make_user("aftersales_agent", username=f"agent{n}"),
            team=team,
        )
        feedback_submit(token=feedback_request(ticket=ticket).token, csat=n % 5 + 1, nps=n)
    client = signed_in(survey["ann"])  # her own ticket and her team's six
    with django_assert_max_num_queries(14):
        assert client.get("/aftersales/feedback/").status_code == 200
    api = signed_in(survey["ann"], APIClient)
    with django_assert_max_num_queries(8):
        assert api.get("/api/v1/feedback/").json()["count"] == 7

"""Feedback: one survey per ticket, answered once within 30 days, attached
to the ticket and its assignee; CSAT and NPS per assignee and overall."""

import secrets
from decimal import Decimal

import pytest

from aftersales.models import Feedback, Ticket, TicketEvent
from aftersales.selectors import feedback_scores
from aftersales.services.feedback import (
    FeedbackAlreadyAnswered,
    FeedbackExpired,
    FeedbackInvalid,
    FeedbackNotFound,
    feedback_request,
    feedback_submit,
)
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def make_ticket(customer=None, assignee=None, subject="Kettle arrived broken") -> Ticket:
    return Ticket.objects.create(
        number=f"TK-{secrets.token_hex(4)}",
        subject=subject,
        customer=customer or CustomerFactory(),
        kind=Ticket.Kind.COMPLAINT,
        channel=Ticket.Channel.EMAIL,
        public_token=secrets.token_urlsafe(24),
        assignee=assignee,
        status=Ticket.Status.RESOLVED,
    )


@pytest.fixture
def agents(make_user):
    return {
        "ann": make_user("aftersales_agent", username="ann"),
        "bob": make_user("aftersales_agent", username="bob"),
    }


def test_one_survey_per_ticket_for_its_customer_and_assignee(agents, frozen_clock):
    ticket = make_ticket(assignee=agents["ann"])
    feedback = feedback_request(ticket=ticket)
    assert feedback.customer == ticket.customer and feedback.assignee == agents["ann"]
    assert len(feedback.token) == 32 and feedback.sent_at == frozen_clock.now
    assert feedback.submitted_at is None and feedback.csat is None
    again = feedback_request(ticket=ticket)
    assert again.pk == feedback.pk and again.token == feedback.token
    assert Feedback.objects.count() == 1
    assert ticket.events.filter(kind=TicketEvent.Kind.LINKED).count() == 1
    other = feedback_request(ticket=make_ticket())
    assert other.token != feedback.token


def test_an_answer_attaches_to_the_ticket_and_the_assignee(agents, frozen_clock):
    ticket = make_ticket(assignee=agents["ann"])
    token = feedback_request(ticket=ticket).token
    frozen_clock.advance(days=2)
    feedback = feedback_submit(token=token, csat=4, nps=9, comment="  Quick and kind.  ")
    assert (feedback.csat, feedback.nps, feedback.comment) == (4, 9, "Quick and kind.")
    assert feedback.submitted_at == frozen_clock.now
    assert feedback.assignee == agents["ann"]
    event = ticket.events.get(kind=TicketEvent.Kind.FEEDBACK)
    assert (event.to_value, event.reason) == ("CSAT 4 · NPS 9", "Quick and kind.")
    assert agents["ann"].feedback.get() == feedback


def test_a_survey_is_answered_once(agents):
    token = feedback_request(ticket=make_ticket()).token
    feedback_submit(token=token, csat=5)
    with pytest.raises(FeedbackAlreadyAnswered) as error:
        feedback_submit(token=token, csat=1, comment="changed my mind")
    assert error.value.status_code == 409
    feedback = Feedback.objects.get()
    assert (feedback.csat, feedback.nps, feedback.comment) == (5, None, "")
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.FEEDBACK).count() == 1


@pytest.mark.parametrize("csat", [None, "", 0, 6, "x", "4.5", True])
def test_a_bad_csat_is_refused_naming_csat(csat):
    token = feedback_request(ticket=make_ticket()).token
    with pytest.raises(FeedbackInvalid) as error:
        feedback_submit(token=token, csat=csat)
    assert (error.value.field, error.value.status_code) == ("csat", 400)
    assert Feedback.objects.get().submitted_at is None


@pytest.mark.parametrize(
    ("nps", "ok"), [(None, True), (0, True), (10, True), (11, False), (-1, False)]
)
def test_nps_is_optional_from_0_to_10(nps, ok):
    token = feedback_request(ticket=make_ticket()).token
    if ok:
        assert feedback_submit(token=token, csat=3, nps=nps).nps == nps
    else:
        with pytest.raises(FeedbackInvalid) as error:
            feedback_submit(token=token, csat=3, nps=nps)
        assert error.value.field == "nps"


def test_a_long_comment_is_refused():
    token = feedback_request(ticket=make_ticket()).token
    with pytest.raises(FeedbackInvalid) as error:
        feedback_submit(token=token, csat=3, comment="好" * 2001)
    assert error.value.field == "comment"


def test_unknown_token_is_not_found():
    feedback_request(ticket=make_ticket())
    for token in ("nope", ""):
        with pytest.raises(FeedbackNotFound) as error:
            feedback_submit(token=token, csat=5)
        assert error.value.status_code == 404


def test_a_survey_expires_after_30_days(frozen_clock):
    first = feedback_request(ticket=make_ticket()).token
    second = feedback_request(ticket=make_ticket()).token
    frozen_clock.advance(days=30)  # the last moment it may be answered
    assert feedback_submit(token=first, csat=5).csat == 5
    frozen_clock.advance(seconds=1)
    with pytest.raises(FeedbackExpired) as error:
        feedback_submit(token=second, csat=5)
    assert error.value.status_code == 410
    assert Feedback.objects.filter(submitted_at__isnull=False).count() == 1


def test_a_survey_of_an_unassigned_ticket_gets_the_later_assignee(agents):
    ticket = make_ticket()
    token = feedback_request(ticket=ticket).token
    ticket.assignee = agents["bob"]
    ticket.save()
    assert feedback_submit(token=token, csat=5).assignee == agents["bob"]


def answer(assignee, csat, nps=None):
    feedback = feedback_request(ticket=make_ticket(assignee=assignee))
    if csat is not None:
        feedback_submit(token=feedback.token, csat=csat, nps=nps)


def test_csat_and_nps_per_assignee_and_overall(agents):
    ann, bob = agents["ann"], agents["bob"]
    answer(ann, 5, 10)  # promoter
    answer(ann, 4, 6)  # detractor
    answer(ann, None)  # sent, not answered
    answer(bob, 2, 9)  # promoter
    answer(bob, 3)  # no NPS given
    answer(None, 1, 0)  # nobody's ticket: detractor
    scores = feedback_scores()
    by = {
        (row["assignee"].username if row["assignee"] else None): row
        for row in scores["by_assignee"]
    }
    assert list(by) == ["ann", "bob", None]
    assert (by["ann"]["sent"], by["ann"]["answered"]) == (3, 2)
    assert by["ann"]["csat_average"] == Decimal("4.50")
    assert by["ann"]["nps"] == Decimal("0.0")  # 1 promoter, 1 detractor of 2
    assert by["bob"]["csat_average"] == Decimal("2.50")
    assert (by["bob"]["nps_answers"], by["bob"]["nps"]) == (1, Decimal("100.0"))
    assert by[None]["nps"] == Decimal("-100.0")
    overall = scores["overall"]
    assert (overall["sent"], overall["answered"]) == (6, 5)
    assert overall["csat_average"] == Decimal("3.00")  # (5 + 4 + 2 + 3 + 1) / 5
    # 2 promoters, 2 detractors of 4 NPS answers
    assert (overall["promoters"], overall["detractors"], overall["nps"]) == (2, 2, Decimal("0.0"))


def test_scores_without_answers_are_empty():
    feedback_request(ticket=make_ticket())
    overall = feedback_scores()["overall"]
    assert (overall["sent"], overall["answered"]) == (1, 0)
    assert overall["csat_average"] is None and overall["nps"] is None


def test_scores_follow_the_queryset(agents):
    answer(agents["ann"], 5, 10)
    answer(agents["bob"], 1, 0)
    scores = feedback_scores(Feedback.objects.filter(assignee=agents["bob"]))
    assert scores["overall"]["csat_average"] == Decimal("1.00")
    assert [row["assignee"] for row in scores["by_assignee"]] == [agents["bob"]]

"""Feedback pages: the staff list of survey answers with the scores per
assignee, and the customer's survey page (no sign-in: the secret token in
the link is the key; it shows nothing of the customer but the ticket)."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from aftersales.filters.feedback import FeedbackFilter
from aftersales.forms.feedback import SurveyForm
from aftersales.models import Feedback
from aftersales.selectors import feedback_list, feedback_scores, feedback_visible_to
from aftersales.services.feedback import (
    FeedbackAlreadyAnswered,
    FeedbackExpired,
    feedback_expired,
    feedback_submit,
)
from erp.core.errors import DomainError
from erp.core.views import StaffListView


class FeedbackListView(StaffListView):
    permission_required = "aftersales.view_feedback"
    filterset_class = FeedbackFilter
    queryset = feedback_list()
    template_name = "aftersales/feedback/list.html"
    title = gettext_lazy("Feedback")
    columns = [
        ("ticket.number", gettext_lazy("ticket")),
        ("ticket.subject", gettext_lazy("subject")),
        ("assignee", gettext_lazy("assignee")),
        ("sent_at", gettext_lazy("sent at"), "sent_at"),
        ("submitted_at", gettext_lazy("answered at"), "submitted_at"),
        ("csat", gettext_lazy("satisfaction (1-5)"), "csat"),
        ("nps", gettext_lazy("recommend (0-10)")),
        ("comment", gettext_lazy("comment")),
    ]
    empty_message = gettext_lazy("No feedback matches these filters.")
    drill_filters = ("answered_from", "answered_to", "sales_channel", "order_warehouse")

    def get_queryset(self):
        return feedback_visible_to(self.request.user, feedback_list())

    def row_url(self, obj):
        return reverse("aftersales:ticket-detail", args=[obj.ticket.number])

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        filterset = ctx["filter"]
        queryset = filterset.qs if filterset.is_valid() else self.get_queryset()
        ctx["scores"] = feedback_scores(queryset)
        return ctx


def _survey(token: str) -> Feedback:
    feedback = (
        Feedback.objects.select_related("ticket").filter(token=token).first() if token else None
    )
    if feedback is None:
        raise Http404
    return feedback


@never_cache
@csrf_protect
def survey(request, token: str):
    """The customer's survey: stars, an optional 0-10 and a comment."""
    feedback = _survey(token)
    context = {"ticket": feedback.ticket}
    if feedback.submitted_at is not None:
        return render(request, "aftersales/feedback/thanks.html", {**context, "already": True})
    if feedback_expired(feedback):
        return render(request, "aftersales/feedback/expired.html", context, status=410)
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            feedback_submit(token=token, **form.cleaned_data)
        except FeedbackAlreadyAnswered:
            return render(request, "aftersales/feedback/thanks.html", {**context, "already": True})
        except FeedbackExpired:
            return render(request, "aftersales/feedback/expired.html", context, status=410)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("aftersales:survey-thanks", token=token)
    return render(request, "aftersales/feedback/survey.html", {**context, "form": form})


@never_cache
def survey_thanks(request, token: str):
    feedback = _survey(token)
    if feedback.submitted_at is None:
        return redirect("aftersales:survey", token=token)
    return render(request, "aftersales/feedback/thanks.html", {"ticket": feedback.ticket})


urlpatterns = [
    path(
        "feedback/",
        FeedbackListView.as_view(),
        name="feedback-list",
    ),
    path("survey/<str:token>/", survey, name="survey"),
    path("survey/<str:token>/thanks/", survey_thanks, name="survey-thanks"),
]

"""Feedback over the API: staff read the answers; the customer's portal or
app answers a survey with its secret token, without signing in."""

from django.urls import re_path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from oauth2_provider.models import AbstractAccessToken
from rest_framework import mixins, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from aftersales.filters.feedback import FeedbackFilter
from aftersales.models import Feedback
from aftersales.selectors import feedback_list, feedback_visible_to
from aftersales.serializers.feedback import (
    FeedbackSerializer,
    SurveyAnswerSerializer,
    SurveySerializer,
)
from aftersales.services.feedback import (
    FeedbackNotFound,
    feedback_expired,
    feedback_expires_at,
    feedback_submit,
)
from erp.core.api.views import IdempotentMixin, ThrottleFirstMixin

TAGS = ["aftersales"]


@extend_schema_view(
    list=extend_schema(
        summary="List customer feedback (surveys and their answers)",
        description="Filter by `csat` (repeatable), `assignee` (username), "
        "`answered=true|false`, `sent_from`/`sent_to` (dates), `q` (ticket number or subject, "
        "comment, customer code). Signed-in staff see the surveys of the tickets they may "
        "see; integration tokens see all.",
        tags=TAGS,
    ),
)
class FeedbackViewSet(
    ThrottleFirstMixin, IdempotentMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    scope_domain = "aftersales"
    queryset = feedback_list()
    serializer_class = FeedbackSerializer
    filterset_class = FeedbackFilter

    def get_queryset(self):
        if isinstance(self.request.auth, AbstractAccessToken):
            return feedback_list()
        return feedback_visible_to(self.request.user, feedback_list())


def _survey(feedback: Feedback) -> dict:
    return {
        "ticket": feedback.ticket.number,
        "subject": feedback.ticket.subject,
        "answered": feedback.submitted_at is not None,
        "expired": feedback_expired(feedback),
        "expires_at": feedback_expires_at(feedback),
        "csat": feedback.csat,
        "nps": feedback.nps,
    }


class SurveyView(APIView):
    """A survey, by its secret token: no sign-in, throttled per address."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]

    def _feedback(self, token: str) -> Feedback:
        feedback = Feedback.objects.select_related("ticket").filter(token=token).first()
        if feedback is None:
            raise FeedbackNotFound(_("There is no such survey."))
        return feedback

    @extend_schema(
        summary="Read a customer survey by its token (no authentication)",
        description="What the survey page shows: the ticket number and subject, and whether "
        "it was answered or has expired. 404 for an unknown token.",
        tags=TAGS,
        auth=[],
        responses={200: SurveySerializer},
    )
    def get(self, request, token: str):
        return Response(SurveySerializer(_survey(self._feedback(token))).data)

    @extend_schema(
        summary="Answer a customer survey by its token (no authentication)",
        description="For the customer's portal or app. `csat` 1-5 is required, `nps` 0-10 "
        "and `comment` are optional. 404 unknown token, 409 `already_answered`, 410 "
        "`expired` (30 days after it was sent), 400 naming the field for a bad answer.",
        tags=TAGS,
        auth=[],
        request=SurveyAnswerSerializer,
        responses={200: SurveySerializer},
    )
    def post(self, request, token: str):
        data = SurveyAnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        feedback = feedback_submit(token=token, **data.validated_data)
        return Response(SurveySerializer(_survey(feedback)).data)


def register(router) -> None:
    router.register("feedback", FeedbackViewSet, basename="feedback")


urlpatterns = [
    re_path(r"^feedback/(?P<token>[A-Za-z0-9_-]+)/?$", SurveyView.as_view(), name="survey-answer"),
]

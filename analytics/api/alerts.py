from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from oauth2_provider.models import AbstractAccessToken
from rest_framework.decorators import action
from rest_framework.response import Response

from analytics.filters import AlertFilter, KpiTargetFilter
from analytics.models import AlertEvent
from analytics.selectors import alert_list, alerts_visible_to, target_list
from analytics.serializers import (
    AlertAcknowledgeSerializer,
    AlertAssignSerializer,
    AlertDetailSerializer,
    AlertResolveSerializer,
    AlertSerializer,
    KpiTargetSerializer,
)
from analytics.services.lifecycle import alert_acknowledge, alert_assign, alert_resolve
from erp.core.api.views import ReadOnlyViewSet


@extend_schema_view(
    list=extend_schema(summary="List KPI targets", tags=["analytics"]),
    retrieve=extend_schema(summary="One KPI target", tags=["analytics"]),
)
class KpiTargetViewSet(ReadOnlyViewSet):
    scope_domain = "analytics"
    queryset = target_list()
    serializer_class = KpiTargetSerializer
    filterset_class = KpiTargetFilter
    lookup_field = "kpi"


ALERT_TAGS = ["analytics"]


def _alert_action_schema(summary, request, description, example):
    return extend_schema(
        summary=summary,
        tags=ALERT_TAGS,
        request=request,
        responses={200: AlertDetailSerializer},
        description=description,
        examples=[OpenApiExample(summary, value=example, request_only=True)],
    )


@extend_schema_view(
    list=extend_schema(
        summary="List alerts",
        description="The alerts the caller may see: an integration token and admins and "
        "analysts every alert; other staff those of their roles (owning or escalated to) "
        "and those given to them. Filters: `kind`, `severity`, `status` (each repeatable; "
        "all statuses unless given), `mine`, `overdue`, `cleared` (true/false), `q`; "
        "`ordering` by number, severity, raised_at, deadline.",
        tags=ALERT_TAGS,
    ),
    retrieve=extend_schema(summary="One alert with its timeline", tags=ALERT_TAGS),
)
class AlertViewSet(ReadOnlyViewSet):
    scope_domain = "analytics"
    queryset = alert_list()
    filterset_class = AlertFilter
    lookup_field = "number"
    action_permissions = {
        "list": ["analytics.view_alert"],
        "retrieve": ["analytics.view_alert"],
        "acknowledge": ["analytics.view_alert", "analytics.resolve_alert"],
        "assign": ["analytics.view_alert", "analytics.resolve_alert"],
        "resolve": ["analytics.view_alert", "analytics.resolve_alert"],
    }

    def _by_token(self) -> bool:
        return isinstance(self.request.auth, AbstractAccessToken)

    def get_queryset(self):
        queryset = alert_list()
        if self.action != "list":
            queryset = queryset.prefetch_related(
                Prefetch("events", queryset=AlertEvent.objects.select_related("actor"))
            )
        return queryset if self._by_token() else alerts_visible_to(self.request.user, queryset)

    def get_serializer_class(self):
        return AlertSerializer if self.action == "list" else AlertDetailSerializer

    def _detail(self, alert):
        # The caller just acted on it: shown even if it left their view (given to another).
        alert = (
            alert_list()
            .prefetch_related(
                Prefetch("events", queryset=AlertEvent.objects.select_related("actor"))
            )
            .get(pk=alert.pk)
        )
        return Response(AlertDetailSerializer(alert, context={"request": self.request}).data)

    @_alert_action_schema(
        "Acknowledge an alert",
        AlertAcknowledgeSerializer,
        "Someone is on it; an optional note goes on the timeline. Acknowledging twice is "
        "harmless; a resolved alert answers 409 `alert_resolved`.",
        {"note": "Calling the customer about a new date."},
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, number=None):
        data = AlertAcknowledgeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alert = alert_acknowledge(
            alert=self.get_object(), actor=request.user, note=data.validated_data["note"]
        )
        return self._detail(alert)

    @_alert_action_schema(
        "Resolve an alert",
        AlertResolveSerializer,
        "Closes the loop: `resolution_note` (what was done) is required, else 400 naming "
        "`resolution_note`. A resolved alert answers 409 `alert_resolved`.",
        {"resolution_note": "New delivery date agreed with the customer; order expedited."},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, number=None):
        data = AlertResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alert = alert_resolve(
            alert=self.get_object(),
            actor=request.user,
            note=data.validated_data["resolution_note"],
        )
        return self._detail(alert)

    @_alert_action_schema(
        "Give an alert to someone",
        AlertAssignSerializer,
        "`owner`: the username of an active user holding the alert's owning role (or the "
        "role it was escalated to, or admin); they are told by e-mail. 400 naming `owner` "
        "otherwise.",
        {"owner": "zhang.wei"},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, number=None):
        data = AlertAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alert = alert_assign(
            alert=self.get_object(), owner=data.validated_data["owner"], actor=request.user
        )
        return self._detail(alert)

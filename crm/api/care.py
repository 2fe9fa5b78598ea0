"""Care tasks and care rules over the API."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from oauth2_provider.models import AbstractAccessToken
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.filters.care import CareTaskFilter
from crm.selectors import care_rule_list, care_task_list, care_tasks_visible_to
from crm.serializers.care import (
    CareRuleSerializer,
    CareRuleUpdateSerializer,
    CareTaskCancelSerializer,
    CareTaskCompleteSerializer,
    CareTaskCreateSerializer,
    CareTaskReassignSerializer,
    CareTaskSerializer,
)
from crm.services.care import (
    care_rule_update,
    care_task_cancel,
    care_task_complete,
    care_task_create,
    care_task_reassign,
)
from erp.core.api.views import CreateReadViewSet, ReadOnlyViewSet

TAGS = ["care"]
CHANGE = ["crm.change_caretask"]


def _write(summary, request, description, example):
    return extend_schema(
        summary=summary,
        tags=TAGS,
        request=request,
        responses={200: CareTaskSerializer},
        description=description,
        examples=[OpenApiExample(summary, value=example, request_only=True)],
    )


@extend_schema_view(
    list=extend_schema(
        summary="List care tasks",
        description="Filter by `status` (repeatable), `rule` (code), `manual=true`, `priority`, "
        "`assignee` (username), `customer` (code), `due_from`/`due_to`, `overdue=true`, `q`. "
        "Staff see the tasks assigned to them and the unassigned tasks of the customers they "
        "manage (admins all); integration tokens see all.",
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="One care task", tags=TAGS),
    create=extend_schema(
        summary="Create a care task by hand",
        description="Without `assignee` the task goes to the customer's account manager. An "
        "account manager may only give it to an account manager (400 naming `assignee`).",
        tags=TAGS,
        request=CareTaskCreateSerializer,
        responses={201: CareTaskSerializer},
        examples=[
            OpenApiExample(
                "Call about a reorder",
                value={
                    "customer": "C000123",
                    "title": "Call about the spring tea reorder",
                    "due_at": "2026-12-01T10:00:00+08:00",
                    "priority": "normal",
                },
                request_only=True,
            )
        ],
    ),
)
class CareTaskViewSet(CreateReadViewSet):
    scope_domain = "crm"
    queryset = care_task_list()
    serializer_class = CareTaskSerializer
    filterset_class = CareTaskFilter
    action_permissions = {"complete": CHANGE, "cancel": CHANGE, "reassign": CHANGE}

    def get_queryset(self):
        if isinstance(self.request.auth, AbstractAccessToken):
            return care_task_list()
        return care_tasks_visible_to(self.request.user, care_task_list())

    def _data(self, serializer_class):
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data

    def _task(self, task, code=status.HTTP_200_OK):
        return Response(CareTaskSerializer(care_task_list().get(pk=task.pk)).data, status=code)

    def create(self, request, *args, **kwargs):
        task = care_task_create(actor=request.user, **self._data(CareTaskCreateSerializer))
        return self._task(task, status.HTTP_201_CREATED)

    @_write(
        "Complete a care task",
        CareTaskCompleteSerializer,
        "`outcome` is required. With `reached_by` (an interaction kind) the contact is logged "
        "as an outbound interaction linked to the task. 409 when the task is not open.",
        {"outcome": "Customer happy with the replacement.", "reached_by": "call"},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        task = care_task_complete(
            task=self.get_object(), actor=request.user, **self._data(CareTaskCompleteSerializer)
        )
        return self._task(task)

    @_write(
        "Cancel a care task",
        CareTaskCancelSerializer,
        "A reason is required; 409 when the task is not open. A rule's cancelled task is "
        "never raised again for the same cause.",
        {"reason": "Customer asked not to be called."},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        task = care_task_cancel(
            task=self.get_object(), actor=request.user, **self._data(CareTaskCancelSerializer)
        )
        return self._task(task)

    @_write(
        "Pass a care task to somebody else",
        CareTaskReassignSerializer,
        "Account managers may only pass tasks to account managers (400 naming `assignee`); "
        "the new assignee is notified. 409 when the task is not open.",
        {"assignee": "li.na"},
    )
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        task = care_task_reassign(
            task=self.get_object(), actor=request.user, **self._data(CareTaskReassignSerializer)
        )
        return self._task(task)


@extend_schema_view(
    list=extend_schema(summary="List care rules", tags=TAGS),
    retrieve=extend_schema(summary="One care rule", tags=TAGS),
    partial_update=extend_schema(
        summary="Turn a care rule on or off, change its delay or threshold",
        tags=TAGS,
        request=CareRuleUpdateSerializer,
        responses={200: CareRuleSerializer},
        examples=[
            OpenApiExample(
                "Thank from 8000 CNY, two days later",
                value={"enabled": True, "delay_days": 2, "threshold": "8000.00"},
                request_only=True,
            )
        ],
    ),
)
class CareRuleViewSet(mixins.UpdateModelMixin, ReadOnlyViewSet):
    scope_domain = "crm"
    queryset = care_rule_list()
    serializer_class = CareRuleSerializer
    lookup_field = "code"
    http_method_names = ["get", "patch", "head", "options"]

    def update(self, request, *args, **kwargs):
        data = CareRuleUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        rule = care_rule_update(
            rule=self.get_object(),
            enabled=changes.get("enabled"),
            delay_days=changes.get("delay_days"),
            threshold=changes.get("threshold"),
            clear_threshold="threshold" in changes and changes["threshold"] is None,
        )
        return Response(CareRuleSerializer(care_rule_list().get(pk=rule.pk)).data)


def register(router) -> None:
    router.register("care-tasks", CareTaskViewSet, basename="care-task")
    router.register("care-rules", CareRuleViewSet, basename="care-rule")

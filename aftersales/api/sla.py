from datetime import date as date_type

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from aftersales.filters.sla import BusinessCalendarFilter, SlaPolicyFilter
from aftersales.selectors import calendar_list, sla_policy_list
from aftersales.serializers.sla import (
    BusinessCalendarSerializer,
    BusinessCalendarWriteSerializer,
    CalendarDaySerializer,
    CalendarDayWriteSerializer,
    SlaPolicySerializer,
    SlaPolicyWriteSerializer,
)
from aftersales.services.sla_admin import (
    calendar_create,
    calendar_day_add,
    calendar_day_remove,
    calendar_update,
    sla_policy_create,
    sla_policy_update,
)
from erp.core.api.views import CrudViewSet

TAGS = ["aftersales"]


@extend_schema_view(
    list=extend_schema(
        summary="List SLA policies",
        description="Filter by `priority`, `customer_tier` (`any` for the any-tier policies), "
        "`calendar` (code), `active`, `q` (name).",
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="One SLA policy", tags=TAGS),
    create=extend_schema(
        summary="Create an SLA policy",
        description="400 naming the field when the resolution target is shorter than the first "
        "response target (`resolution_minutes`) or an active policy for the same priority and "
        "customer tier exists (`priority`).",
        tags=TAGS,
        request=SlaPolicyWriteSerializer,
        responses={201: SlaPolicySerializer},
    ),
    partial_update=extend_schema(
        summary="Change an SLA policy",
        description="Open tickets keep their due times until their clock is next resumed or "
        "recomputed.",
        tags=TAGS,
        request=SlaPolicyWriteSerializer,
    ),
    update=extend_schema(
        summary="Replace an SLA policy", tags=TAGS, request=SlaPolicyWriteSerializer
    ),
    destroy=extend_schema(
        summary="Delete an SLA policy no ticket used (409 otherwise: set it inactive)", tags=TAGS
    ),
)
class SlaPolicyViewSet(CrudViewSet):
    """SLA policies: first-response and resolution targets per priority and
    (optionally) customer tier, counted in a service calendar's working time."""

    scope_domain = "aftersales"
    queryset = sla_policy_list()
    serializer_class = SlaPolicySerializer
    write_serializer_class = SlaPolicyWriteSerializer
    filterset_class = SlaPolicyFilter

    def create_service(self, **fields):
        return sla_policy_create(**fields)

    def update_service(self, instance, **changes):
        sla_policy_update(policy=instance, **changes)
        return sla_policy_list().get(pk=instance.pk)


DATE_PARAMETER = OpenApiParameter(
    "date", OpenApiTypes.DATE, OpenApiParameter.PATH, description="YYYY-MM-DD"
)


@extend_schema_view(
    list=extend_schema(
        summary="List service calendars with their holidays and make-up days",
        description="Filter by `always_open`, `q` (code, name).",
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="One service calendar with its days", tags=TAGS),
    create=extend_schema(
        summary="Create a service calendar",
        description="`working_days` are ISO weekdays (1 = Monday ... 7 = Sunday); a calendar "
        "that is not 24x7 needs at least one, and `day_end` after `day_start`.",
        tags=TAGS,
        request=BusinessCalendarWriteSerializer,
        responses={201: BusinessCalendarSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a service calendar", tags=TAGS, request=BusinessCalendarWriteSerializer
    ),
    update=extend_schema(
        summary="Replace a service calendar's week and hours",
        tags=TAGS,
        request=BusinessCalendarWriteSerializer,
    ),
    destroy=extend_schema(summary="Delete a calendar no policy uses (409 otherwise)", tags=TAGS),
    days=extend_schema(
        summary="Add a holiday or a make-up working day",
        description="`working: false` closes a date (a public holiday); `working: true` opens "
        "a day off (a make-up working day, 调休). 400 on `date` when the date is in the "
        "calendar already.",
        tags=TAGS,
        request=CalendarDayWriteSerializer,
        responses={201: CalendarDaySerializer},
    ),
    day_remove=extend_schema(
        summary="Remove a holiday or make-up day",
        description="204 when removed; 404 `not_found` when the date is not in the calendar.",
        tags=TAGS,
        parameters=[DATE_PARAMETER],
        request=None,
        responses={204: None},
    ),
)
class BusinessCalendarViewSet(CrudViewSet):
    """Service calendars: working weekdays and hours (or 24x7), with public
    holidays and make-up working days, in which SLA targets are counted."""

    scope_domain = "aftersales"
    queryset = calendar_list()
    serializer_class = BusinessCalendarSerializer
    write_serializer_class = BusinessCalendarWriteSerializer
    filterset_class = BusinessCalendarFilter
    lookup_field = "code"
    action_permissions = {
        "days": ["aftersales.change_businesscalendar"],
        "day_remove": ["aftersales.change_businesscalendar"],
    }

    def create_service(self, **fields):
        calendar = calendar_create(**fields)
        return calendar_list().get(pk=calendar.pk)

    def update_service(self, instance, **changes):
        calendar_update(calendar=instance, **changes)
        return calendar_list().get(pk=instance.pk)

    @action(detail=True, methods=["post"])
    def days(self, request, code=None):
        data = CalendarDayWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        day = calendar_day_add(calendar=self.get_object(), **data.validated_data)
        return Response(CalendarDaySerializer(day).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["delete"], url_path=r"days/(?P<date>\d{4}-\d{2}-\d{2})")
    def day_remove(self, request, code=None, date=None):
        try:
            day = date_type.fromisoformat(date)
        except ValueError:
            raise ValidationError({"date": ["Enter a date as YYYY-MM-DD."]}) from None
        calendar_day_remove(calendar=self.get_object(), date=day)
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router) -> None:
    router.register("sla-policies", SlaPolicyViewSet, basename="sla-policy")
    router.register("service-calendars", BusinessCalendarViewSet, basename="service-calendar")

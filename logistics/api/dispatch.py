"""Dispatch plans over the API: create for a depot and a day, solve with the
route planner, release (dispatch every routed shipment), cancel; read with
routes, stops, loads, ETAs, distances and the shipments left out."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from erp.core.api.views import CreateReadViewSet
from logistics.filters import DispatchPlanFilter
from logistics.selectors import dispatch_plan_detail, dispatch_plan_list
from logistics.serializers import (
    DispatchPlanCreateSerializer,
    DispatchPlanDetailSerializer,
    DispatchPlanSerializer,
)
from logistics.services import plan_cancel, plan_create, plan_release, plan_solve

TAGS = ["logistics"]
CREATE_EXAMPLE = {
    "depot": "SH01",
    "date": "2026-11-24",
    "vehicles": ["沪A·D1234", "沪A·D5678"],
    "time_limit_seconds": 5,
}


def _action(summary: str, description: str):
    return extend_schema(
        summary=summary,
        description=description,
        tags=TAGS,
        request=None,
        responses={200: DispatchPlanDetailSerializer},
    )


@extend_schema_view(
    list=extend_schema(
        summary="List dispatch plans",
        description="Filter by `depot` (code), `date`, `status`, `q` (plan number).",
        tags=TAGS,
    ),
    retrieve=extend_schema(
        summary="One dispatch plan with its routes, stops, loads, ETAs and unassigned shipments",
        tags=TAGS,
    ),
    create=extend_schema(
        summary="Create a draft dispatch plan for a depot and a day",
        description=(
            "Without `shipments`, every packed shipment of the depot with destination "
            "coordinates whose order can ship, that is due that day (or names no delivery time) "
            "and is on no other open plan; without `vehicles`, every available vehicle of the "
            "depot. 400 `invalid` naming `date` (past, or more than 60 days ahead), `shipments` "
            "(another warehouse, no coordinates, window not on that day), `vehicles` (another "
            "depot, none) or `time_limit_seconds` (1 to 60); 409 `conflict` naming `shipments` "
            "(not packed, order cancelled or on hold, on another open plan of any day) or "
            "`vehicles` (not available)."
        ),
        tags=TAGS,
        request=DispatchPlanCreateSerializer,
        responses={201: DispatchPlanDetailSerializer},
        examples=[
            OpenApiExample("Two vans, due shipments", value=CREATE_EXAMPLE, request_only=True)
        ],
    ),
    solve=_action(
        "Solve: assign shipments to vehicles and order the stops",
        "Respects every vehicle's weight and volume capacity (and refrigerated room), each "
        "shipment's delivery window and the plan's shift; minimises distance within the plan's "
        "time limit. Replaces earlier routes; shipments that fit no route are listed in "
        "`unassigned`; shipments no longer packed or whose order can no longer ship leave the "
        "plan, as the `note` says. 409 `conflict` when the plan is released or cancelled.",
    ),
    release=_action(
        "Release: dispatch every routed shipment with its vehicle",
        "Consumes the shipments' reservations, puts the vehicles on route. Shipments whose "
        "order can no longer ship (cancelled, on hold) are taken off the plan first, as the "
        "`note` says. Otherwise all or nothing: 409 when the plan is not solved, a vehicle is "
        "no longer available or a shipment no longer packed (the error names it); 409 "
        "`lock_timeout` when the stock is busy (retry).",
    ),
    cancel=_action(
        "Cancel a draft or solved plan",
        "Its shipments are free for another plan. 409 when the plan is released.",
    ),
)
class DispatchPlanViewSet(CreateReadViewSet):
    scope_domain = "logistics"
    queryset = dispatch_plan_list()
    filterset_class = DispatchPlanFilter
    lookup_field = "number"
    action_permissions = {
        "solve": ["logistics.change_dispatchplan"],
        "cancel": ["logistics.change_dispatchplan"],
        # Release dispatches shipments: it needs that permission too.
        "release": ["logistics.change_dispatchplan", "logistics.dispatch_shipment"],
    }

    def get_queryset(self):
        return dispatch_plan_list() if self.action == "list" else dispatch_plan_detail()

    def get_serializer_class(self):
        return DispatchPlanSerializer if self.action == "list" else DispatchPlanDetailSerializer

    def _detail(self, plan, code=status.HTTP_200_OK):
        plan = dispatch_plan_detail().get(pk=plan.pk)
        return Response(DispatchPlanDetailSerializer(plan).data, status=code)

    def create(self, request, *args, **kwargs):
        data = DispatchPlanCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = plan_create(actor=request.user, **data.validated_data)
        return self._detail(plan, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def solve(self, request, number=None):
        return self._detail(plan_solve(plan=self.get_object(), actor=request.user))

    @action(detail=True, methods=["post"])
    def release(self, request, number=None):
        return self._detail(plan_release(plan=self.get_object(), actor=request.user))

    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        return self._detail(plan_cancel(plan=self.get_object(), actor=request.user))

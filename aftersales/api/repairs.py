"""Repair work orders over the API: open one, list with filters, read with
parts and timeline, and work on it (diagnose, spare parts, labour, status)."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from oauth2_provider.models import AbstractAccessToken
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from aftersales.filters.repairs import RepairOrderFilter
from aftersales.models import Ticket
from aftersales.selectors import repair_detail, repair_list, repairs_visible_to
from aftersales.serializers.repairs import (
    RepairAssignSerializer,
    RepairCancelSerializer,
    RepairCompleteSerializer,
    RepairCreateSerializer,
    RepairDiagnoseSerializer,
    RepairLabourSerializer,
    RepairOrderDetailSerializer,
    RepairOrderSerializer,
    RepairPartInputSerializer,
    RepairReturnSerializer,
    RepairTransitionSerializer,
)
from aftersales.services.repairs import (
    repair_assign_technician,
    repair_cancel,
    repair_complete,
    repair_create,
    repair_diagnose,
    repair_labour_record,
    repair_part_add,
    repair_return_to_customer,
    repair_transition,
)
from erp.core.api.views import CreateReadViewSet

TAGS = ["aftersales"]
CHANGE = ["aftersales.change_repairorder"]


def _write(summary, request, description=""):
    return extend_schema(
        summary=summary,
        tags=TAGS,
        request=request,
        responses={200: RepairOrderDetailSerializer},
        description=description
        or "409 `transition_not_allowed` or `conflict` when the repair's status does not allow it.",
    )


@extend_schema_view(
    list=extend_schema(
        summary="List repair work orders",
        description="Filter by `status` (repeatable), `technician` (username), `customer` "
        "(code), `product` (SKU), `in_warranty=true|false`, `reported_from`/`reported_to`, "
        "`q` (repair, serial, ticket number, customer, product). Account managers see the "
        "repairs of the customers they manage; agents, technicians and integration tokens "
        "see all. A repair of a returned unit is internal: nothing covered, nothing charged.",
        tags=TAGS,
    ),
    retrieve=extend_schema(
        summary="One repair with its spare parts, cost split and timeline", tags=TAGS
    ),
    create=extend_schema(
        summary="Open a repair work order",
        description="The warranty runs the product's warranty months from the purchase date "
        "(the order's placed date when `order` and `line` are given: another `purchase_date` "
        "is refused, 400 naming `purchase_date`). Without `ticket` a repair ticket is opened; "
        "signed-in staff may only name a ticket they can see. 400 names the field (e.g. "
        "`order_line` when the line is another customer's or for another product).",
        tags=TAGS,
        request=RepairCreateSerializer,
        responses={201: RepairOrderDetailSerializer},
        examples=[
            OpenApiExample(
                "From an order line",
                value={
                    "customer": "C000123",
                    "product": "KETTLE-1",
                    "serial_number": "SN-2026-0001",
                    "fault_description": "Does not heat.",
                    "order": "SO-20260301-00042",
                    "line": 1,
                },
                request_only=True,
            )
        ],
    ),
)
class RepairOrderViewSet(CreateReadViewSet):
    scope_domain = "aftersales"
    queryset = repair_list()
    filterset_class = RepairOrderFilter
    lookup_field = "number"
    action_permissions = {
        "transition": CHANGE,
        "assign": CHANGE,
        "diagnose": CHANGE,
        "parts": CHANGE,
        "labour": CHANGE,
        "complete": CHANGE,
        "return_to_customer": CHANGE,
        "cancel": CHANGE,
    }

    def get_queryset(self):
        queryset = repair_list() if self.action == "list" else repair_detail()
        if isinstance(self.request.auth, AbstractAccessToken):
            return queryset
        return repairs_visible_to(self.request.user, queryset)

    def get_serializer_class(self):
        return RepairOrderSerializer if self.action == "list" else RepairOrderDetailSerializer

    def _detail(self, repair, code=status.HTTP_200_OK):
        repair = repair_detail().get(pk=repair.pk)
        return Response(
            RepairOrderDetailSerializer(repair, context={"request": self.request}).data,
            status=code,
        )

    def _data(self, serializer_class):
        data = serializer_class(data=self.request.data, context={"request": self.request})
        data.is_valid(raise_exception=True)
        return data.validated_data

    def create(self, request, *args, **kwargs):
        data = self._data(RepairCreateSerializer)
        integrator = isinstance(request.auth, AbstractAccessToken)
        repair = repair_create(
            actor=request.user,
            channel=Ticket.Channel.API if integrator else Ticket.Channel.PHONE,
            **data,
        )
        return self._detail(repair, status.HTTP_201_CREATED)

    @_write("Move a repair to another status", RepairTransitionSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, number=None):
        data = self._data(RepairTransitionSerializer)
        repair = repair_transition(
            repair=self.get_object(),
            to_status=data["status"],
            reason=data["reason"],
            actor=request.user,
        )
        return self._detail(repair)

    @_write(
        "Assign the technician",
        RepairAssignSerializer,
        "400 when the user may not work on repairs; 409 for a finished repair.",
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, number=None):
        data = self._data(RepairAssignSerializer)
        repair = repair_assign_technician(
            repair=self.get_object(), technician=data["technician"], actor=request.user
        )
        return self._detail(repair)

    @_write(
        "Record the diagnosis",
        RepairDiagnoseSerializer,
        "A reported repair moves to diagnosing. A `warranty_void_reason` (damage the customer "
        "caused) puts this repair out of warranty: everything is charged.",
    )
    @action(detail=True, methods=["post"])
    def diagnose(self, request, number=None):
        data = self._data(RepairDiagnoseSerializer)
        repair = repair_diagnose(repair=self.get_object(), actor=request.user, **data)
        return self._detail(repair)

    @_write(
        "Use a spare part from stock",
        RepairPartInputSerializer,
        "Takes the part out of stock with a `repair_consumption` stock move referencing the "
        "repair number, at the moving average cost, charged at list price. 409 "
        "`insufficient_stock` when fewer units are free (units reserved for orders are never "
        "taken); 409 `conflict` unless the repair is diagnosing, waiting for parts or repairing.",
    )
    @action(detail=True, methods=["post"])
    def parts(self, request, number=None):
        data = self._data(RepairPartInputSerializer)
        repair = self.get_object()
        repair_part_add(
            repair=repair,
            product=data["product"],
            warehouse=data.get("warehouse"),
            quantity=data["quantity"],
            actor=request.user,
        )
        return self._detail(repair)

    @_write(
        "Record the labour hours",
        RepairLabourSerializer,
        "Sets the total hours worked; labour is charged at the repair's hourly rate.",
    )
    @action(detail=True, methods=["post"])
    def labour(self, request, number=None):
        data = self._data(RepairLabourSerializer)
        repair = repair_labour_record(
            repair=self.get_object(), hours=data["hours"], actor=request.user
        )
        return self._detail(repair)

    @_write("Complete the repair (from repairing)", RepairCompleteSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, number=None):
        data = self._data(RepairCompleteSerializer)
        repair = repair_complete(repair=self.get_object(), note=data["note"], actor=request.user)
        return self._detail(repair)

    @_write(
        "Return the repaired product to the customer",
        RepairReturnSerializer,
        "From done; with a note and the tracking number when it was shipped.",
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_to_customer(self, request, number=None):
        data = self._data(RepairReturnSerializer)
        repair = repair_return_to_customer(repair=self.get_object(), actor=request.user, **data)
        return self._detail(repair)

    @_write("Cancel a repair (a reason is required)", RepairCancelSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        data = self._data(RepairCancelSerializer)
        repair = repair_cancel(repair=self.get_object(), reason=data["reason"], actor=request.user)
        return self._detail(repair)


def register(router) -> None:
    router.register("repairs", RepairOrderViewSet, basename="repair")

"""Shipments over the API: create from an order, list with filters, read
with lines and tracking history, move through the transitions, dispatch,
cancel, deliver with proof; carbon totals per carrier and month."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from erp.core.api.views import CreateReadViewSet
from logistics.filters import ShipmentFilter
from logistics.selectors import carbon_by_carrier_month, shipment_detail, shipment_list
from logistics.serializers import (
    CarbonRowSerializer,
    ShipmentCancelSerializer,
    ShipmentCreateSerializer,
    ShipmentDeliverSerializer,
    ShipmentDetailSerializer,
    ShipmentDispatchSerializer,
    ShipmentProblemSerializer,
    ShipmentSerializer,
    ShipmentTransitionSerializer,
)
from logistics.services import (
    shipment_cancel,
    shipment_create,
    shipment_deliver,
    shipment_dispatch,
    shipment_move,
    shipment_problem_report,
    shipments_create_for_order,
)

TAGS = ["logistics"]
CREATE_EXAMPLE = {
    "order": "SO-20261122-00042",
    "warehouse": "SH01",
    "lines": [{"line": 1, "quantity": 2}],
    "carrier": "SF",
    "planned_delivery_at": "2026-11-24T18:00:00+08:00",
}


def _write(summary, request, description=""):
    return extend_schema(
        summary=summary,
        tags=TAGS,
        request=request,
        responses={200: ShipmentDetailSerializer},
        description=description
        or "409 `transition_not_allowed` when the shipment's status does not allow it.",
    )


@extend_schema_view(
    list=extend_schema(
        summary="List shipments",
        description="Filter by `status` (repeatable), `warehouse`, `carrier` (codes), `order` "
        "(number), `delivery_from`/`delivery_to` (planned delivery date), "
        "`open_exception=true`, `q` (shipment, tracking or order number, city).",
        tags=TAGS,
    ),
    retrieve=extend_schema(
        summary="One shipment with lines, tracking history, exceptions and proof of delivery",
        tags=TAGS,
    ),
    create=extend_schema(
        summary="Create a shipment from an order's reserved stock",
        description="Ships the given order lines (or everything reserved) from one warehouse. "
        "409 `conflict` when a line has fewer units reserved there and not on another "
        "shipment than asked (the error names `lines[i].quantity`).",
        tags=TAGS,
        request=ShipmentCreateSerializer,
        responses={201: ShipmentDetailSerializer},
        examples=[OpenApiExample("Part of an order", value=CREATE_EXAMPLE, request_only=True)],
    ),
)
class ShipmentViewSet(CreateReadViewSet):
    scope_domain = "logistics"
    queryset = shipment_list()
    filterset_class = ShipmentFilter
    lookup_field = "number"
    action_permissions = {
        "transition": ["logistics.change_shipment"],
        "dispatch_shipment": ["logistics.dispatch_shipment"],
        "cancel": ["logistics.change_shipment"],
        "report_problem": ["logistics.change_shipment"],
        "deliver": ["logistics.dispatch_shipment"],
        "from_order": ["logistics.add_shipment"],
        "carbon": ["logistics.view_shipment"],
    }

    def get_queryset(self):
        return shipment_list() if self.action == "list" else shipment_detail()

    def get_serializer_class(self):
        return ShipmentSerializer if self.action == "list" else ShipmentDetailSerializer

    def _detail(self, shipment, code=status.HTTP_200_OK):
        shipment = shipment_detail().get(pk=shipment.pk)
        return Response(
            ShipmentDetailSerializer(shipment, context={"request": self.request}).data,
            status=code,
        )

    def create(self, request, *args, **kwargs):
        data = ShipmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shipment = shipment_create(
            warehouse=data.validated_data.get("warehouse"),
            actor=request.user,
            **data.service_kwargs(),
        )
        return self._detail(shipment, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Create one shipment per warehouse with everything reserved for an order",
        tags=TAGS,
        request=ShipmentCreateSerializer,
        responses={201: ShipmentSerializer(many=True)},
    )
    @action(detail=False, methods=["post"], url_path="from-order")
    def from_order(self, request):
        data = ShipmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kwargs = data.service_kwargs()
        kwargs.pop("lines", None)
        shipments = shipments_create_for_order(actor=request.user, **kwargs)
        rows = shipment_list().filter(pk__in=[s.pk for s in shipments]).order_by("pk")
        return Response(
            ShipmentSerializer(rows, many=True, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @_write("Move to another status", ShipmentTransitionSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, number=None):
        data = ShipmentTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shipment = shipment_move(
            shipment=self.get_object(),
            to_status=data.validated_data["status"],
            reason=data.validated_data["reason"],
            actor=request.user,
        )
        return self._detail(shipment)

    @_write(
        "Dispatch a packed shipment",
        ShipmentDispatchSerializer,
        "Its reserved stock leaves the warehouse as shipment stock moves; the order becomes "
        "partially shipped or shipped. 409 unless every unit is packed.",
    )
    @action(detail=True, methods=["post"], url_path="dispatch")
    def dispatch_shipment(self, request, number=None):  # not `dispatch`: the view's own method
        data = ShipmentDispatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shipment = shipment_dispatch(
            shipment=self.get_object(), actor=request.user, **data.validated_data
        )
        return self._detail(shipment)

    @_write(
        "Report a problem: a failed attempt, damage or loss",
        ShipmentProblemSerializer,
        "Opens an exception (sent as the signal shipment_exception_raised) and stops a "
        "shipment on the road in `exception`; damage found after delivery is recorded without "
        "changing the status. 409 for a shipment that has not left.",
    )
    @action(detail=True, methods=["post"], url_path="report-problem")
    def report_problem(self, request, number=None):
        data = ShipmentProblemSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shipment = self.get_object()
        shipment_problem_report(shipment=shipment, actor=request.user, **data.validated_data)
        return self._detail(shipment)

    @_write("Cancel a shipment that has not left (a reason is required)", ShipmentCancelSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        data = ShipmentCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shipment = shipment_cancel(
            shipment=self.get_object(), reason=data.validated_data["reason"], actor=request.user
        )
        return self._detail(shipment)

    @_write(
        "Record the delivery with its proof",
        ShipmentDeliverSerializer,
        "JSON or multipart (photo and signature images). The order becomes delivered once "
        "every line of it is.",
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, MultiPartParser, FormParser])
    def deliver(self, request, number=None):
        data = ShipmentDeliverSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shipment = self.get_object()
        shipment_deliver(shipment=shipment, actor=request.user, **data.validated_data)
        return self._detail(shipment)

    @extend_schema(
        summary="Carbon emissions per carrier and month",
        description="kg CO2e of shipments that have left, by the month they left. Takes the "
        "list's filters.",
        tags=TAGS,
        responses={200: CarbonRowSerializer(many=True)},
    )
    # Not paginated: one row per carrier and month.
    @action(detail=False, methods=["get"], pagination_class=None)
    def carbon(self, request):
        queryset = self.filter_queryset(shipment_list())
        rows = carbon_by_carrier_month(queryset)
        return Response(CarbonRowSerializer(rows, many=True).data)

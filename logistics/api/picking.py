"""Pick waves, packing by scan and the shipment documents over the API.

/api/v1/pick-waves/                              list (warehouse, status), create
/api/v1/pick-waves/{number}/                     one wave with its pick list in walk order
/api/v1/pick-waves/{number}/lines/{id}/pick/     {"quantity": n}: units taken from the bin
/api/v1/pick-waves/{number}/close/ | cancel/
/api/v1/shipments/{number}/pack/                 {"code": barcode or SKU, "quantity": 1}
/api/v1/shipments/{number}/label.pdf | slip.pdf  the shipping label / packing slip

Reading needs logistics.view_shipment (token scope logistics:read); every
write needs logistics.pack_shipment (logistics:write)."""

import json

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from erp.core.api.views import IdempotentMixin, ReadOnlyViewSet, ThrottleFirstMixin
from inventory.models import Warehouse
from logistics.documents import shipment_document
from logistics.filters import PickWaveFilter
from logistics.models import PickWave, Shipment, ShipmentLine
from logistics.selectors import (
    pick_lines,
    pick_wave_detail,
    pick_wave_list,
    shipment_for_packing,
)
from logistics.services import (
    pack_scan,
    pick_confirm,
    wave_cancel,
    wave_close,
    wave_create,
)

TAGS = ["logistics"]
VIEW = ["logistics.view_shipment"]
PACK = ["logistics.pack_shipment"]


# --- serializers -------------------------------------------------------------


class PickLineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sequence = serializers.IntegerField()
    bin = serializers.CharField(source="location_code")
    sku = serializers.CharField(source="shipment_line.order_line.sku")
    name = serializers.CharField(source="shipment_line.order_line.name")
    quantity = serializers.IntegerField()
    quantity_picked = serializers.IntegerField()
    shipment = serializers.CharField(source="shipment_line.shipment.number")
    shipment_status = serializers.CharField(source="shipment_line.shipment.status")


class PickWaveSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code")
    picker = serializers.CharField(source="picker.username", default=None)
    shipment_count = serializers.IntegerField()
    line_count = serializers.IntegerField()

    class Meta:
        model = PickWave
        fields = [
            "number",
            "warehouse",
            "status",
            "picker",
            "shipment_count",
            "line_count",
            "created_at",
        ]
        read_only_fields = fields


class PickWaveDetailSerializer(PickWaveSerializer):
    shipments = serializers.SlugRelatedField(slug_field="number", many=True, read_only=True)
    lines = PickLineSerializer(many=True, read_only=True)

    class Meta(PickWaveSerializer.Meta):
        fields = [*PickWaveSerializer.Meta.fields, "shipments", "lines"]
        read_only_fields = fields


class PickWaveCreateSerializer(serializers.Serializer):
    warehouse = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())
    shipments = serializers.ListField(
        child=serializers.CharField(max_length=30),
        required=False,
        max_length=500,
        help_text="Shipment numbers; leave out to take every planned shipment of the warehouse.",
    )

    def validate_shipments(self, numbers):
        found = {s.number: s for s in Shipment.objects.filter(number__in=numbers)}
        unknown = [n for n in numbers if n not in found]
        if unknown:
            raise serializers.ValidationError(
                _("No such shipment: %(numbers)s.") % {"numbers": ", ".join(unknown)}
            )
        return [found[n] for n in numbers]


class PickConfirmSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=0)


class WaveCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=400, required=False, allow_blank=True, default="")


class PackSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64, help_text="The product's barcode or SKU.")
    quantity = serializers.IntegerField(min_value=1, max_value=10000, default=1)


class PackLineSerializer(serializers.ModelSerializer):
    line = serializers.IntegerField(source="order_line.line_no")
    sku = serializers.CharField(source="order_line.sku")
    name = serializers.CharField(source="order_line.name")
    barcode = serializers.CharField(source="order_line.product.barcode", default=None)

    class Meta:
        model = ShipmentLine
        fields = [
            "line",
            "sku",
            "name",
            "barcode",
            "quantity",
            "quantity_picked",
            "quantity_packed",
        ]
        read_only_fields = fields


class PackResultSerializer(serializers.Serializer):
    shipment = serializers.CharField(source="shipment.number")
    status = serializers.CharField(source="shipment.status")
    scanned = PackLineSerializer(source="line")
    lines = PackLineSerializer(many=True, source="shipment.lines.all")


# --- pick waves ----------------------------------------------------------------

WAVE_PARAM = OpenApiParameter("number", str, OpenApiParameter.PATH, description="wave number")
LINE_PARAM = OpenApiParameter("line_id", int, OpenApiParameter.PATH, description="pick line id")


@extend_schema_view(
    list=extend_schema(
        summary="List pick waves",
        description="Filter by `warehouse` (code), `status`, `q` (wave or shipment number).",
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="One pick wave with its pick list in walk order", tags=TAGS),
    create=extend_schema(
        summary="Start a pick wave",
        description=(
            "Takes the given planned shipments of the warehouse (or all of them) and moves them "
            "to picking. 400 `invalid` (`shipments`) for another warehouse's shipment or an empty "
            "wave; 409 `conflict` for a shipment that is not planned."
        ),
        tags=TAGS,
        request=PickWaveCreateSerializer,
        responses={201: PickWaveDetailSerializer},
        examples=[
            OpenApiExample(
                "Two shipments",
                value={
                    "warehouse": "SH01",
                    "shipments": ["SH-20261122-00001", "SH-20261122-00002"],
                },
                request_only=True,
            )
        ],
    ),
)
class PickWaveViewSet(mixins.CreateModelMixin, ReadOnlyViewSet):
    scope_domain = "logistics"
    queryset = pick_wave_list()
    filterset_class = PickWaveFilter
    lookup_field = "number"
    action_permissions = {
        "list": VIEW,
        "retrieve": VIEW,
        "create": PACK,
        "pick": PACK,
        "close": PACK,
        "cancel": PACK,
    }

    def get_queryset(self):
        return pick_wave_list() if self.action == "list" else pick_wave_detail()

    def get_serializer_class(self):
        return PickWaveSerializer if self.action == "list" else PickWaveDetailSerializer

    def _detail(self, wave, code=status.HTTP_200_OK):
        wave = pick_wave_detail().get(pk=wave.pk)
        return Response(PickWaveDetailSerializer(wave).data, status=code)

    def create(self, request, *args, **kwargs):
        data = PickWaveCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wave = wave_create(
            warehouse=data.validated_data["warehouse"],
            shipments=data.validated_data.get("shipments"),
            actor=request.user,
        )
        return self._detail(wave, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Confirm the units picked on a pick-list row",
        description=(
            "`quantity` is the number of units taken from the bin (0 to the row's quantity); "
            "it replaces an earlier confirmation. 409 when the wave is no longer open or the "
            "shipment is no longer being picked."
        ),
        tags=TAGS,
        parameters=[WAVE_PARAM, LINE_PARAM],
        request=PickConfirmSerializer,
        responses={200: PickLineSerializer},
    )
    @action(detail=True, methods=["post"], url_path=r"lines/(?P<line_id>\d+)/pick")
    def pick(self, request, number=None, line_id=None):
        wave = self.get_object()
        line = get_object_or_404(wave.lines.all(), pk=line_id)
        data = PickConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        line = pick_confirm(line=line, quantity=data.validated_data["quantity"], actor=request.user)
        line = pick_lines().get(pk=line.pk)
        return Response(PickLineSerializer(line).data)

    @extend_schema(
        summary="Close a pick wave",
        description="409 while one of its shipments is not packed (cancelled ones do not count).",
        tags=TAGS,
        request=None,
        responses={200: PickWaveDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, number=None):
        return self._detail(wave_close(wave=self.get_object(), actor=request.user))

    @extend_schema(
        summary="Cancel a pick wave",
        description="Its shipments still being picked go back to planned; packed ones stay packed.",
        tags=TAGS,
        request=WaveCancelSerializer,
        responses={200: PickWaveDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        data = WaveCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wave = wave_cancel(
            wave=self.get_object(), actor=request.user, reason=data.validated_data["reason"]
        )
        return self._detail(wave)


# --- packing and documents ----------------------------------------------------

SHIPMENT_PARAM = OpenApiParameter(
    "number", str, OpenApiParameter.PATH, description="shipment number"
)


class ShipmentPackView(ThrottleFirstMixin, IdempotentMixin, APIView):
    scope_domain = "logistics"
    action = "pack"
    action_permissions = {"pack": PACK}

    @extend_schema(
        operation_id="shipments_pack",
        summary="Pack by scan: one scanned barcode (or typed SKU) into the box",
        description=(
            "Adds `quantity` units to the shipment's line of that product. When every unit is "
            "packed the shipment becomes `packed`. 400 `invalid` (`code`) for an unknown code or "
            "a product not on the shipment; 409 `conflict` for more units than the line has "
            "or a shipment that is not being picked."
        ),
        tags=TAGS,
        parameters=[SHIPMENT_PARAM],
        request=PackSerializer,
        responses={200: PackResultSerializer},
        examples=[OpenApiExample("A scan", value={"code": "6901234567892"}, request_only=True)],
    )
    def post(self, request, number):
        shipment = get_object_or_404(Shipment, number=number)
        data = PackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        line = pack_scan(shipment=shipment, actor=request.user, **data.validated_data)
        shipment = shipment_for_packing().get(pk=shipment.pk)
        line = next(item for item in shipment.lines.all() if item.pk == line.pk)
        return Response(PackResultSerializer({"shipment": shipment, "line": line}).data)


class PdfRenderer(BaseRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else json.dumps(data).encode()


class ShipmentDocumentView(ThrottleFirstMixin, APIView):
    """GET a shipment's PDF. Errors stay JSON even when the client asked for PDF."""

    scope_domain = "logistics"
    action = "document"
    action_permissions = {"document": VIEW}
    renderer_classes = [JSONRenderer, PdfRenderer]
    kind = "label"

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    def get(self, request, number):
        shipment = get_object_or_404(
            Shipment.objects.select_related("order", "warehouse", "carrier"), number=number
        )
        return shipment_document(request, shipment, self.kind)


PDF_RESPONSES = {
    (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="the PDF"),
}


class ShippingLabelView(ShipmentDocumentView):
    kind = "label"

    @extend_schema(
        operation_id="shipments_label_pdf",
        summary="Shipping label (PDF, 100 × 150 mm)",
        description="Sender, recipient with a masked phone, carrier, tracking number, weight, "
        "order number, a Code128 barcode of the shipment number and a QR code of the "
        "customer's tracking link.",
        tags=TAGS,
        parameters=[SHIPMENT_PARAM],
        responses=PDF_RESPONSES,
    )
    def get(self, request, number):
        return super().get(request, number)


class PackingSlipView(ShipmentDocumentView):
    kind = "slip"

    @extend_schema(
        operation_id="shipments_slip_pdf",
        summary="Packing slip (PDF, A4)",
        description="Order and shipment numbers, every line with SKU, name, quantity and units "
        "packed, the shipment's barcode and the tracking QR code.",
        tags=TAGS,
        parameters=[SHIPMENT_PARAM],
        responses=PDF_RESPONSES,
    )
    def get(self, request, number):
        return super().get(request, number)

"""Returns and exchanges (RMA) over the API: request (JSON, or multipart with
photos), list with filters, read with lines, photos, refunds and timeline,
one action per step: approve, reject, label, receive, inspect, refund,
exchange, cancel; and the photos themselves.

Staff see the returns their role may see (aftersales.selectors.returns_visible_to);
integration tokens see all of them."""

import json

from django.http import Http404, QueryDict
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from oauth2_provider.models import AbstractAccessToken
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from aftersales.filters.returns import ReturnRequestFilter
from aftersales.models import ReturnPhoto
from aftersales.selectors import return_detail, return_list, returns_visible_to
from aftersales.serializers.returns import (
    ReturnApproveSerializer,
    ReturnCreateSerializer,
    ReturnInspectSerializer,
    ReturnLabelSerializer,
    ReturnReasonSerializer,
    ReturnReceiveSerializer,
    ReturnRefundSerializer,
    ReturnRequestDetailSerializer,
    ReturnRequestSerializer,
)
from aftersales.services.returns import (
    return_approve,
    return_cancel,
    return_exchange,
    return_inspect,
    return_label_issue,
    return_receive,
    return_refund,
    return_reject,
    return_request_create,
)
from aftersales.views.returns import photo_response
from erp.core.api.views import CreateReadViewSet

TAGS = ["aftersales"]
APPROVE = "aftersales.approve_returnrequest"
RECEIVE = "aftersales.receive_returnrequest"
CREATE_EXAMPLE = {
    "order": "SO-20261122-00042",
    "kind": "return",
    "reason": "尺码不合适",
    "lines": [{"order_line": 1, "quantity": 2, "condition": "unopened"}],
}


def _write(summary, request, description=""):
    return extend_schema(
        summary=summary,
        tags=TAGS,
        request=request,
        responses={200: ReturnRequestDetailSerializer},
        description=(description + " " if description else "")
        + "409 `transition_not_allowed` when the return's status does not allow it.",
    )


def _payload(request) -> dict:
    """The request body as a dict; in a multipart form `lines` is a JSON
    string and `photos` are the files sent under that name."""
    if not isinstance(request.data, QueryDict):
        return request.data
    data = {key: request.data.get(key) for key in request.data if key != "photos"}
    raw = data.get("lines")
    if isinstance(raw, str):
        try:
            data["lines"] = json.loads(raw)
        except ValueError:
            raise serializers.ValidationError(
                {"lines": [_("Send the lines as a JSON list.")]}
            ) from None
    photos = request.FILES.getlist("photos")
    if photos:
        data["photos"] = photos
    return data


@extend_schema_view(
    list=extend_schema(
        summary="List returns and exchanges",
        description="Filter by `status` (repeatable), `kind`, `order` (number), `customer` "
        "(code), `warehouse` (code), `requested_from`/`requested_to` (dates), `q` (return, "
        "order, ticket or waybill number, customer).",
        tags=TAGS,
    ),
    retrieve=extend_schema(
        summary="One return with its lines, photos, refunds and timeline", tags=TAGS
    ),
    create=extend_schema(
        summary="Request a return or an exchange of delivered goods",
        description="JSON, or multipart with `lines` as a JSON string and image files under "
        "`photos`. Each line may ask for at most what was delivered less what was returned "
        "and what other open returns ask for, within the return window: 400 naming "
        "`lines[i].quantity` or `lines[i].order_line` otherwise. A reason is required unless "
        "the return policy needs none. Without `ticket`, a return/exchange ticket is opened.",
        tags=TAGS,
        request={
            "application/json": ReturnCreateSerializer,
            "multipart/form-data": ReturnCreateSerializer,
        },
        responses={201: ReturnRequestDetailSerializer},
        examples=[OpenApiExample("Two units back", value=CREATE_EXAMPLE, request_only=True)],
    ),
)
class ReturnRequestViewSet(CreateReadViewSet):
    scope_domain = "aftersales"
    queryset = return_list()
    filterset_class = ReturnRequestFilter
    lookup_field = "number"
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    action_permissions = {
        "create": ["aftersales.add_returnrequest"],
        "approve": [APPROVE],
        "reject": [APPROVE],
        "label": ["aftersales.change_returnrequest"],
        "receive": [RECEIVE],
        "inspect": [RECEIVE],
        "refund": [APPROVE, "orders.add_refund"],
        "exchange": [APPROVE],
        "cancel": ["aftersales.change_returnrequest"],
        "photo": ["aftersales.view_returnrequest"],
    }

    def _by_token(self) -> bool:
        return isinstance(self.request.auth, AbstractAccessToken)

    def get_queryset(self):
        queryset = return_list() if self.action == "list" else return_detail()
        return queryset if self._by_token() else returns_visible_to(self.request.user, queryset)

    def get_serializer_class(self):
        return ReturnRequestSerializer if self.action == "list" else ReturnRequestDetailSerializer

    def _detail(self, rma, code=status.HTTP_200_OK):
        rma = return_detail().get(pk=rma.pk)
        return Response(
            ReturnRequestDetailSerializer(rma, context={"request": self.request}).data,
            status=code,
        )

    def _valid(self, serializer_class):
        data = serializer_class(data=_payload(self.request), context={"request": self.request})
        data.is_valid(raise_exception=True)
        return data.validated_data

    def create(self, request, *args, **kwargs):
        data = self._valid(ReturnCreateSerializer)
        channel = data.get("channel") or ("api" if self._by_token() else "phone")
        rma = return_request_create(
            order=data["order"],
            kind=data["kind"],
            reason=data["reason"],
            ticket=data.get("ticket"),
            channel=channel,
            photos=data.get("photos", ()),
            lines=[
                {
                    "order_line": line["order_line"],
                    "quantity": line["quantity"],
                    "reason": line["reason"],
                    "condition": line["condition"],
                    "replacement_product": line.get("replacement_product"),
                }
                for line in data["lines"]
            ],
            actor=request.user,
        )
        return self._detail(rma, status.HTTP_201_CREATED)

    @_write("Approve: the customer may send the goods back", ReturnApproveSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, number=None):
        data = self._valid(ReturnApproveSerializer)
        rma = return_approve(rma=self.get_object(), reason=data["reason"], actor=request.user)
        return self._detail(rma)

    @_write("Reject, with the reason the customer is told", ReturnReasonSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, number=None):
        data = self._valid(ReturnReasonSerializer)
        rma = return_reject(rma=self.get_object(), reason=data["reason"], actor=request.user)
        return self._detail(rma)

    @_write(
        "Issue the return label: the goods are on their way back",
        ReturnLabelSerializer,
        "The return becomes `awaiting_receipt`.",
    )
    @action(detail=True, methods=["post"])
    def label(self, request, number=None):
        data = self._valid(ReturnLabelSerializer)
        rma = return_label_issue(rma=self.get_object(), actor=request.user, **data)
        return self._detail(rma)

    @_write(
        "Receive the goods into a warehouse's stock or quarantine",
        ReturnReceiveSerializer,
        "Into `stock`: a RETURN stock move per line at once. Into `quarantine`: no stock move "
        "until inspection restocks it. Per line at most what was requested (400 naming "
        "`lines[i].quantity`).",
    )
    @action(detail=True, methods=["post"])
    def receive(self, request, number=None):
        data = self._valid(ReturnReceiveSerializer)
        lines = data.get("lines")
        rma = return_receive(
            rma=self.get_object(),
            warehouse=data["warehouse"],
            receive_into=data["receive_into"],
            lines=None if lines is None else [dict(line) for line in lines],
            actor=request.user,
        )
        return self._detail(rma)

    @_write(
        "Inspect: restock, scrap or send to repair, per received line",
        ReturnInspectSerializer,
        "Every line with units received needs a disposition. Scrapping stock writes a SCRAP "
        "move; a repair opens one repair order per unit.",
    )
    @action(detail=True, methods=["post"])
    def inspect(self, request, number=None):
        data = self._valid(ReturnInspectSerializer)
        rma = return_inspect(
            rma=self.get_object(), lines=[dict(line) for line in data["lines"]], actor=request.user
        )
        return self._detail(rma)

    @_write(
        "Refund the goods received",
        ReturnRefundSerializer,
        "Without `amount`, the value of the goods received (unit price less the line "
        "discount's share). Recorded as a refund of the order; 409 `refund_exceeds_paid` when "
        "the order's refunds would exceed its payments (nothing is written).",
    )
    @action(detail=True, methods=["post"])
    def refund(self, request, number=None):
        data = self._valid(ReturnRefundSerializer)
        rma = return_refund(
            rma=self.get_object(),
            amount=data.get("amount"),
            reason=data["reason"],
            actor=request.user,
        )
        return self._detail(rma)

    @_write(
        "Exchange: create the replacement order",
        None,
        "A new order on the same channel for the same customer and address, linked as "
        "`replacement_order`, with `price_difference` = replacement value - returned value; "
        "a negative difference is refunded. The returned goods' value pays the replacement "
        "(payment method `exchange`) and is recorded as a refund of the original order "
        "(reason: exchange credit), so both orders together never refund more than was paid: "
        "409 `refund_exceeds_paid` when the original order has not that much left.",
    )
    @action(detail=True, methods=["post"])
    def exchange(self, request, number=None):
        rma = return_exchange(rma=self.get_object(), actor=request.user)
        return self._detail(rma)

    @_write("Cancel before the goods arrive (a reason is required)", ReturnReasonSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        data = self._valid(ReturnReasonSerializer)
        rma = return_cancel(rma=self.get_object(), reason=data["reason"], actor=request.user)
        return self._detail(rma)

    @extend_schema(
        summary="A photo of the return (JPEG, PNG or WebP)",
        description="The `url` of each of the return's `photos`; 404 for a return the caller "
        "may not see.",
        tags=TAGS,
        responses={
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
            (200, "image/webp"): OpenApiTypes.BINARY,
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"photos/(?P<photo_id>\d+)",
        url_name="photo",
    )
    def photo(self, request, number=None, photo_id=None):
        rma = self.get_object()
        found = ReturnPhoto.objects.filter(pk=photo_id, request=rma).first()
        if found is None:
            raise Http404
        return photo_response(found)


def register(router) -> None:
    router.register("returns", ReturnRequestViewSet, basename="return")

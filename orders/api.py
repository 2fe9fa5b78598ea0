from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from erp.core.api.errors import error_body, flatten_errors
from erp.core.api.views import CreateReadViewSet, CrudViewSet
from erp.core.errors import DomainError
from orders.filters import OrderFilter, SalesChannelFilter
from orders.selectors import channel_list, order_detail, order_list
from orders.serializers import (
    BulkOrdersSerializer,
    OrderActionSerializer,
    OrderCreateSerializer,
    OrderDetailSerializer,
    OrderListSerializer,
    SalesChannelSerializer,
    SalesChannelWriteSerializer,
)
from orders.services import (
    channel_create,
    channel_update,
    order_cancel,
    order_confirm,
    order_create,
    order_hold,
    order_release,
)

ORDER_EXAMPLE = {
    "channel": "TMALL",
    "external_ref": "TM20261122000123",
    "customer": {"name": "王芳", "phone": "13800138000", "email": "wang.fang@example.com"},
    "shipping_address": {
        "recipient": "王芳",
        "phone": "13800138000",
        "province": "上海市",
        "city": "上海市",
        "district": "浦东新区",
        "street": "世纪大道100号",
        "postcode": "200120",
    },
    "promised_date": "2026-11-28",
    "currency": "CNY",
    "lines": [{"sku": "TEA-0001", "quantity": 2, "unit_price": "168.00"}],
    "campaign_code": "CP-202611-001",
}


@extend_schema_view(
    list=extend_schema(summary="List sales channels", tags=["orders"]),
    retrieve=extend_schema(summary="One sales channel", tags=["orders"]),
    create=extend_schema(
        summary="Create a sales channel",
        tags=["orders"],
        request=SalesChannelWriteSerializer,
        responses={201: SalesChannelSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a sales channel", tags=["orders"], request=SalesChannelWriteSerializer
    ),
    update=extend_schema(
        summary="Replace a sales channel's settings",
        tags=["orders"],
        request=SalesChannelWriteSerializer,
    ),
    destroy=extend_schema(summary="Delete a channel never used (409 otherwise)", tags=["orders"]),
)
class SalesChannelViewSet(CrudViewSet):
    scope_domain = "orders"
    queryset = channel_list()
    serializer_class = SalesChannelSerializer
    write_serializer_class = SalesChannelWriteSerializer
    filterset_class = SalesChannelFilter
    lookup_field = "code"

    def create_service(self, **fields):
        return channel_create(**fields)

    def update_service(self, instance, **changes):
        return channel_update(channel=instance, **changes)


ACTIONS = {
    "confirm": order_confirm,
    "cancel": order_cancel,
    "hold": order_hold,
    "release": order_release,
}


def _action_schema(name: str, summary: str):
    return extend_schema(
        summary=summary,
        tags=["orders"],
        request=OrderActionSerializer,
        responses={200: OrderDetailSerializer},
        description=(
            "409 `transition_not_allowed` when the order's status does not allow it"
            + (
                "; 409 `insufficient_stock` when stock is short and the channel "
                "takes no backorders."
                if name == "confirm"
                else "."
            )
        ),
    )


@extend_schema_view(
    list=extend_schema(
        summary="List orders",
        description="Filter by `status` (repeatable), `channel`, `customer` (code), "
        "`promised_from`/`promised_to`, `at_risk=true`, "
        "`q` (number, channel order number, customer).",
        tags=["orders"],
    ),
    retrieve=extend_schema(
        summary="One order with lines, reservations and events", tags=["orders"]
    ),
    create=extend_schema(
        summary="Submit an order",
        description=(
            "201 with the new order. The same `channel` + `external_ref` again with the same "
            "content answers 200 with the existing order; with other content 409 "
            "`duplicate_conflict`. Channels that confirm automatically allocate stock at once. "
            "An optional `campaign_code` attributes the order to a marketing campaign; an "
            "unknown code answers 400 naming `campaign_code`."
        ),
        tags=["orders"],
        request=OrderCreateSerializer,
        responses={201: OrderDetailSerializer, 200: OrderDetailSerializer},
        examples=[OpenApiExample("Marketplace order", value=ORDER_EXAMPLE, request_only=True)],
    ),
    confirm=_action_schema("confirm", "Confirm: allocate and reserve stock"),
    cancel=_action_schema("cancel", "Cancel (a reason is required); releases reservations"),
    hold=_action_schema("hold", "Put on hold"),
    release=_action_schema("release", "Release from hold"),
)
class OrderViewSet(CreateReadViewSet):
    scope_domain = "orders"
    queryset = order_list()
    filterset_class = OrderFilter
    lookup_field = "number"
    action_permissions = {
        "confirm": ["orders.change_order"],
        "cancel": ["orders.change_order"],
        "hold": ["orders.change_order"],
        "release": ["orders.change_order"],
        "bulk": ["orders.add_order"],
    }

    def get_queryset(self):
        return order_detail() if self.action != "list" else order_list()

    def get_serializer_class(self):
        return OrderListSerializer if self.action == "list" else OrderDetailSerializer

    def _detail(self, order, code=status.HTTP_200_OK):
        order = order_detail().get(pk=order.pk)
        return Response(
            OrderDetailSerializer(order, context={"request": self.request}).data, status=code
        )

    def create(self, request, *args, **kwargs):
        data = OrderCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order, created = order_create(actor=request.user, **data.service_kwargs())
        return self._detail(order, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def _run(self, name, request):
        data = OrderActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = self.get_object()
        ACTIONS[name](order=order, actor=request.user, reason=data.validated_data["reason"])
        return self._detail(order)

    @action(detail=True, methods=["post"])
    def confirm(self, request, number=None):
        return self._run("confirm", request)

    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        return self._run("cancel", request)

    @action(detail=True, methods=["post"])
    def hold(self, request, number=None):
        return self._run("hold", request)

    @action(detail=True, methods=["post"])
    def release(self, request, number=None):
        return self._run("release", request)

    @extend_schema(
        summary="Submit up to 500 orders at once",
        description="Each order is all-or-nothing on its own; the answer says per order "
        "`created`, `duplicate` (with the existing number) or `error` (with the error).",
        tags=["orders"],
        request=BulkOrdersSerializer,
        responses={
            200: inline_serializer(
                "BulkOrdersResult",
                {
                    "created": serializers.IntegerField(),
                    "duplicates": serializers.IntegerField(),
                    "errors": serializers.IntegerField(),
                    "results": serializers.ListField(child=serializers.DictField()),
                },
            )
        },
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        envelope = BulkOrdersSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        results = [
            self._bulk_one(index, body)
            for index, body in enumerate(envelope.validated_data["orders"])
        ]
        counts = {
            k: sum(1 for r in results if r["result"] == k)
            for k in ("created", "duplicate", "error")
        }
        return Response(
            {
                "created": counts["created"],
                "duplicates": counts["duplicate"],
                "errors": counts["error"],
                "results": results,
            }
        )

    def _bulk_one(self, index: int, body: dict) -> dict:
        data = OrderCreateSerializer(data=body)
        if not data.is_valid():
            fields = flatten_errors(data.errors)
            first = next(iter(fields.items()))
            return {
                "index": index,
                "result": "error",
                **error_body("invalid", f"{first[0]}: {first[1][0]}", fields),
            }
        try:
            order, created = order_create(actor=self.request.user, **data.service_kwargs())
        except DomainError as exc:
            return {
                "index": index,
                "result": "error",
                **error_body(
                    exc.code, exc.message, {exc.field: [exc.message]} if exc.field else {}
                ),
            }
        return {
            "index": index,
            "result": "created" if created else "duplicate",
            "number": order.number,
            "status": order.status,
        }

from django.db import transaction
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from erp.core.api.views import CreateReadViewSet, CrudViewSet, ReadOnlyViewSet
from inventory.filters import (
    ProductFilter,
    StockCountFilter,
    StockLevelFilter,
    StockMoveFilter,
    WarehouseFilter,
)
from inventory.selectors import (
    product_list,
    stock_count_list,
    stock_level_list,
    stock_move_list,
    warehouse_list,
)
from inventory.serializers import (
    ProductCreateSerializer,
    ProductSerializer,
    StockCountCreateSerializer,
    StockCountEntriesSerializer,
    StockCountSerializer,
    StockLevelSerializer,
    StockMoveCreateSerializer,
    StockMoveSerializer,
    WarehouseSerializer,
    WarehouseWriteSerializer,
)
from inventory.services import (
    product_create,
    product_update,
    stock_count_approve,
    stock_count_cancel,
    stock_count_open,
    stock_count_record,
    stock_count_submit,
    stock_move_enter,
    warehouse_create,
    warehouse_update,
)


@extend_schema_view(
    list=extend_schema(summary="List products", tags=["inventory"]),
    retrieve=extend_schema(summary="One product", tags=["inventory"]),
    partial_update=extend_schema(
        summary="Change a product", tags=["inventory"], request=ProductCreateSerializer
    ),
    update=extend_schema(
        summary="Replace a product's details", tags=["inventory"], request=ProductCreateSerializer
    ),
    destroy=extend_schema(
        summary="Delete a product never used (409 otherwise)", tags=["inventory"]
    ),
    create=extend_schema(
        summary="Create a product",
        tags=["inventory"],
        request=ProductCreateSerializer,
        responses={201: ProductSerializer},
        examples=[
            OpenApiExample(
                "Product",
                value={
                    "sku": "TEA-LJ-250",
                    "name": "西湖龙井 250g",
                    "barcode": "6901234567892",
                    "category": "茶叶",
                    "list_price": "168.00",
                    "weight_kg": "0.300",
                },
                request_only=True,
            )
        ],
    ),
)
class ProductViewSet(CrudViewSet):
    scope_domain = "inventory"
    queryset = product_list()
    serializer_class = ProductSerializer
    write_serializer_class = ProductCreateSerializer
    filterset_class = ProductFilter
    lookup_field = "sku"

    def create_service(self, **fields):
        return product_create(**fields)

    def update_service(self, instance, **changes):
        return product_update(product=instance, **changes)


@extend_schema_view(
    list=extend_schema(summary="List warehouses", tags=["inventory"]),
    retrieve=extend_schema(summary="One warehouse", tags=["inventory"]),
    create=extend_schema(
        summary="Create a warehouse",
        tags=["inventory"],
        request=WarehouseWriteSerializer,
        responses={201: WarehouseSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a warehouse", tags=["inventory"], request=WarehouseWriteSerializer
    ),
    update=extend_schema(
        summary="Replace a warehouse's details",
        tags=["inventory"],
        request=WarehouseWriteSerializer,
    ),
    destroy=extend_schema(
        summary="Delete a warehouse never used (409 otherwise)", tags=["inventory"]
    ),
)
class WarehouseViewSet(CrudViewSet):
    scope_domain = "inventory"
    queryset = warehouse_list()
    serializer_class = WarehouseSerializer
    write_serializer_class = WarehouseWriteSerializer
    filterset_class = WarehouseFilter
    lookup_field = "code"

    def create_service(self, **fields):
        return warehouse_create(**fields)

    def update_service(self, instance, **changes):
        return warehouse_update(warehouse=instance, **changes)


@extend_schema_view(
    list=extend_schema(
        summary="Stock levels (on hand, reserved, available)",
        description="Filter with `?sku=` and `?warehouse=` (warehouse code), `?low=true`.",
        tags=["inventory"],
    ),
    retrieve=extend_schema(summary="One stock level", tags=["inventory"]),
)
class StockLevelViewSet(ReadOnlyViewSet):
    scope_domain = "inventory"
    queryset = stock_level_list()
    serializer_class = StockLevelSerializer
    filterset_class = StockLevelFilter


def _stock_move_example(name, value):
    return OpenApiExample(name, value=value, request_only=True)


@extend_schema_view(
    list=extend_schema(summary="The stock ledger", tags=["inventory"]),
    retrieve=extend_schema(summary="One stock move", tags=["inventory"]),
    create=extend_schema(
        summary="Receive, adjust, scrap, return or transfer stock",
        description=(
            "Answers 201 with the moves written (a transfer writes two). A decrease that "
            "would take reserved or missing stock is 409 `insufficient_stock`."
        ),
        tags=["inventory"],
        request=StockMoveCreateSerializer,
        responses={201: StockMoveSerializer(many=True)},
        examples=[
            _stock_move_example(
                "Receipt",
                {
                    "kind": "receipt",
                    "sku": "TEA-0001",
                    "warehouse": "SH01",
                    "quantity": 120,
                    "unit_cost": "52.50",
                    "reference": "PO-2026-1107",
                },
            ),
            _stock_move_example(
                "Transfer",
                {
                    "kind": "transfer",
                    "sku": "TEA-0001",
                    "warehouse": "SH01",
                    "to_warehouse": "BJ01",
                    "quantity": 20,
                },
            ),
            _stock_move_example(
                "Scrap",
                {
                    "kind": "scrap",
                    "sku": "TEA-0001",
                    "warehouse": "SH01",
                    "quantity": -2,
                    "note": "包装破损",
                },
            ),
        ],
    ),
)
class StockMoveViewSet(CreateReadViewSet):
    scope_domain = "inventory"
    queryset = stock_move_list()
    serializer_class = StockMoveSerializer
    filterset_class = StockMoveFilter

    def create(self, request, *args, **kwargs):
        data = StockMoveCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        moves = stock_move_enter(actor=request.user, product=fields.pop("sku"), **fields)
        return Response(StockMoveSerializer(moves, many=True).data, status=status.HTTP_201_CREATED)


COUNT_ACTIONS = {
    "submit": stock_count_submit,
    "approve": stock_count_approve,
    "cancel": stock_count_cancel,
}


def _count_action(summary):
    return extend_schema(
        summary=summary, tags=["inventory"], request=None, responses={200: StockCountSerializer}
    )


@extend_schema_view(
    list=extend_schema(summary="Cycle counts", tags=["inventory"]),
    retrieve=extend_schema(
        summary="One cycle count; book figures are hidden while a blind count is open",
        tags=["inventory"],
    ),
    create=extend_schema(
        summary="Open a cycle count (all products of the warehouse, or the given SKUs)",
        tags=["inventory"],
        request=StockCountCreateSerializer,
        responses={201: StockCountSerializer},
    ),
    count=extend_schema(
        summary="Enter counted quantities",
        tags=["inventory"],
        request=StockCountEntriesSerializer,
        responses={200: StockCountSerializer},
    ),
    submit=_count_action("Submit a fully counted count for approval"),
    approve=_count_action("Approve and post the variances (by someone other than the submitter)"),
    cancel=_count_action("Cancel a count"),
)
class StockCountViewSet(CreateReadViewSet):
    scope_domain = "inventory"
    queryset = stock_count_list()
    serializer_class = StockCountSerializer
    filterset_class = StockCountFilter
    lookup_field = "number"
    action_permissions = {
        "count": ["inventory.change_stockcount"],
        "submit": ["inventory.change_stockcount"],
        "cancel": ["inventory.change_stockcount"],
        "approve": ["inventory.approve_stockcount"],
    }

    def _answer(self, count, code=status.HTTP_200_OK):
        count = stock_count_list().get(pk=count.pk)
        return Response(StockCountSerializer(count).data, status=code)

    def create(self, request, *args, **kwargs):
        data = StockCountCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        count = stock_count_open(
            warehouse=fields["warehouse"],
            products=fields.get("skus") or None,
            blind=fields["blind"],
            note=fields["note"],
            actor=request.user,
        )
        return self._answer(count, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def count(self, request, number=None):
        data = StockCountEntriesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        count = self.get_object()
        with transaction.atomic():
            for entry in data.validated_data["lines"]:
                stock_count_record(
                    count=count, product=entry["sku"], counted=entry["counted"], actor=request.user
                )
        return self._answer(count)

    def _act(self, name):
        count = self.get_object()
        COUNT_ACTIONS[name](count=count, actor=self.request.user)
        return self._answer(count)

    @action(detail=True, methods=["post"])
    def submit(self, request, number=None):
        return self._act("submit")

    @action(detail=True, methods=["post"])
    def approve(self, request, number=None):
        return self._act("approve")

    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        return self._act("cancel")

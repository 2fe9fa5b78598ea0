from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from erp.core.api.views import CreateReadViewSet, ReadOnlyViewSet
from inventory.filters import ProductFilter, WarehouseFilter
from inventory.selectors import product_list, warehouse_list
from inventory.serializers import ProductCreateSerializer, ProductSerializer, WarehouseSerializer
from inventory.services import product_create


@extend_schema_view(
    list=extend_schema(summary="List products", tags=["inventory"]),
    retrieve=extend_schema(summary="One product", tags=["inventory"]),
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
class ProductViewSet(CreateReadViewSet):
    scope_domain = "inventory"
    queryset = product_list()
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    lookup_field = "sku"

    def create(self, request, *args, **kwargs):
        data = ProductCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        product = product_create(**data.validated_data)
        return Response(ProductSerializer(product).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List warehouses", tags=["inventory"]),
    retrieve=extend_schema(summary="One warehouse", tags=["inventory"]),
)
class WarehouseViewSet(ReadOnlyViewSet):
    scope_domain = "inventory"
    queryset = warehouse_list()
    serializer_class = WarehouseSerializer
    filterset_class = WarehouseFilter
    lookup_field = "code"

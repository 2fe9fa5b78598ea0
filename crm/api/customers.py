from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from crm.filters import CustomerFilter
from crm.selectors import customer_list
from crm.serializers.customers import CustomerCreateSerializer, CustomerSerializer
from crm.services import customer_create
from erp.core.api.views import CreateReadViewSet


@extend_schema_view(
    list=extend_schema(summary="List customers", tags=["customers"]),
    retrieve=extend_schema(summary="One customer", tags=["customers"]),
    create=extend_schema(
        summary="Create a customer",
        tags=["customers"],
        request=CustomerCreateSerializer,
        responses={201: CustomerSerializer},
        examples=[
            OpenApiExample(
                "New consumer",
                value={
                    "name": "王芳",
                    "phone": "13800138000",
                    "email": "wang.fang@example.com",
                    "address": {
                        "recipient": "王芳",
                        "phone": "13800138000",
                        "province": "上海市",
                        "city": "上海市",
                        "district": "浦东新区",
                        "street": "世纪大道100号",
                        "postcode": "200120",
                    },
                },
                request_only=True,
            )
        ],
    ),
)
class CustomerViewSet(CreateReadViewSet):
    scope_domain = "crm"
    queryset = customer_list()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    lookup_field = "code"

    def create(self, request, *args, **kwargs):
        data = CustomerCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = customer_create(**data.validated_data)
        return Response(CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    router.register("customers", CustomerViewSet, basename="customer")

from drf_spectacular.utils import extend_schema, extend_schema_view

from erp.core.api.views import ReadOnlyViewSet
from logistics.filters import CarrierFilter
from logistics.selectors import carrier_list
from logistics.serializers import CarrierSerializer


@extend_schema_view(
    list=extend_schema(summary="List carriers", tags=["logistics"]),
    retrieve=extend_schema(summary="One carrier", tags=["logistics"]),
)
class CarrierViewSet(ReadOnlyViewSet):
    scope_domain = "logistics"
    queryset = carrier_list()
    serializer_class = CarrierSerializer
    filterset_class = CarrierFilter
    lookup_field = "code"

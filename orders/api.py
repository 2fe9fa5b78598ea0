from drf_spectacular.utils import extend_schema, extend_schema_view

from erp.core.api.views import ReadOnlyViewSet
from orders.filters import SalesChannelFilter
from orders.selectors import channel_list
from orders.serializers import SalesChannelSerializer


@extend_schema_view(
    list=extend_schema(summary="List sales channels", tags=["orders"]),
    retrieve=extend_schema(summary="One sales channel", tags=["orders"]),
)
class SalesChannelViewSet(ReadOnlyViewSet):
    scope_domain = "orders"
    queryset = channel_list()
    serializer_class = SalesChannelSerializer
    filterset_class = SalesChannelFilter
    lookup_field = "code"

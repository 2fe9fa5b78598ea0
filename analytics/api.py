from drf_spectacular.utils import extend_schema, extend_schema_view

from analytics.filters import KpiTargetFilter
from analytics.selectors import target_list
from analytics.serializers import KpiTargetSerializer
from erp.core.api.views import ReadOnlyViewSet


@extend_schema_view(
    list=extend_schema(summary="List KPI targets", tags=["analytics"]),
    retrieve=extend_schema(summary="One KPI target", tags=["analytics"]),
)
class KpiTargetViewSet(ReadOnlyViewSet):
    scope_domain = "analytics"
    queryset = target_list()
    serializer_class = KpiTargetSerializer
    filterset_class = KpiTargetFilter
    lookup_field = "kpi"

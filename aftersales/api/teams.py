from drf_spectacular.utils import extend_schema, extend_schema_view

from aftersales.filters import ServiceTeamFilter
from aftersales.selectors import team_list
from aftersales.serializers.teams import ServiceTeamSerializer
from erp.core.api.views import ReadOnlyViewSet


@extend_schema_view(
    list=extend_schema(summary="List after-sales teams", tags=["aftersales"]),
    retrieve=extend_schema(summary="One after-sales team", tags=["aftersales"]),
)
class ServiceTeamViewSet(ReadOnlyViewSet):
    scope_domain = "aftersales"
    queryset = team_list()
    serializer_class = ServiceTeamSerializer
    filterset_class = ServiceTeamFilter
    lookup_field = "code"


def register(router) -> None:
    router.register("aftersales/teams", ServiceTeamViewSet, basename="team")

"""Interactions over the API: list, read and log."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from crm.filters.interactions import InteractionFilter
from crm.selectors import interaction_list
from crm.serializers.interactions import InteractionCreateSerializer, InteractionSerializer
from crm.services.interactions import interaction_log
from erp.core.api.views import CreateReadViewSet

TAGS = ["customers"]


@extend_schema_view(
    list=extend_schema(
        summary="List interactions",
        description="Filter by `customer` (code), `kind` (repeatable), `direction`, `staff` "
        "(username), `by_system=true|false`, `occurred_from`/`occurred_to`, `q`.",
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="One interaction", tags=TAGS),
    create=extend_schema(
        summary="Log an interaction with a customer",
        description="400 naming the field: `customer` when the customer was merged into "
        "another, `contact` of another customer, `occurred_at` in the future.",
        tags=TAGS,
        request=InteractionCreateSerializer,
        responses={201: InteractionSerializer},
        examples=[
            OpenApiExample(
                "A call",
                value={
                    "customer": "C000123",
                    "kind": "call",
                    "direction": "outbound",
                    "subject": "Asked about the delayed order",
                    "body": "Promised delivery on Friday.",
                },
                request_only=True,
            )
        ],
    ),
)
class InteractionViewSet(CreateReadViewSet):
    scope_domain = "crm"
    queryset = interaction_list()
    serializer_class = InteractionSerializer
    filterset_class = InteractionFilter

    def create(self, request, *args, **kwargs):
        data = InteractionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        interaction = interaction_log(actor=request.user, **data.validated_data)
        return Response(
            InteractionSerializer(interaction_list().get(pk=interaction.pk)).data,
            status=status.HTTP_201_CREATED,
        )


def register(router) -> None:
    router.register("interactions", InteractionViewSet, basename="interaction")

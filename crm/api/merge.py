"""Customer merges over the API: the history, and undoing the latest merge
into a customer. Merging itself is POST /api/v1/customers/{code}/merge/."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.filters.customers import CustomerMergeFilter
from crm.selectors import merge_list
from crm.serializers.merge import CustomerMergeSerializer
from crm.services.merge import customer_merge_undo
from erp.core.api.views import ReadOnlyViewSet

TAGS = ["customers"]


@extend_schema_view(
    list=extend_schema(
        summary="List customer merges",
        description="Newest first. Filter by `customer` (code of either customer), `undone`, "
        "`since`/`until` (dates).",
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="One customer merge", tags=TAGS),
)
class CustomerMergeViewSet(ReadOnlyViewSet):
    scope_domain = "crm"
    queryset = merge_list()
    serializer_class = CustomerMergeSerializer
    filterset_class = CustomerMergeFilter
    action_permissions = {
        "list": ["crm.view_customermerge"],
        "retrieve": ["crm.view_customermerge"],
        "undo": ["crm.merge_customer"],
    }

    @extend_schema(
        summary="Undo a merge",
        description="The rows moved by the merge that still belong to the kept customer go "
        "back, the merged customer is active again as it was, and what the merge filled in "
        "on the kept customer is cleared. Only the latest merge into a customer can be "
        "undone: 409 `merge_refused` otherwise.",
        tags=TAGS,
        request=None,
        responses={200: CustomerMergeSerializer},
        examples=[OpenApiExample("No body", value={}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def undo(self, request, pk=None):
        merge = customer_merge_undo(merge=self.get_object(), actor=request.user)
        return Response(CustomerMergeSerializer(merge_list().get(pk=merge.pk)).data)


def register(router) -> None:
    router.register("customer-merges", CustomerMergeViewSet, basename="customer-merge")

"""Segments over the API: saved customer filters (CRUD), their live count,
their customers (paginated), the 7P analysis, and a count of a filter not
saved yet (`preview`)."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.filters.segments import MULTI_KEYS, SegmentCustomerFilter
from crm.selectors import segment_customers, segment_list, segment_seven_p
from crm.serializers.segments import (
    SegmentCountSerializer,
    SegmentCustomerSerializer,
    SegmentSerializer,
    SegmentWriteSerializer,
    SevenPSerializer,
)
from crm.services.segments import (
    segment_create,
    segment_delete,
    segment_filters_clean,
    segment_update,
)
from erp.core.api.views import CrudViewSet

TAGS = ["segments"]
VIEW = ["crm.view_segment"]
EXAMPLE = {
    "name": "VIPs who buy tea",
    "description": "For the autumn tea campaign",
    "filters": {"tier": ["vip", "gold"], "bought_category": "Tea", "bought_within_days": 180},
}


def _count(customers) -> dict:
    return {
        "customers": customers.count(),
        "consenting": customers.filter(marketing_consent=True).count(),
    }


def query_filters(query) -> dict:
    """A query string as segment filters (lists for the repeatable keys)."""
    return {
        key: query.getlist(key) if key in MULTI_KEYS else query.get(key)
        for key in query
        if key not in ("page", "page_size", "format")
    }


@extend_schema_view(
    list=extend_schema(summary="List customer segments", tags=TAGS),
    retrieve=extend_schema(summary="One customer segment", tags=TAGS),
    create=extend_schema(
        summary="Save a customer segment",
        description="400 naming the filter key for an unknown key or a bad value.",
        tags=TAGS,
        request=SegmentWriteSerializer,
        responses={201: SegmentSerializer},
        examples=[OpenApiExample("Segment", value=EXAMPLE, request_only=True)],
    ),
    partial_update=extend_schema(
        summary="Change a segment's name, description or filters",
        tags=TAGS,
        request=SegmentWriteSerializer,
        examples=[OpenApiExample("Segment", value=EXAMPLE, request_only=True)],
    ),
    update=extend_schema(
        summary="Replace a segment",
        tags=TAGS,
        request=SegmentWriteSerializer,
        examples=[OpenApiExample("Segment", value=EXAMPLE, request_only=True)],
    ),
    destroy=extend_schema(summary="Delete a segment no campaign used (409 otherwise)", tags=TAGS),
)
class SegmentViewSet(CrudViewSet):
    scope_domain = "crm"
    queryset = segment_list()
    serializer_class = SegmentSerializer
    write_serializer_class = SegmentWriteSerializer
    filterset_class = None
    action_permissions = {
        "customers": VIEW,
        "count": VIEW,
        "analysis": VIEW,
        "preview": VIEW,
    }

    def create_service(self, **fields):
        return segment_create(actor=self.request.user, **fields)

    def update_service(self, instance, **changes):
        return segment_update(segment=instance, actor=self.request.user, **changes)

    def destroy(self, request, *args, **kwargs):
        segment_delete(segment=self.get_object())
        return Response(status=204)

    @extend_schema(
        summary="The customers of a segment now (paginated)",
        description="Also `q` (code, name, phone, e-mail) and `ordering` (code, name, tier, "
        "lifetime_value, orders, last_order).",
        tags=TAGS,
        responses={200: SegmentCustomerSerializer(many=True)},
    )
    @action(detail=True, methods=["get"])
    def customers(self, request, pk=None):
        segment = self.get_object()
        customers = SegmentCustomerFilter(
            request.query_params, queryset=segment_customers(segment.filters)
        ).qs
        page = self.paginate_queryset(customers)
        return self.get_paginated_response(SegmentCustomerSerializer(page, many=True).data)

    @extend_schema(
        summary="How many customers a segment has now",
        tags=TAGS,
        responses={200: SegmentCountSerializer},
    )
    @action(detail=True, methods=["get"])
    def count(self, request, pk=None):
        return Response(_count(segment_customers(self.get_object().filters)))

    @extend_schema(
        summary="The 7P analysis of a segment",
        description="Profile, persistency, profitability, performance, prospecting, product, "
        "promotion: figures over the segment's customers now (scores of the last nightly run).",
        tags=TAGS,
        responses={200: SevenPSerializer},
    )
    @action(detail=True, methods=["get"])
    def analysis(self, request, pk=None):
        panel = segment_seven_p(segment_customers(self.get_object().filters))
        panel.pop("facts", None)
        return Response(SevenPSerializer(panel).data)

    @extend_schema(
        summary="Count the customers of filters not saved yet",
        description="The filters as query parameters (as in `filters` of a segment; repeat "
        "a key for a list). 400 naming the key for a bad one.",
        tags=TAGS,
        responses={200: SegmentCountSerializer},
    )
    @action(detail=False, methods=["get"])
    def preview(self, request):
        filters = segment_filters_clean(filters=query_filters(request.query_params))
        return Response(_count(segment_customers(filters)))


def register(router) -> None:
    router.register("segments", SegmentViewSet, basename="segment")

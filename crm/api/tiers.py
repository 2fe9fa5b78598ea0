from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.models import Customer, TierThreshold
from crm.serializers.tiers import (
    CustomerTierSerializer,
    CustomerTierWriteSerializer,
    TierThresholdSerializer,
    TierThresholdWriteSerializer,
)
from crm.services.scoring import customer_tier_override_set, tier_thresholds_update
from erp.core.api.views import IdempotentMixin, ReadOnlyViewSet, ThrottleFirstMixin

TAGS = ["customers"]


@extend_schema_view(
    list=extend_schema(summary="List the tier thresholds", tags=TAGS),
    retrieve=extend_schema(summary="One tier's thresholds", tags=TAGS),
    partial_update=extend_schema(
        summary="Change a tier's thresholds",
        description="Spend and orders in the last 12 months a customer needs for the tier. "
        "A higher tier never needs less than a lower one (400 naming the field, e.g. "
        "`gold_min_spend_12m`). Tiers follow at the next scoring.",
        tags=TAGS,
        request=TierThresholdWriteSerializer,
        examples=[
            OpenApiExample(
                "Gold from 12000",
                value={"min_spend_12m": "12000.00", "min_orders_12m": 5},
                request_only=True,
            )
        ],
    ),
)
class TierThresholdViewSet(ReadOnlyViewSet, mixins.UpdateModelMixin):
    scope_domain = "crm"
    queryset = TierThreshold.objects.all()
    serializer_class = TierThresholdSerializer
    lookup_field = "tier"
    http_method_names = ["get", "patch", "head", "options"]
    pagination_class = None

    def update(self, request, *args, **kwargs):
        row = self.get_object()
        # Partial: a field left out keeps its value. A body that is not a JSON
        # object is refused by the serializer (400), not unpacked here.
        data = TierThresholdWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = data.validated_data
        tier_thresholds_update(
            thresholds={
                row.tier: (
                    changes.get("min_spend_12m", row.min_spend_12m),
                    changes.get("min_orders_12m", row.min_orders_12m),
                )
            }
        )
        row.refresh_from_db()
        return Response(TierThresholdSerializer(row).data)


@extend_schema_view(
    tier=extend_schema(
        summary="Set or clear a customer's tier by hand",
        description="The tier applies at once and the nightly scoring keeps it until it is "
        'cleared with `"tier": ""`. A reason is required when setting one (400 on `reason`). '
        "Needs the permission crm.add_tierchange.",
        tags=TAGS,
        request=CustomerTierWriteSerializer,
        responses={200: CustomerTierSerializer},
        examples=[
            OpenApiExample(
                "Key account",
                value={"tier": "vip", "reason": "Key account, contract 2026-07"},
                request_only=True,
            )
        ],
    ),
)
class CustomerTierViewSet(ThrottleFirstMixin, IdempotentMixin, viewsets.GenericViewSet):
    scope_domain = "crm"
    queryset = Customer.objects.select_related("score")
    serializer_class = CustomerTierSerializer
    lookup_field = "code"
    action_permissions = {"tier": ["crm.add_tierchange"]}

    @action(detail=True, methods=["post"])
    def tier(self, request, code=None):
        data = CustomerTierWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = customer_tier_override_set(
            customer=self.get_object(), actor=request.user, **data.validated_data
        )
        customer = self.get_queryset().get(pk=customer.pk)
        return Response(CustomerTierSerializer(customer).data)


def register(router) -> None:
    router.register("tier-thresholds", TierThresholdViewSet, basename="tier-threshold")
    router.register("customers", CustomerTierViewSet, basename="customer-tier")

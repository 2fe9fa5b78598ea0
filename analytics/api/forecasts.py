"""GET /api/v1/forecasts/ and /api/v1/reorder-suggestions/: the demand
forecasts (history, forecast, interval, method, backtest) and the reorder
suggestions made from them. Read only; the nightly job writes them.

Who may call: an integrator's token with the analytics:read scope; staff
whose role may view them (warehouse managers, analysts, admins). Registered
in erp/api.py."""

from django.db.models import F
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.response import Response

from analytics.filters import ForecastRunFilter, ReorderSuggestionFilter
from analytics.models import ForecastRun, ReorderSuggestion
from analytics.selectors.forecasts import (
    demand_history,
    forecast_run_list,
    reorder_suggestion_list,
)
from erp.core.api.views import ReadOnlyViewSet

TAGS = ["analytics"]


class HistoryPointSerializer(serializers.Serializer):
    period = serializers.DateField(help_text="First day of the period.")
    units = serializers.IntegerField(help_text="Units ordered in the period.")


class ForecastPointSerializer(serializers.Serializer):
    period = serializers.DateField(source="period_start", help_text="First day of the period.")
    quantity = serializers.DecimalField(max_digits=14, decimal_places=2)
    lower = serializers.DecimalField(max_digits=14, decimal_places=2)
    upper = serializers.DecimalField(max_digits=14, decimal_places=2)


class ForecastSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    warehouse = serializers.CharField(
        source="warehouse.code",
        read_only=True,
        allow_null=True,
        help_text="Warehouse code; null for all warehouses together.",
    )
    model = serializers.CharField(source="model_label", read_only=True)
    beats_naive = serializers.BooleanField(read_only=True, allow_null=True)
    history = serializers.SerializerMethodField()
    forecast = ForecastPointSerializer(source="points", many=True, read_only=True)

    class Meta:
        model = ForecastRun
        fields = [
            "id",
            "product",
            "product_name",
            "warehouse",
            "granularity",
            "method",
            "model",
            "trend",
            "seasonal",
            "seasonal_periods",
            "history_start",
            "history_end",
            "history_periods",
            "demand_periods",
            "horizon",
            "sigma",
            "mase",
            "naive_mase",
            "beats_naive",
            "generated_at",
            "history",
            "forecast",
        ]
        read_only_fields = fields

    @extend_schema_field(HistoryPointSerializer(many=True))
    def get_history(self, run: ForecastRun) -> list[dict]:
        history = self.context.get("history", {})
        rows = history.get(((run.product_id, run.warehouse_id), run.granularity), [])
        return [
            {"period": start, "units": units} for start, units in rows if start >= run.history_start
        ]


class SuggestionForecastSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="model_label", read_only=True)

    class Meta:
        model = ForecastRun
        fields = ["id", "granularity", "method", "model", "mase", "naive_mase"]
        read_only_fields = fields


class ReorderSuggestionSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    category = serializers.CharField(source="product.category", read_only=True)
    warehouse = serializers.CharField(
        source="warehouse.code",
        read_only=True,
        allow_null=True,
        help_text="Warehouse code; null for all warehouses together.",
    )
    current_reorder_point = serializers.IntegerField(source="product.reorder_point", read_only=True)
    current_safety_stock = serializers.IntegerField(source="product.safety_stock", read_only=True)
    current_reorder_quantity = serializers.IntegerField(
        source="product.reorder_quantity", read_only=True
    )
    below_suggestion = serializers.BooleanField(
        read_only=True, help_text="The product's reorder point is below the suggested one."
    )
    forecast = SuggestionForecastSerializer(source="run", read_only=True)

    class Meta:
        model = ReorderSuggestion
        fields = [
            "id",
            "product",
            "product_name",
            "category",
            "warehouse",
            "lead_time_days",
            "review_days",
            "service_level",
            "daily_demand",
            "lead_time_demand",
            "safety_stock",
            "reorder_point",
            "reorder_quantity",
            "current_reorder_point",
            "current_safety_stock",
            "current_reorder_quantity",
            "below_suggestion",
            "forecast",
            "generated_at",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        summary="List demand forecasts",
        description=(
            "One forecast per product, warehouse (`warehouse` null: all warehouses together) "
            "and granularity (month, ISO week, local day), refreshed nightly: the recent "
            "history (units ordered per period: the last 36 months, 104 weeks or 182 days "
            "from the first period with demand), the forecast periods from the current one "
            "with the prediction interval, the model (`ETS(A,Ad,A) m=7`: exponential "
            "smoothing with damped trend and weekly seasonality; `seasonal naive m=12` when "
            "the history is too short) and its "
            "backtest: MASE of the model and of seasonal naive over the last horizon, both "
            "scaled by the in-sample seasonal-naive MAE (the model beats seasonal naive when "
            "`mase` < `naive_mase`). Filters: `product` (SKU), `warehouse` (code, or `all` "
            "for the totals), `granularity`, `method`."
        ),
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="One demand forecast", tags=TAGS),
)
class ForecastViewSet(ReadOnlyViewSet):
    scope_domain = "analytics"
    queryset = forecast_run_list().order_by(
        "product__sku", F("warehouse__code").asc(nulls_first=True), "granularity"
    )
    serializer_class = ForecastSerializer
    filterset_class = ForecastRunFilter

    def _with_history(self, runs) -> dict:
        runs = list(runs)
        keys = sorted({(run.product_id, run.warehouse_id) for run in runs}, key=str)
        granularities = sorted({run.granularity for run in runs})
        return {
            "request": self.request,
            "history": demand_history(keys, granularities=granularities),
        }

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        runs = page if page is not None else list(queryset)
        data = ForecastSerializer(runs, many=True, context=self._with_history(runs)).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request, *args, **kwargs):
        run = self.get_object()
        return Response(ForecastSerializer(run, context=self._with_history([run])).data)


@extend_schema_view(
    list=extend_schema(
        summary="List reorder suggestions",
        description=(
            "Suggested reorder point and quantity per product and warehouse (`warehouse` "
            "null: all warehouses together), next to the product's current ones. Reorder "
            "point = forecast demand over the product's lead time + safety stock, safety "
            "stock = z(service level) x daily forecast error sigma x sqrt(lead time); "
            "quantity = forecast demand over the review period. Filters: `product` (SKU), "
            "`warehouse` (code, or `all`), `category`, `below` (true: the product's reorder "
            "point is below the suggestion), `q`; `ordering` by sku, warehouse, daily_demand, "
            "reorder_point."
        ),
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="One reorder suggestion", tags=TAGS),
)
class ReorderSuggestionViewSet(ReadOnlyViewSet):
    scope_domain = "analytics"
    queryset = reorder_suggestion_list()
    serializer_class = ReorderSuggestionSerializer
    filterset_class = ReorderSuggestionFilter

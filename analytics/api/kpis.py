"""GET /api/v1/kpis/: the KPIs over a period, channel and warehouse, and each
KPI's daily series and breakdown (analytics.selectors.kpis).

Who may call: an integrator's token with the analytics:read scope; staff
whose role holds analytics.view_kpis (admins, analysts, warehouse and account
managers). Registered in erp/api.py."""

from datetime import timedelta

from django.conf import settings
from django.urls import re_path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.selectors.kpis import (
    BREAKDOWNS,
    KPI_GROUPS,
    KPI_KEYS,
    KPIS,
    KpiFilter,
    kpi_breakdown,
    kpi_series,
    kpi_values,
)
from analytics.selectors.kpis import kpi as kpi_definition
from analytics.selectors.scope import (
    ScopeInvalid,
    channel_by_code,
    period_error,
    warehouse_by_code,
)
from analytics.services.rollup import rollup_status
from analytics.services.rollup import today as local_today
from erp.core.api.schema import SingleObjectSchema
from erp.core.api.views import ThrottleFirstMixin

KPI_STATUS_CHOICES = [
    ("green", "green"),
    ("amber", "amber"),
    ("red", "red"),
    ("none", "none"),
]
BREAKDOWN_CHOICES = [(b, b) for b in BREAKDOWNS]
DEFAULT_DAYS = 30
TAGS = ["analytics"]


# --- Input --------------------------------------------------------------------------


class KpiQuerySerializer(serializers.Serializer):
    """?from=&to=&channel=&warehouse=&keys= ("from" is a Python keyword, so
    the fields are added in get_fields)."""

    def get_fields(self):
        return {
            "from": serializers.DateField(required=False),
            "to": serializers.DateField(required=False),
            "channel": serializers.CharField(required=False, allow_blank=True),
            "warehouse": serializers.CharField(required=False, allow_blank=True),
            "keys": serializers.CharField(required=False, allow_blank=True),
        }

    def validate(self, attrs):
        today = local_today()
        date_to = attrs.get("to") or today
        date_from = attrs.get("from") or date_to - timedelta(DEFAULT_DAYS - 1)
        error = period_error(date_from, date_to, max_days=settings.ANALYTICS_KPI_MAX_DAYS)
        if error:
            raise ValidationError({"to": [error]})
        try:
            channel = channel_by_code(attrs.get("channel"))
            warehouse = warehouse_by_code(attrs.get("warehouse"))
        except ScopeInvalid as exc:
            raise ValidationError({exc.field: [exc.message]}) from exc
        keys = None
        if attrs.get("keys"):
            keys = [k.strip() for k in attrs["keys"].split(",") if k.strip()]
            unknown = [k for k in keys if k not in KPIS]
            if unknown:
                raise ValidationError(
                    {"keys": [_("Unknown KPI: %(keys)s.") % {"keys": ", ".join(unknown)}]}
                )
        return {
            "filter": KpiFilter(
                date_from=date_from,
                date_to=date_to,
                channel_id=channel.pk if channel else None,
                warehouse_id=warehouse.pk if warehouse else None,
            ),
            "channel": channel,
            "warehouse": warehouse,
            "keys": keys,
        }


def _query(request) -> dict:
    data = KpiQuerySerializer(data=request.query_params)
    data.is_valid(raise_exception=True)
    return data.validated_data


# --- Output -------------------------------------------------------------------------


def _decimal(**kwargs):
    return serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True, **kwargs)


class KpiValueSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    definition = serializers.CharField(help_text="What the KPI counts, in words.")
    value = _decimal(help_text="null: nothing to measure in the period.")
    unit = serializers.CharField(help_text='"%", "h", "d", "CNY", "kg", "score" or "" (a count)')
    target = _decimal()
    status = serializers.ChoiceField(
        choices=KPI_STATUS_CHOICES,
        help_text="Traffic light against the target: green met, amber near (within the "
        "target's tolerance, else ANALYTICS_KPI_AMBER_PERCENT of it), red, none (no target "
        "or no value).",
    )
    numerator = _decimal()
    denominator = _decimal()
    drill_url = serializers.CharField(
        allow_null=True, help_text="The staff list of the rows behind the number."
    )


FILTER_OUT = inline_serializer(
    "KpiFilterOut",
    {
        "from": serializers.DateField(),
        "to": serializers.DateField(),
        "channel": serializers.CharField(allow_null=True),
        "warehouse": serializers.CharField(allow_null=True),
    },
)


class KpiListSerializer(serializers.Serializer):
    filter = FILTER_OUT
    built_through = serializers.DateField(
        allow_null=True, help_text="The rollup's last day; later days are computed live."
    )
    groups = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    results = KpiValueSerializer(many=True)


class KpiSeriesSerializer(serializers.Serializer):
    key = serializers.CharField()
    unit = serializers.CharField()
    filter = FILTER_OUT
    points = inline_serializer(
        "KpiPoint", {"date": serializers.DateField(), "value": _decimal()}, many=True
    )


class KpiBreakdownSerializer(serializers.Serializer):
    key = serializers.CharField()
    unit = serializers.CharField()
    by = serializers.ChoiceField(choices=BREAKDOWN_CHOICES)
    filter = FILTER_OUT
    rows = inline_serializer(
        "KpiBreakdownRow", {"label": serializers.CharField(), "value": _decimal()}, many=True
    )


def _filter_out(query: dict) -> dict:
    f = query["filter"]
    return {
        "from": f.date_from,
        "to": f.date_to,
        "channel": query["channel"].code if query["channel"] else None,
        "warehouse": query["warehouse"].code if query["warehouse"] else None,
    }


# --- Views --------------------------------------------------------------------------

PERIOD = [
    OpenApiParameter(
        "from",
        OpenApiTypes.DATE,
        description="First day (local, Asia/Shanghai), inclusive; default 29 days before `to`.",
    ),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, inclusive; default today."),
    OpenApiParameter("channel", OpenApiTypes.STR, description="Sales channel code."),
    OpenApiParameter(
        "warehouse",
        OpenApiTypes.STR,
        description="Warehouse code: the order's warehouse (its first reservation's, else "
        "its channel's default); shipment costs by origin warehouse; stock by holding "
        "warehouse.",
    ),
]
KEY = OpenApiParameter(
    "key", OpenApiTypes.STR, OpenApiParameter.PATH, enum=KPI_KEYS, description="KPI key."
)
ERRORS = (
    "400 names the offending input in `error.fields`: a date that is not YYYY-MM-DD, "
    "`to` before `from` or a period longer than ANALYTICS_KPI_MAX_DAYS (both `to`), an unknown "
    "`channel`, `warehouse` or `keys` entry."
)


class _KpiView(ThrottleFirstMixin, APIView):
    scope_domain = "analytics"
    action = "list"
    # `action = "list"` is for the permission map; each answer is one object.
    schema = SingleObjectSchema()
    action_permissions = {"list": ["analytics.view_kpis"]}

    def _absolute(self, url):
        return self.request.build_absolute_uri(url) if url else None


class KpiListView(_KpiView):
    @extend_schema(
        operation_id="kpis_list",
        summary="KPIs over a period",
        description="Every KPI (or those in `keys`, comma-separated) over the period, sales "
        "channel and warehouse: value, unit, target, traffic light, numerator and "
        "denominator, and the staff list behind the number. Read from the daily rollup; "
        "days it has not built yet (today, until the hourly job has run) are computed live. "
        "Stock KPIs ignore the channel. " + ERRORS,
        tags=TAGS,
        parameters=[
            *PERIOD,
            OpenApiParameter(
                "keys",
                OpenApiTypes.STR,
                description="Comma-separated KPI keys, e.g. on_time_delivery_rate,fill_rate.",
            ),
        ],
        responses={200: KpiListSerializer},
    )
    def get(self, request):
        query = _query(request)
        values = kpi_values(query["filter"], query["keys"], user=request.user)
        results = [
            {
                **value.__dict__,
                "definition": str(KPIS[value.key].definition),
                "drill_url": self._absolute(value.drill_url),
            }
            for value in values
        ]
        body = {
            "filter": _filter_out(query),
            "built_through": rollup_status()["built_through"],
            "groups": KPI_GROUPS,
            "results": results,
        }
        return Response(KpiListSerializer(body).data)


class KpiSeriesView(_KpiView):
    @extend_schema(
        operation_id="kpis_series",
        summary="A KPI day by day",
        description="The KPI for each day of the period (stock KPIs over that day); null "
        "where there is nothing to measure and for days to come. An unknown `key` is a 400 "
        "naming `key`. " + ERRORS,
        tags=TAGS,
        parameters=[KEY, *PERIOD],
        responses={200: KpiSeriesSerializer},
    )
    def get(self, request, key):
        definition = kpi_definition(key)
        query = _query(request)
        points = kpi_series(query["filter"], key)
        body = {
            "key": key,
            "unit": definition.unit,
            "filter": _filter_out(query),
            "points": [{"date": day, "value": value} for day, value in points],
        }
        return Response(KpiSeriesSerializer(body).data)


class KpiBreakdownView(_KpiView):
    @extend_schema(
        operation_id="kpis_breakdown",
        summary="A KPI split by channel, warehouse, category or reason",
        description='`by`: channel or warehouse (by code; "" for none) for order and '
        "service KPIs, warehouse or category for stock KPIs, reason for return_rate (the "
        "number of returns per reason). Largest first. A `by` the KPI does not support is a "
        "400 naming `by`. " + ERRORS,
        tags=TAGS,
        parameters=[
            KEY,
            OpenApiParameter("by", OpenApiTypes.STR, enum=list(BREAKDOWNS), required=True),
            *PERIOD,
        ],
        responses={200: KpiBreakdownSerializer},
    )
    def get(self, request, key):
        definition = kpi_definition(key)
        query = _query(request)
        by = request.query_params.get("by", "")
        rows = kpi_breakdown(query["filter"], key, by)  # an unknown `by` is a 400 naming it
        body = {
            "key": key,
            "unit": definition.unit,
            "by": by,
            "filter": _filter_out(query),
            "rows": [{"label": label, "value": value} for label, value in rows],
        }
        return Response(KpiBreakdownSerializer(body).data)


urlpatterns = [
    re_path(r"^kpis/?$", KpiListView.as_view(), name="kpi-list"),
    re_path(r"^kpis/(?P<key>[^/]+)/series/?$", KpiSeriesView.as_view(), name="kpi-series"),
    re_path(r"^kpis/(?P<key>[^/]+)/breakdown/?$", KpiBreakdownView.as_view(), name="kpi-breakdown"),
]

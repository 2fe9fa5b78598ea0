from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from analytics.models import Report


class ReportSerializer(serializers.ModelSerializer):
    requested_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    url = serializers.SerializerMethodField(help_text="This report in the API (poll it).")
    download_url = serializers.SerializerMethodField(
        help_text="The file, once `status` is `done` (null before, and after the retention "
        "period deleted it)."
    )
    page_url = serializers.SerializerMethodField(help_text="The report's page for staff.")

    class Meta:
        model = Report
        fields = [
            "id",
            "kind",
            "format",
            "status",
            "progress",
            "rows_done",
            "rows_total",
            "row_count",
            "truncated",
            "parameters",
            "error",
            "requested_by",
            "schedule",
            "created_at",
            "started_at",
            "finished_at",
            "url",
            "download_url",
            "page_url",
        ]
        read_only_fields = fields

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj) -> str:
        return self._absolute(reverse("report-detail", args=[obj.pk]))

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_download_url(self, obj) -> str | None:
        if not obj.has_file:
            return None
        return self._absolute(reverse("report-download", args=[obj.pk]))

    @extend_schema_field(OpenApiTypes.URI)
    def get_page_url(self, obj) -> str:
        return self._absolute(reverse("analytics:report-detail", args=[obj.pk]))


class ReportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Report.Kind.choices)
    format = serializers.ChoiceField(choices=Report.Format.choices)
    date_from = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="First day of the period (local date, inclusive); required by the kinds "
        "that cover a period (all but stock_valuation and customer_scores).",
    )
    date_to = serializers.DateField(
        required=False, allow_null=True, help_text="Last day of the period (inclusive)."
    )
    channel = serializers.CharField(
        required=False, allow_blank=True, help_text="Sales channel code (empty: all)."
    )
    warehouse = serializers.CharField(
        required=False, allow_blank=True, help_text="Warehouse code (empty: all)."
    )

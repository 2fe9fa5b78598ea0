"""/api/v1/reports/: request a report (202, generated in the background),
poll it, download its file."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from oauth2_provider.models import AbstractAccessToken
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from analytics.report_views import report_file_response
from analytics.reports.filters import ReportFilter
from analytics.reports.kinds import KINDS
from analytics.reports.serializers import ReportRequestSerializer, ReportSerializer
from analytics.selectors.reports import report_list, reports_visible_to
from analytics.services.reports import (
    report_request,
)
from erp.core.api.views import CreateReadViewSet
from erp.core.errors import DomainError

TAGS = ["analytics"]


class ReportNotReady(DomainError):
    code = "report_not_ready"


@extend_schema_view(
    list=extend_schema(
        summary="List reports",
        description="The caller's reports (an integration's own; every report for admins), "
        "newest first. Filters: `kind`, `status` (repeatable), `file_format`, `scheduled` "
        "(true/false); `ordering` by created_at, finished_at.",
        tags=TAGS,
    ),
    retrieve=extend_schema(
        summary="One report: status and progress",
        description="Poll this until `status` is `done` (then `download_url` is set) or "
        "`failed` (`error` says why). `progress` is 0-100; `rows_done` of `rows_total`.",
        tags=TAGS,
    ),
)
class ReportViewSet(CreateReadViewSet):
    scope_domain = "analytics"
    queryset = report_list()
    serializer_class = ReportSerializer
    filterset_class = ReportFilter
    action_permissions = {
        "list": ["analytics.view_report"],
        "retrieve": ["analytics.view_report"],
        "create": ["analytics.add_report"],
        "download": ["analytics.view_report"],
    }

    def _by_token(self) -> bool:
        return isinstance(self.request.auth, AbstractAccessToken)

    def get_queryset(self):
        if self._by_token():
            # An integration sees the reports it asked for.
            return report_list().filter(requested_by=self.request.user)
        return reports_visible_to(self.request.user)

    def perform_content_negotiation(self, request, force=False):
        # A download answers with the file whatever the client accepts; errors stay JSON.
        return super().perform_content_negotiation(
            request, force=force or self.action == "download"
        )

    @extend_schema(
        summary="Request a report",
        description="Queues the report and answers 202 at once with it and its `url` to "
        "poll; a worker generates it. `kind`: orders, stock_valuation, inventory_turnover, "
        "shipments_carbon, tickets_sla, customer_scores; `format`: csv, xlsx, pdf (a PDF "
        "holds at most ANALYTICS_REPORT_PDF_MAX_ROWS rows). `date_from`/`date_to` are "
        "required by the kinds that cover a period; `channel` and `warehouse` are codes. "
        "Errors name the field (400); a kind the caller's role may not request is 403; too "
        "many reports waiting is 429.",
        tags=TAGS,
        request=ReportRequestSerializer,
        responses={202: ReportSerializer},
        examples=[
            OpenApiExample(
                "Orders of November as XLSX",
                value={
                    "kind": "orders",
                    "format": "xlsx",
                    "date_from": "2026-11-01",
                    "date_to": "2026-11-30",
                    "channel": "TMALL",
                },
                request_only=True,
            )
        ],
    )
    def create(self, request, *args, **kwargs):
        data = ReportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        report = report_request(
            kind=values["kind"],
            format=values["format"],
            parameters=values,
            requested_by=request.user,
            language=getattr(request, "LANGUAGE_CODE", None),
            check_permission=not self._by_token(),
        )
        body = ReportSerializer(report, context={"request": request}).data
        return Response(body, status=202, headers={"Location": body["url"]})

    @extend_schema(
        summary="Download a report's file",
        description="The CSV, XLSX or PDF as an attachment. 409 `report_not_ready` while it "
        "is queued or running, or if it failed; 404 once the retention period deleted it; "
        "403 if the caller's role may no longer request the report's kind.",
        tags=TAGS,
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="the file (text/csv, XLSX or PDF)"
            ),
        },
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        report = self.get_object()
        if not self._by_token() and not KINDS[report.kind].allowed(request.user):
            raise PermissionDenied
        if report.status == report.Status.FAILED:
            raise ReportNotReady(_("The report failed: %(error)s") % {"error": report.error})
        if report.status != report.Status.DONE:
            raise ReportNotReady(
                _("The report is not ready yet (%(status)s, %(progress)s%%).")
                % {"status": report.get_status_display(), "progress": report.progress}
            )
        return report_file_response(request, report)

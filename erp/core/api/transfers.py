"""/api/v1/imports/ and /api/v1/exports/: bulk import and export jobs.

POST a file (multipart) or an export request, get 202 with the job and its
`url`; poll the job for its status, progress and per-row errors; download
the export or the import's report when it is done. The work runs in Celery
(erp.core.transfers).

Scopes: `transfers:write` to start a job and `transfers:read` to follow and
download it - and the scope of the data itself: an import of orders also
needs `orders:write`, an export of customers `crm:read`. A staff user signed
in through the browser needs their role's permission for the kind (the same
as the import and export pages).
"""

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from oauth2_provider.models import AbstractAccessToken
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.reverse import reverse

from erp.core.api.permissions import ScopeOrModelPermission
from erp.core.api.views import IdempotentMixin, ThrottleFirstMixin
from erp.core.errors import DomainError
from erp.core.models import TransferJob
from erp.core.transfers import (
    TransferJobFilter,
    exporters,
    files_deleted_message,
    importers,
    transfer_export_create,
    transfer_import_create,
    transfer_jobs_visible_to,
    transfer_progress,
)

TAGS = ["imports and exports"]
KINDS = ("products", "stock", "customers", "orders")  # erp.imports registers each of them
KIND_CHOICES = [(kind, kind) for kind in KINDS]
ERROR_RESPONSES = {
    400: OpenApiResponse(description="Invalid input; `error.fields` names the field."),
    401: OpenApiResponse(description="No or invalid credentials."),
    403: OpenApiResponse(description="The role or the token's scopes do not allow this kind."),
}


class JobNotReady(DomainError):
    code = "job_not_ready"


class JobFilesDeleted(DomainError):
    """The job's files were deleted after TRANSFER_RETENTION_DAYS."""

    status_code = 410
    code = "files_deleted"


class RowErrorSerializer(serializers.Serializer):
    rows = serializers.ListField(child=serializers.IntegerField(), help_text="Row numbers")
    outcome = serializers.CharField()
    label = serializers.CharField(allow_blank=True)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class TransferJobSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()
    errors_url = serializers.SerializerMethodField()
    rows_done = serializers.SerializerMethodField()
    progress = serializers.IntegerField(read_only=True, help_text="Percent of rows done")
    filters = serializers.JSONField(source="parameters", read_only=True)
    counts = serializers.SerializerMethodField()
    row_errors = RowErrorSerializer(many=True, read_only=True)
    created_by = serializers.CharField(source="created_by.username", default=None)

    class Meta:
        model = TransferJob
        fields = [
            "id",
            "url",
            "direction",
            "kind",
            "format",
            "status",
            "dry_run",
            "filename",
            "filters",
            "rows_total",
            "rows_done",
            "progress",
            "counts",
            "row_errors",
            "error",
            "download_url",
            "errors_url",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def _path(self, job, name, **kwargs):
        request = self.context.get("request")
        base = "import" if job.direction == TransferJob.Direction.IMPORT else "export"
        return reverse(f"{base}-job-{name}", kwargs={"pk": job.pk, **kwargs}, request=request)

    def get_url(self, job) -> str:
        return self._path(job, "detail")

    def get_download_url(self, job) -> str | None:
        """The export, or an import's report of every row; set when done."""
        if job.status != TransferJob.Status.DONE or not job.result_file:
            return None
        return self._path(job, "download" if job.direction == "export" else "report")

    def get_errors_url(self, job) -> str | None:
        """An import's rows with errors as CSV; set when there are any."""
        if not job.error_file:
            return None
        return self._path(job, "errors")

    def get_rows_done(self, job) -> int:
        return transfer_progress(job)

    def get_counts(self, job) -> dict[str, int]:
        return {
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
            "errors": job.error_count,
        }


class ImportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KIND_CHOICES)
    file = serializers.FileField(help_text="CSV (UTF-8) or XLSX; the first row names the columns")
    dry_run = serializers.BooleanField(default=False, help_text="Report only, write nothing")


class ExportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KIND_CHOICES)
    format = serializers.ChoiceField(choices=TransferJob.Format.choices, default="csv")
    filters = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        default=dict,
        help_text="The list filters of the kind, as on GET /products/, /stock-levels/, "
        '/customers/ or /orders/ (e.g. {"status": "pending", "channel": "TMALL"})',
    )


class TransferPermission(ScopeOrModelPermission):
    """Tokens: the `transfers` scope (the kind's own scope is checked when a
    job starts). Staff: the permission of at least one kind of this direction."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        if isinstance(request.auth, AbstractAccessToken):
            return super().has_permission(request, view)
        registry = importers() if view.direction == TransferJob.Direction.IMPORT else exporters()
        if any(user.has_perm(cls.permission) for cls in registry.values()):
            return True
        self.message = _("Your role does not allow this action.")
        return False


class _TransferJobViewSet(
    ThrottleFirstMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    scope_domain = "transfers"
    direction = ""
    serializer_class = TransferJobSerializer
    filterset_class = TransferJobFilter
    permission_classes = [TransferPermission]
    queryset = TransferJob.objects.none()

    def get_queryset(self):
        user = self.request.user
        if not user or not user.is_authenticated:
            return TransferJob.objects.none()
        return transfer_jobs_visible_to(user).filter(direction=self.direction)

    def _by_token(self) -> bool:
        return isinstance(self.request.auth, AbstractAccessToken)

    def get_object(self):
        """One of the caller's jobs, read (and its files downloaded) only with
        the kind's permission or scope - the same as to start it: holding
        `transfers:read` or an old job does not open customers or orders."""
        job = super().get_object()
        registry = importers() if self.direction == TransferJob.Direction.IMPORT else exporters()
        if job.kind not in registry:
            raise PermissionDenied(_("Your role does not allow this action."))
        if self._by_token():
            domain = registry[job.kind].domain
            wanted = [f"{domain}:read"]
            if self.direction == TransferJob.Direction.IMPORT:
                wanted.append(f"{domain}:write")  # who may import may read the report
            if not any(self.request.auth.allow_scopes([scope]) for scope in wanted):
                raise PermissionDenied(
                    _("This client's token lacks the scope %(scope)s.") % {"scope": wanted[0]}
                )
        elif not self.request.user.has_perm(registry[job.kind].permission):
            raise PermissionDenied(_("Your role does not allow this action."))
        return job

    def _check_kind(self, registry, kind: str, access: str) -> None:
        cls = registry[kind]
        if self._by_token():
            scope = f"{cls.domain}:{access}"
            if not self.request.auth.allow_scopes([scope]):
                raise PermissionDenied(
                    _("This client's token lacks the scope %(scope)s.") % {"scope": scope}
                )
        elif not self.request.user.has_perm(cls.permission):
            raise PermissionDenied(_("Your role does not allow this action."))

    def _accepted(self, job):
        body = TransferJobSerializer(job, context={"request": self.request}).data
        return Response(body, status=202, headers={"Location": body["url"]})

    def perform_content_negotiation(self, request, force=False):
        # A download answers with the file whatever the client accepts; errors stay JSON.
        return super().perform_content_negotiation(
            request, force=force or self.action in ("download", "report", "errors")
        )

    def _file(self, job, stored):
        if not stored and job.files_deleted:
            raise JobFilesDeleted(files_deleted_message())
        return FileResponse(
            stored.open("rb"), as_attachment=True, filename=stored.name.rsplit("/", 1)[-1]
        )

    def _ready(self, job):
        if job.status == TransferJob.Status.FAILED:
            raise JobNotReady(_("The job failed: %(error)s") % {"error": job.error})
        if job.status != TransferJob.Status.DONE:
            raise JobNotReady(
                _("The job has not finished yet (%(status)s, %(progress)s%%).")
                % {"status": job.get_status_display(), "progress": job.progress}
            )


JOB_EXAMPLE = {
    "id": 42,
    "url": "https://erp.example.cn/api/v1/imports/42/",
    "direction": "import",
    "kind": "orders",
    "format": "csv",
    "status": "done",
    "dry_run": False,
    "filename": "tmall-2026-11-27.csv",
    "filters": {},
    "rows_total": 3,
    "rows_done": 3,
    "progress": 100,
    "counts": {"created": 1, "updated": 0, "unchanged": 0, "errors": 1},
    "row_errors": [
        {
            "rows": [4],
            "outcome": "error",
            "label": "",
            "errors": {"lines[0].sku": ["Unknown SKU NOPE-1."]},
        }
    ],
    "error": "",
    "download_url": "https://erp.example.cn/api/v1/imports/42/report/",
    "errors_url": "https://erp.example.cn/api/v1/imports/42/errors/",
    "created_by": "tmall-sync",
    "created_at": "2026-11-27T10:15:00+08:00",
    "started_at": "2026-11-27T10:15:01+08:00",
    "finished_at": "2026-11-27T10:15:02+08:00",
}
FILE_RESPONSE = {
    (200, "application/octet-stream"): OpenApiResponse(
        OpenApiTypes.BINARY, description="the file (text/csv or XLSX)"
    ),
    404: OpenApiResponse(description="No such job among the caller's jobs."),
    409: OpenApiResponse(description="`job_not_ready`: queued, running or failed."),
    410: OpenApiResponse(
        description="`files_deleted`: the job's files were deleted "
        "(TRANSFER_RETENTION_DAYS after it finished)."
    ),
}


@extend_schema_view(
    list=extend_schema(
        summary="List import jobs",
        description="The caller's imports (every import for admins), newest first. Filters: "
        "`kind`, `status` (repeatable), `dry_run`.",
        tags=TAGS,
        responses={200: TransferJobSerializer(many=True), **ERROR_RESPONSES},
    ),
    retrieve=extend_schema(
        summary="One import job: status, progress and row errors",
        description="Poll until `status` is `done` or `failed`. `rows_done` of `rows_total` "
        "grows while it runs; `counts` and `row_errors` (the first 500, with their row "
        "numbers - the header is row 1) are final when done.",
        tags=TAGS,
        responses={200: TransferJobSerializer, 404: OpenApiResponse(description="Not found")},
        examples=[OpenApiExample("A finished import", value=JOB_EXAMPLE, response_only=True)],
    ),
)
class ImportJobViewSet(_TransferJobViewSet):
    direction = TransferJob.Direction.IMPORT
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        summary="Start an import",
        description="Upload a CSV (UTF-8) or XLSX file as multipart/form-data with `kind` "
        "(products, stock, customers, orders) and `dry_run`. Answers 202 at once with the job "
        "and its `url` to poll; a worker imports it. Each row - each order with all its "
        "lines - is written whole or not at all; rows with errors are reported and the "
        "others are written (a dry run writes nothing and reports what would happen). "
        "Rows already imported are recognised (SKU, customer code or phone, channel + "
        "external_ref) and not doubled. Limit: TRANSFER_MAX_UPLOAD_MB (50 MB). "
        "Scopes: transfers:write and the kind's write scope (inventory, crm or orders).",
        tags=TAGS,
        request={"multipart/form-data": ImportRequestSerializer},
        responses={202: TransferJobSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample(
                "Dry run of an orders file",
                value={"kind": "orders", "file": "(orders.csv)", "dry_run": True},
                request_only=True,
            ),
            OpenApiExample(
                "Queued",
                value={
                    **JOB_EXAMPLE,
                    "status": "queued",
                    "dry_run": True,
                    "rows_total": 0,
                    "rows_done": 0,
                    "progress": 0,
                    "row_errors": [],
                    "download_url": None,
                    "errors_url": None,
                    "started_at": None,
                    "finished_at": None,
                    "counts": {"created": 0, "updated": 0, "unchanged": 0, "errors": 0},
                },
                response_only=True,
                status_codes=["202"],
            ),
        ],
    )
    def create(self, request, *args, **kwargs):
        data = ImportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        self._check_kind(importers(), values["kind"], "write")
        job = transfer_import_create(
            kind=values["kind"],
            upload=values["file"],
            dry_run=values["dry_run"],
            actor=request.user,
            language=getattr(request, "LANGUAGE_CODE", "") or "",
        )
        return self._accepted(job)

    @extend_schema(
        summary="Download an import's report",
        description="CSV: every unit's row numbers, outcome (created, updated, duplicate, "
        "error) and what was written or why not.",
        tags=TAGS,
        responses=FILE_RESPONSE,
    )
    @action(detail=True, methods=["get"])
    def report(self, request, pk=None):
        job = self.get_object()
        self._ready(job)
        return self._file(job, job.result_file)

    @extend_schema(
        summary="Download an import's rows with errors",
        description="CSV: row numbers, column and error of every refused row (404 when there "
        "were none).",
        tags=TAGS,
        responses=FILE_RESPONSE,
    )
    @action(detail=True, methods=["get"])
    def errors(self, request, pk=None):
        job = self.get_object()
        self._ready(job)
        if not job.error_file and not job.files_deleted:
            from django.http import Http404

            raise Http404
        return self._file(job, job.error_file)


@extend_schema_view(
    list=extend_schema(
        summary="List export jobs",
        description="The caller's exports (every export for admins), newest first.",
        tags=TAGS,
        responses={200: TransferJobSerializer(many=True), **ERROR_RESPONSES},
    ),
    retrieve=extend_schema(
        summary="One export job: status and progress",
        description="Poll until `status` is `done` (then `download_url` is set) or `failed`.",
        tags=TAGS,
        responses={200: TransferJobSerializer, 404: OpenApiResponse(description="Not found")},
    ),
)
class ExportJobViewSet(IdempotentMixin, _TransferJobViewSet):
    direction = TransferJob.Direction.EXPORT

    @extend_schema(
        summary="Start an export",
        description="Queues an export of products, stock (levels), customers or orders (one "
        "row per line) as CSV or XLSX, with the same filters as the kind's list endpoint; "
        "202 with the job to poll. The file has the import's columns first, so it can be "
        "imported again. Scopes: transfers:write and the kind's read scope.",
        tags=TAGS,
        request=ExportRequestSerializer,
        responses={202: TransferJobSerializer, **ERROR_RESPONSES},
        examples=[
            OpenApiExample(
                "Pending Tmall orders as XLSX",
                value={
                    "kind": "orders",
                    "format": "xlsx",
                    "filters": {"status": "pending", "channel": "TMALL"},
                },
                request_only=True,
            )
        ],
    )
    def create(self, request, *args, **kwargs):
        data = ExportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        self._check_kind(exporters(), values["kind"], "read")
        job = transfer_export_create(
            kind=values["kind"],
            fmt=values["format"],
            parameters=values["filters"],
            actor=request.user,
            language=getattr(request, "LANGUAGE_CODE", "") or "",
        )
        return self._accepted(job)

    @extend_schema(
        summary="Download an export",
        description="The CSV or XLSX file once the job is done; 409 `job_not_ready` before.",
        tags=TAGS,
        responses=FILE_RESPONSE,
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        job = self.get_object()
        self._ready(job)
        return self._file(job, job.result_file)


def register(router) -> None:
    router.register("imports", ImportJobViewSet, basename="import-job")
    router.register("exports", ExportJobViewSet, basename="export-job")

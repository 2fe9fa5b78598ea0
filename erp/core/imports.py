"""Spreadsheet imports with a dry-run preview and per-row errors.

Files are read with django-import-export's formats (CSV, XLSX). Each row - or
group of rows, for an order with several lines - is validated by the same
serializer as the API and written by the same service, inside its own
savepoint. A preview runs exactly that and then rolls everything back, so it
shows what the import will do, service rules included. An import is applied
only when its preview had no errors: nothing is ever half-imported.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from import_export.formats.base_formats import CSV, XLSX

from erp.core.api.errors import flatten_errors
from erp.core.errors import DomainError

FORMATS = {".csv": CSV, ".xlsx": XLSX}
MAX_ROWS = 5000


class ImportFileError(ValueError):
    """The file cannot be read as a table."""


@dataclass
class RowResult:
    rows: list[int]  # spreadsheet row numbers (the header is row 1)
    outcome: str  # "created", "updated", "duplicate" or "error"
    label: str = ""  # what was written, e.g. a SKU or an order number
    errors: dict[str, list[str]] = field(default_factory=dict)


class Importer:
    """One kind of import. Subclasses set the columns and write one unit."""

    key = ""
    title = ""
    permission = ""
    columns: list[str] = []  # in the order of the template file
    required: list[str] = []
    example: list[dict] = []

    def units(self, rows: list[tuple[int, dict]]) -> list[tuple[list[int], object]]:
        """Split rows into units that are written together (one row each by default)."""
        return [([number], row) for number, row in rows]

    def write(self, unit, *, actor) -> tuple[str, str]:
        """Validate and write one unit; returns (outcome, label). Raise
        DomainError or a DRF ValidationError for a refusal."""
        raise NotImplementedError


def read_table(upload) -> list[tuple[int, dict]]:
    """(row number, {column: text}) for every non-empty row of an uploaded file."""
    name = (getattr(upload, "name", "") or "").lower()
    fmt = next((cls() for ext, cls in FORMATS.items() if name.endswith(ext)), None)
    if fmt is None:
        raise ImportFileError(_("Upload a .csv or .xlsx file."))
    content = upload.read()
    if not fmt.is_binary():
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFileError(_("Save the CSV file as UTF-8.")) from None
    try:
        dataset = fmt.create_dataset(content)
    except Exception as exc:  # the formats raise many kinds; all mean "unreadable"
        raise ImportFileError(_("The file could not be read: %(why)s") % {"why": exc}) from None
    headers = [str(h or "").strip().lower() for h in (dataset.headers or [])]
    rows = []
    for offset, values in enumerate(dataset, start=2):
        row = {
            header: ("" if value is None else str(value).strip())
            for header, value in zip(headers, values, strict=False)
            if header
        }
        if any(row.values()):
            rows.append((offset, row))
    if len(rows) > MAX_ROWS:
        raise ImportFileError(_("At most %(max)s rows per file.") % {"max": MAX_ROWS})
    return rows


def check_columns(importer: Importer, rows) -> list[str]:
    present = set().union(*(row.keys() for _n, row in rows)) if rows else set()
    return [column for column in importer.required if column not in present]


def import_run(*, importer: Importer, rows, actor, dry_run: bool) -> list[RowResult]:
    """Run the import; with dry_run everything is rolled back at the end."""
    from rest_framework.exceptions import ValidationError

    results = []
    with transaction.atomic():
        for numbers, unit in importer.units(rows):
            savepoint = transaction.savepoint()
            try:
                outcome, label = importer.write(unit, actor=actor)
            except ValidationError as exc:
                transaction.savepoint_rollback(savepoint)
                results.append(RowResult(numbers, "error", errors=flatten_errors(exc.detail)))
            except DomainError as exc:
                transaction.savepoint_rollback(savepoint)
                results.append(
                    RowResult(numbers, "error", errors={exc.field or "row": [exc.message]})
                )
            else:
                transaction.savepoint_commit(savepoint)
                results.append(RowResult(numbers, outcome, label))
        if dry_run or any(r.outcome == "error" for r in results):
            transaction.set_rollback(True)
    return results

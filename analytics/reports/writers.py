"""Report files: CSV (UTF-8 with a byte-order mark, so Excel opens Chinese
text right), XLSX (openpyxl in write-only mode: rows are streamed to disk,
never held in memory) and PDF (WeasyPrint with Noto Sans SC, landscape,
capped at ANALYTICS_REPORT_PDF_MAX_ROWS rows).

A writer writes to a path it is given (a temporary file); the caller moves
the file into storage only once `close()` returned, so a failure never
leaves a half-written file behind as a finished report."""

import csv
import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.reports.kinds import (
    DATE,
    DATETIME,
    DECIMAL,
    HOURS,
    INT,
    MONEY,
    NUMERIC,
    RATIO,
    ReportKindSpec,
)

log = logging.getLogger(__name__)

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}

XLSX_FORMATS = {
    INT: "#,##0",
    MONEY: "#,##0.00",
    DECIMAL: "#,##0.000",
    RATIO: "0.00",
    HOURS: "0.0",
    DATE: "yyyy-mm-dd",
    DATETIME: "yyyy-mm-dd hh:mm",
}
DECIMAL_PLACES = {MONEY: 2, DECIMAL: 3, RATIO: 2, HOURS: 1}


@dataclass
class ReportMeta:
    """What a file says about itself: title, inputs and when it was made."""

    title: str
    parameters: list[tuple[str, str]]
    generated_at: datetime
    requested_by: str = ""


def local_naive(value: datetime) -> datetime:
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


def text_value(value, type_: str = "") -> str:
    """A value as text in a CSV cell: local times, plain numbers."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{local_naive(value):%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        places = DECIMAL_PLACES.get(type_)
        return str(round(value, places) if places is not None else value)
    return str(value)


class Totals:
    """Sums of the kind's total columns, for the last row."""

    def __init__(self, spec: ReportKindSpec):
        self.index = {i for i, col in enumerate(spec.columns) if col.key in spec.totals}
        self.sums = {i: Decimal(0) for i in self.index}

    def add(self, row) -> None:
        for i in self.index:
            if row[i] is not None:
                self.sums[i] += Decimal(row[i])

    def row(self, width: int) -> tuple | None:
        if not self.index:
            return None
        cells = [self.sums.get(i) for i in range(width)]
        cells[0] = _("Total")
        return tuple(cells)


class CsvWriter:
    extension = "csv"

    def __init__(self, path, spec: ReportKindSpec, meta: ReportMeta):
        self.spec = spec
        self.totals = Totals(spec)
        # utf-8-sig writes the byte-order mark Excel needs to read UTF-8.
        self.file = open(path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        self.writer = csv.writer(self.file)
        self.writer.writerow([str(col.label) for col in spec.columns])
        self.types = [col.type for col in spec.columns]
        self.rows = 0

    def write(self, row) -> bool:
        self.totals.add(row)
        self.writer.writerow([text_value(v, t) for v, t in zip(row, self.types, strict=True)])
        self.rows += 1
        return True

    def close(self, progress=None) -> None:
        total = self.totals.row(len(self.types))
        if total is not None:
            self.writer.writerow([text_value(v, t) for v, t in zip(total, self.types, strict=True)])
        self.file.close()

    def abort(self) -> None:
        self.file.close()


class XlsxWriter:
    """One sheet of data (styled header row, frozen; number formats per
    column; a total row) and one sheet with the report's parameters."""

    extension = "xlsx"

    def __init__(self, path, spec: ReportKindSpec, meta: ReportMeta):
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
        from openpyxl.utils import get_column_letter

        self.path = path
        self.spec = spec
        self.meta = meta
        self.totals = Totals(spec)
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet(title=_sheet_title(meta.title))
        self.sheet.freeze_panes = "A2"
        for i, col in enumerate(spec.columns, start=1):
            self.sheet.column_dimensions[get_column_letter(i)].width = col.width
        self.formats = [XLSX_FORMATS.get(col.type) for col in spec.columns]
        self.header_font = Font(bold=True, color="FFFFFF")
        self.header_fill = PatternFill("solid", fgColor="305496")
        self.header_alignment = Alignment(vertical="center", wrap_text=True)
        self.total_font = Font(bold=True)
        self.total_border = Border(top=Side(style="thin"))
        self.sheet.append(
            [
                self._cell(
                    str(col.label),
                    font=self.header_font,
                    fill=self.header_fill,
                    alignment=self.header_alignment,
                )
                for col in spec.columns
            ]
        )
        self.rows = 0

    def _cell(self, value, number_format=None, **styles):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(self.sheet, value=value)
        if number_format:
            cell.number_format = number_format
        for name, style in styles.items():
            setattr(cell, name, style)
        return cell

    def _values(self, row, **styles):
        cells = []
        for value, fmt in zip(row, self.formats, strict=True):
            if isinstance(value, datetime):
                value = local_naive(value)
            if fmt or styles:
                cells.append(self._cell(value, fmt, **styles))
            else:
                cells.append(value)
        return cells

    def write(self, row) -> bool:
        self.totals.add(row)
        self.sheet.append(self._values(row))
        self.rows += 1
        return True

    def close(self, progress=None) -> None:
        total = self.totals.row(len(self.formats))
        if total is not None:
            self.sheet.append(self._values(total, font=self.total_font, border=self.total_border))
        about = self.book.create_sheet(title=_sheet_title(_("Parameters")))
        about.column_dimensions["A"].width = 22
        about.column_dimensions["B"].width = 40
        about.append([self._about_cell(about, self.meta.title, bold=True)])
        for label, value in self._about_rows():
            about.append([label, value])
        self.book.save(self.path)

    def _about_cell(self, sheet, value, bold=False):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        cell = WriteOnlyCell(sheet, value=value)
        if bold:
            cell.font = Font(bold=True, size=14)
        return cell

    def _about_rows(self):
        rows = list(self.meta.parameters)
        rows.append(
            (_("generated at"), f"{timezone.localtime(self.meta.generated_at):%Y-%m-%d %H:%M}")
        )
        if self.meta.requested_by:
            rows.append((_("requested by"), self.meta.requested_by))
        rows.append((_("rows"), self.rows))
        return rows

    def abort(self) -> None:
        # Finish the sheet's stream and remove its temporary file now, not
        # whenever the garbage collector gets to it.
        try:
            self.sheet.close()
            self.sheet._writer.cleanup()
        except Exception:  # aborting after an error: nothing more to save
            log.debug("report sheet left to the garbage collector", exc_info=True)


def _sheet_title(title: str) -> str:
    # Excel refuses these characters in sheet names, and more than 31 of them.
    for ch in "[]:*?/\\":
        title = title.replace(ch, " ")
    return title[:31] or "report"


class PdfWriter:
    """Collects up to ANALYTICS_REPORT_PDF_MAX_ROWS rows (the columns marked
    for print), then renders them with WeasyPrint on close (the slow part:
    the task's last step)."""

    extension = "pdf"

    def __init__(self, path, spec: ReportKindSpec, meta: ReportMeta):
        self.path = path
        self.spec = spec
        self.meta = meta
        self.limit = settings.ANALYTICS_REPORT_PDF_MAX_ROWS
        self.totals = Totals(spec)
        self.printed = [i for i, col in enumerate(spec.columns) if col.pdf]
        # (index, type, css class): numbers right-aligned; codes, dates and
        # numbers kept on one line, names and labels may wrap.
        self.cells = [
            (i, col.type, _pdf_class(col)) for i, col in enumerate(spec.columns) if col.pdf
        ]
        self.lines: list[list[tuple[str, str]]] = []
        self.rows = 0
        self.truncated = False

    def write(self, row) -> bool:
        """Keeps the row; False once the PDF is full (the caller stops)."""
        if self.rows >= self.limit:
            self.truncated = True
            return False
        self.totals.add(row)
        self.lines.append(self._cells(row))
        self.rows += 1
        return True

    def close(self, progress=None) -> None:
        """Render the PDF; `progress(fraction)` is called as WeasyPrint lays
        out its pages (the long part of a big PDF)."""
        from logistics.documents import render_pdf

        total = self.totals.row(len(self.spec.columns))
        context = {
            "meta": self.meta,
            "columns": [(str(self.spec.columns[i].label), css) for i, _type, css in self.cells],
            "lines": self.lines,
            "total": None if total is None or self.truncated else self._cells(total),
            "truncated": self.truncated,
            "limit": self.limit,
        }
        with _page_progress(progress, expected=self.rows // ROWS_PER_PAGE + 1):
            pdf = render_pdf("analytics/reports/report_pdf.html", context)
        with open(self.path, "wb") as out:
            out.write(pdf)

    def _cells(self, row) -> list[tuple[str, str]]:
        return [(pdf_value(row[i], type_), css) for i, type_, css in self.cells]

    def abort(self) -> None:
        self.lines = []


# About how many rows a landscape page holds, to turn pages laid out into a fraction.
ROWS_PER_PAGE = 30


class _PageHandler(logging.Handler):
    """Follows WeasyPrint's steps (its "weasyprint.progress" log) in this
    thread: styling the document is the first third, laying out the pages
    (counted against those expected) up to 90%, writing the PDF the rest."""

    STEPS = {"Step 3 ": 0.1, "Step 4 ": 0.25, "Step 6 ": 0.9, "Step 7 ": 0.95}

    def __init__(self, progress, expected: int):
        super().__init__(level=logging.INFO)
        self.progress = progress
        self.expected = max(1, expected)
        self.thread = threading.get_ident()
        self.pages = 0

    def emit(self, record) -> None:
        if record.thread != self.thread:
            return
        message = record.getMessage()
        if "Creating layout - Page" in message:
            self.pages += 1
            self.progress(0.3 + 0.6 * min(1.0, self.pages / self.expected))
            return
        for step, fraction in self.STEPS.items():
            if message.startswith(step):
                self.progress(fraction)


@contextmanager
def _page_progress(progress, expected: int):
    if progress is None:
        yield
        return
    logger = logging.getLogger("weasyprint.progress")
    handler = _PageHandler(progress, expected)
    level = logger.level
    logger.addHandler(handler)
    if not logger.isEnabledFor(logging.INFO):
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _pdf_class(col) -> str:
    if col.type in NUMERIC:
        return "num"
    if col.type in (DATE, DATETIME) or col.width < 16:
        return "nw"
    return ""


def pdf_value(value, type_: str) -> str:
    """A value as printed: numbers grouped by thousands, local times."""
    if value is None:
        return ""
    if type_ in DECIMAL_PLACES and isinstance(value, int | float | Decimal):
        return f"{Decimal(value):,.{DECIMAL_PLACES[type_]}f}"
    if type_ == INT and isinstance(value, int):
        return f"{value:,}"
    return text_value(value, type_)


WRITERS = {"csv": CsvWriter, "xlsx": XlsxWriter, "pdf": PdfWriter}

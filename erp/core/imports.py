"""Spreadsheet imports: rows streamed from a file, written unit by unit.

A unit is one row, or a group of rows written together (an order with
several lines). Each unit is validated by the same serializer as the API and
written by the same service inside its own savepoint: all or nothing per
unit, and one bad row never stops the others. Units are committed in batches
so a file of 100,000 lines is never one huge transaction; a dry run runs
exactly the same code inside one transaction that is rolled back at the end,
so it reports what the import would do - service rules included - and writes
nothing. Files are read row by row (erp.core.transfers.read_rows), never
whole into memory.
"""

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from erp.core.api.errors import flatten_errors
from erp.core.errors import DomainError

logger = logging.getLogger(__name__)
BATCH_SIZE = 500  # units per transaction in a real run


class ImportFileError(ValueError):
    """The file cannot be read as a table."""


@dataclass
class RowResult:
    rows: list[int]  # spreadsheet row numbers (the header is row 1)
    outcome: str  # "created", "updated", "duplicate" or "error"
    label: str = ""  # what was written, e.g. a SKU or an order number
    errors: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "outcome": self.outcome,
            "label": self.label,
            "errors": self.errors,
        }


@dataclass
class UnitError:
    """A unit refused before writing (e.g. an order's lines split apart)."""

    errors: dict[str, list[str]]


class Importer:
    """One kind of import. Subclasses set the columns and write one unit."""

    key = ""
    title = ""
    permission = ""  # the model permission a staff user needs
    domain = ""  # the API scope domain an integration's token needs (<domain>:write)
    columns: list[str] = []  # in the order of the template file
    required: list[str] = []
    example: list[dict] = []

    def iter_units(self, rows: Iterable[tuple[int, dict]]) -> Iterator[tuple[list[int], object]]:
        """Split streamed rows into units written together (one row each by default)."""
        for number, row in rows:
            yield [number], row

    def write(self, unit, *, actor) -> tuple[str, str]:
        """Validate and write one unit; returns (outcome, label). Raise
        DomainError or a DRF ValidationError for a refusal."""
        raise NotImplementedError


def check_columns(importer: Importer, headers: Iterable[str]) -> list[str]:
    """The required columns missing from a file's header."""
    present = set(headers)
    return [column for column in importer.required if column not in present]


def _write_unit(importer: Importer, numbers: list[int], unit, *, actor) -> RowResult:
    from rest_framework.exceptions import ValidationError

    if isinstance(unit, UnitError):
        return RowResult(numbers, "error", errors=unit.errors)
    # A savepoint per unit (atomic, so that a database error - which marks
    # the transaction for rollback - is undone to here, not the whole batch).
    try:
        with transaction.atomic():
            outcome, label = importer.write(unit, actor=actor)
    except ValidationError as exc:
        return RowResult(numbers, "error", errors=flatten_errors(exc.detail))
    except DomainError as exc:
        return RowResult(numbers, "error", errors={exc.field or "row": [exc.message]})
    except DatabaseError as exc:
        # E.g. the same key written at this moment by another import: this
        # unit is refused, the batch and the rest of the file go on.
        logger.warning("import unit at rows %s refused by the database: %s", numbers, exc)
        return RowResult(
            numbers,
            "error",
            errors={"row": [_("The database refused this row; try it again.")]},
        )
    return RowResult(numbers, outcome, label)


def import_run(
    *,
    importer: Importer,
    rows: Iterable[tuple[int, dict]],
    actor,
    dry_run: bool,
    on_result: Callable[[RowResult], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> list[RowResult] | None:
    """Run the import over streamed rows.

    Every unit's result goes to `on_result` (else they are collected and
    returned); `on_batch(rows_done)` is called after every batch - committed
    in a real run, inside the one rolled-back transaction in a dry run.
    """
    collected = [] if on_result is None else None
    emit = on_result or collected.append
    units = importer.iter_units(rows)
    done = 0

    def run_batch() -> bool:
        """Write units until the batch is full (in units, or in rows for
        large orders); False once the file is done. Units are taken from the
        stream one by one, never gathered into a list."""
        nonlocal done
        rows_in_batch = 0
        for count, (numbers, unit) in enumerate(units, start=1):
            emit(_write_unit(importer, numbers, unit, actor=actor))
            done += len(numbers)
            rows_in_batch += len(numbers)
            if count >= batch_size or rows_in_batch >= batch_size * 10:
                return True
        return False

    more = True
    if dry_run:
        with transaction.atomic():
            while more:
                more = run_batch()
                if on_batch:
                    on_batch(done)
            transaction.set_rollback(True)
    else:
        while more:
            with transaction.atomic():
                more = run_batch()
            if on_batch:
                on_batch(done)
    return collected

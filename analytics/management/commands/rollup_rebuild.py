"""Rebuild the KPIs' daily rollup for a range of days (all of it by default)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from analytics.services.rollup import rollup_rebuild


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from exc


class Command(BaseCommand):
    help = (
        "Rebuild the KPIs' daily rollup from the raw data for the days --from..--to "
        "(default: from the first day with data to today). The hourly job "
        "(analytics.rollup_daily) keeps it up to date; this is for a full rebuild."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", help="last day, YYYY-MM-DD")

    def handle(self, *args, date_from=None, date_to=None, **options):
        start = _day(date_from) if date_from else None
        end = _day(date_to) if date_to else None
        if start and end and start > end:
            raise CommandError("--from is after --to")
        result = rollup_rebuild(date_from=start, date_to=end)
        self.stdout.write(
            self.style.SUCCESS(
                f"Rollup rebuilt: {result['days']} day(s), {result['stock_days']} stock day(s), "
                f"{result['rows']} row(s); built through {result['built_through']}."
            )
        )

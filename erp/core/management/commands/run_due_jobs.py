"""Run every periodic job of the beat schedule once, in this process.

For the embedded default (no broker) and for cron. Every job is safe to run
twice, so running this more often than the schedule does no harm.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from erp.celery import app


class Command(BaseCommand):
    help = "Run every periodic job (CELERY_BEAT_SCHEDULE) once, in-process."

    def add_arguments(self, parser):
        parser.add_argument("--only", nargs="*", help="Run only these schedule entries.")
        parser.add_argument("--list", action="store_true", help="List the jobs and exit.")

    def handle(self, *args, only=None, list=False, **options):
        app.loader.import_default_modules()
        schedule = settings.CELERY_BEAT_SCHEDULE
        if list:
            for name, entry in schedule.items():
                self.stdout.write(f"{name}\t{entry['task']}\t{entry['schedule']}")
            return
        names = only or sorted(schedule)
        unknown = [n for n in names if n not in schedule]
        if unknown:
            raise CommandError(f"unknown job(s): {', '.join(unknown)}; see --list")
        failed = 0
        for name in names:
            entry = schedule[name]
            task = app.tasks.get(entry["task"])
            if task is None:
                raise CommandError(f"{name}: task {entry['task']} is not registered")
            started = time.monotonic()
            result = task.apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}))
            took = time.monotonic() - started
            if result.failed():
                failed += 1
                self.stderr.write(f"FAILED {name} ({entry['task']}): {result.result!r}")
            else:
                self.stdout.write(
                    f"ok {name} ({entry['task']}) in {took:.2f}s -> {result.result!r}"
                )
        if failed:
            raise CommandError(f"{failed} job(s) failed")

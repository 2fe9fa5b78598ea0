"""Solve the CVRPLIB instances through the planner's interface and report the
gap to each proven optimum (and to the nearest-neighbour baseline)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from logistics.cvrplib import read_instance
from logistics.routing import euclidean_rounded, nearest_neighbour, plan_routes

DEFAULT_DIR = Path(settings.BASE_DIR).parent / "shared" / "data" / "cvrplib"


class Command(BaseCommand):
    help = "Benchmark the route planner on CVRPLIB instances (gap to optimum, time)."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(DEFAULT_DIR), help="Folder of .vrp files.")
        parser.add_argument("--seconds", type=float, default=4.5, help="Time limit per instance.")
        parser.add_argument("--max-gap", type=float, default=1.0, help="Fail above this gap (%%).")
        parser.add_argument("--max-seconds", type=float, default=5.0, help="Fail above this time.")

    def handle(self, *args, dir, seconds, max_gap, max_seconds, **options):
        files = sorted(Path(dir).glob("*.vrp"))
        if not files:
            raise CommandError(f"no .vrp files in {dir}")
        header = ("instance", "optimal", "found", "gap %", "time s", "nearest-neighbour")
        self.stdout.write("{:<10} {:>8} {:>8} {:>7} {:>7} {:>18}".format(*header))
        failures = []
        for path in files:
            instance = read_instance(path)
            common = {
                "depot": instance.depot,
                "stops": instance.stops,
                "vehicles": instance.vehicles,
                "distance": euclidean_rounded,
                "speed_kmh": 0,
            }
            plan = plan_routes(**common, seconds=seconds, may_leave_stops=False)
            baseline = nearest_neighbour(**common)
            gap = (
                (plan.distance - instance.optimal) / instance.optimal * 100
                if instance.optimal
                else 0.0
            )
            self.stdout.write(
                f"{instance.name:<10} {instance.optimal or '-':>8} {plan.distance:>8} {gap:>7.2f} "
                f"{plan.seconds:>7.2f} {baseline.distance:>10} ({len(baseline.unassigned)} left)"
            )
            if plan.unassigned or not plan.feasible:
                failures.append(f"{instance.name}: {len(plan.unassigned)} stops left unserved")
            if gap > max_gap:
                failures.append(f"{instance.name}: gap {gap:.2f}% > {max_gap}%")
            if plan.seconds > max_seconds:
                failures.append(f"{instance.name}: {plan.seconds:.2f}s > {max_seconds}s")
        if failures:
            raise CommandError("; ".join(failures))
        self.stdout.write(
            self.style.SUCCESS(f"All {len(files)} within {max_gap}% and {max_seconds}s.")
        )

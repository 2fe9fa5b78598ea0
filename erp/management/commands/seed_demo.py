"""Build the deterministic demo data set, app by app, bottom to top.

Each app's `demo.seed(ctx)` adds its part; the same --seed always gives the
same data, and running the command again adds nothing that is there already.
"""

import logging
import random
from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

# Bottom to top of the import direction: later seeders use earlier ones' data.
SEEDERS = [
    "erp.core.demo",
    "crm.demo",
    "inventory.demo",
    "orders.demo",
    "logistics.demo",
    "aftersales.demo",
    # Steady daily demand for a few products, for the forecasts to model.
    "analytics.demo_demand",
    # Customers' relationship with us, once their orders and tickets exist.
    "crm.demo_activity",
    "analytics.demo",
    # Forecasts and reorder suggestions, after the other analytics seeders.
    "analytics.demo_forecasts",
    # Finished reports and report schedules, over all of the above.
    "analytics.demo_reports",
]


class SeedContext:
    def __init__(self, *, seed: int, options: dict, write):
        self.seed = seed
        self.options = options
        self.data: dict = {}
        self._write = write

    def rng(self, name: str) -> random.Random:
        """A generator of its own per app, so one app's draws never shift another's."""
        return random.Random(f"{self.seed}:{name}")

    def report(self, what: str, total: int, created: int | None = None) -> None:
        extra = f" ({created} new)" if created is not None else ""
        self._write(f"  {what}: {total}{extra}")


class Command(BaseCommand):
    help = (
        "Seed deterministic demo data: staff of every role, customers, products, "
        "warehouses, channels, carriers, teams and KPI targets."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (default 2026).")
        parser.add_argument("--orders", type=int, default=300, help="Number of demo orders.")
        parser.add_argument("--customers", type=int, default=120, help="Number of customers.")
        parser.add_argument("--products", type=int, default=200, help="Number of products.")

    def handle(self, *args, seed, **options):
        ctx = SeedContext(seed=seed, options=options, write=self.stdout.write)
        self.stdout.write(f"Seeding demo data (seed {seed}):")
        # The demo's history sends hundreds of notifications (each is kept in
        # the Notification table); they are not printed to the console, nor is
        # every in-process task that sends them.
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        logging.getLogger("erp.notifications").setLevel(logging.WARNING)
        console = "erp.core.notifications.ConsoleBackend"  # never a real SMS or push provider
        with (
            override_settings(
                EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                NOTIFICATION_BACKENDS={
                    **settings.NOTIFICATION_BACKENDS,
                    "sms": console,
                    "push": console,
                },
            ),
            transaction.atomic(),
        ):
            for module in SEEDERS:
                import_module(module).seed(ctx)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.print_logins(ctx)

    def print_logins(self, ctx) -> None:
        from erp.core.demo import DEMO_PASSWORD
        from erp.core.roles import Role, user_roles

        labels = dict(Role.choices)
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for username, user in ctx.data["users"].items():
            roles = ", ".join(str(labels[r]) for r in user_roles(user))
            self.stdout.write(f"  {username:<11} {user.last_name}{user.first_name}  {roles}")

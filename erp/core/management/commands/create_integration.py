"""Create OAuth2 client credentials for an integrator and print them as JSON."""

from django.core.management.base import BaseCommand, CommandError

from erp.core.services import IntegrationError, integration_create, json_dumps


class Command(BaseCommand):
    help = (
        "Create an integration client with the given scopes and print its client_id and "
        "client_secret as JSON (the secret is stored hashed and shown only this once)."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="A name for the integration, e.g. 'Tmall connector'.")
        parser.add_argument(
            "--scopes",
            required=True,
            help='Space-separated scopes, e.g. "orders:write inventory:read".',
        )

    def handle(self, *args, name, scopes, **options):
        try:
            created = integration_create(name=name, scopes=scopes.replace(",", " ").split())
        except IntegrationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json_dumps(created))

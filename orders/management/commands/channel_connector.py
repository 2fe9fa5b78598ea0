"""Give a sales channel its inbound connector and secret, or rotate the secret.

    manage.py channel_connector TMALL marketplace            # secret made if none
    manage.py channel_connector WEB web_store --rotate       # a new secret
    manage.py channel_connector WEB web_store --secret '...' # a secret you chose
    manage.py channel_connector WEB ""                       # inbound switched off

The new secret is printed once; give it to the channel's developers.
"""

from django.core.management.base import BaseCommand, CommandError

from erp.core.errors import DomainError
from orders.models import ConnectorKind, SalesChannel
from orders.services.inbound import channel_connector_set


class Command(BaseCommand):
    help = "Set a sales channel's inbound connector and secret (or rotate the secret)."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("connector", help=f"one of {', '.join(ConnectorKind.values)} or ''")
        parser.add_argument("--rotate", action="store_true", help="make a new secret")
        parser.add_argument("--secret", default=None, help="use this secret (16+ characters)")

    def handle(self, *args, code, connector, rotate, secret, **options):
        channel = SalesChannel.objects.filter(code=code.strip().upper()).first()
        if channel is None:
            raise CommandError(f"No sales channel has the code {code}.")
        try:
            channel, new_secret = channel_connector_set(
                channel=channel, connector=connector, secret=secret, rotate=rotate
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{channel.code}: connector {channel.connector or '-'}")
        if new_secret:
            self.stdout.write(f"secret: {new_secret}")

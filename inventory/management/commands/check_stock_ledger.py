"""Prove the ledger: every stock level's on-hand equals the sum of its moves."""

from django.core.management.base import BaseCommand, CommandError

from inventory.selectors import stock_ledger_mismatches


class Command(BaseCommand):
    help = "Check that on_hand of every stock level equals the sum of its stock moves."

    def handle(self, *args, **options):
        bad = list(stock_ledger_mismatches())
        if not bad:
            self.stdout.write(self.style.SUCCESS("Stock ledger OK: every level equals its moves."))
            return
        self.stderr.write("warehouse\tsku\ton_hand\tsum_of_moves\tdifference")
        for level in bad:
            self.stderr.write(
                f"{level.warehouse.code}\t{level.product.sku}\t{level.on_hand}\t{level.ledger}"
                f"\t{level.on_hand - level.ledger:+d}"
            )
        raise CommandError(f"{len(bad)} stock level(s) disagree with the ledger")

"""Row locks for stock. Always taken in primary-key order so that two
transactions locking the same levels can never wait on each other in a cycle."""

from django.db.models import QuerySet

from inventory.models import StockLevel


def stock_levels_for_update(level_ids) -> QuerySet[StockLevel]:
    return (
        StockLevel.objects.filter(pk__in=list(level_ids))
        .order_by("pk")
        .select_for_update(of=("self",))
    )

from django.db.models import QuerySet

from orders.models import SalesChannel


def channel_list() -> QuerySet[SalesChannel]:
    return SalesChannel.objects.select_related("default_warehouse")

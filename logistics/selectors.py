from django.db.models import QuerySet

from logistics.models import Carrier


def carrier_list() -> QuerySet[Carrier]:
    return Carrier.objects.all()

from django.db.models import QuerySet

from logistics.models import Carrier, Vehicle


def carrier_list() -> QuerySet[Carrier]:
    return Carrier.objects.all()


def vehicle_list() -> QuerySet[Vehicle]:
    return Vehicle.objects.select_related("depot", "carrier", "driver")

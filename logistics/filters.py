import django_filters
from django.utils.translation import gettext_lazy as _

from erp.core.filters import SearchFilter, YesNoFilter
from inventory.models import Warehouse
from logistics.models import Carrier, Vehicle


class CarrierFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["code", "name"])
    mode = django_filters.ChoiceFilter(choices=Carrier.Mode.choices, label=_("transport mode"))
    active = YesNoFilter(label=_("active"))
    ordering = django_filters.OrderingFilter(
        fields=(("code", "code"), ("name", "name"), ("mode", "mode")), label=_("order by")
    )

    class Meta:
        model = Carrier
        fields = ["q", "mode", "active"]


class VehicleFilter(django_filters.FilterSet):
    q = SearchFilter(fields=["plate", "driver__name"])
    depot = django_filters.ModelChoiceFilter(
        queryset=Warehouse.objects.all(), to_field_name="code", label=_("depot")
    )
    status = django_filters.ChoiceFilter(choices=Vehicle.Status.choices, label=_("status"))
    refrigerated = YesNoFilter(label=_("refrigerated"))
    ordering = django_filters.OrderingFilter(
        fields=(("plate", "plate"), ("capacity_kg", "capacity_kg")), label=_("order by")
    )

    class Meta:
        model = Vehicle
        fields = ["q", "depot", "status", "refrigerated"]

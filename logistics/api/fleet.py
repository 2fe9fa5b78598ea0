from drf_spectacular.utils import extend_schema, extend_schema_view

from erp.core.api.views import CrudViewSet
from logistics.filters import CarrierFilter, VehicleFilter
from logistics.selectors import carrier_list, vehicle_list
from logistics.serializers import (
    CarrierSerializer,
    CarrierWriteSerializer,
    VehicleSerializer,
    VehicleWriteSerializer,
)
from logistics.services import carrier_create, carrier_update, vehicle_create, vehicle_update


def _crud_schema(noun: str, write, read):
    return extend_schema_view(
        list=extend_schema(summary=f"List {noun}s", tags=["logistics"]),
        retrieve=extend_schema(summary=f"One {noun}", tags=["logistics"]),
        create=extend_schema(
            summary=f"Create a {noun}", tags=["logistics"], request=write, responses={201: read}
        ),
        partial_update=extend_schema(summary=f"Change a {noun}", tags=["logistics"], request=write),
        update=extend_schema(summary=f"Replace a {noun}", tags=["logistics"], request=write),
        destroy=extend_schema(
            summary=f"Delete a {noun} never used (409 otherwise)", tags=["logistics"]
        ),
    )


@_crud_schema("carrier", CarrierWriteSerializer, CarrierSerializer)
class CarrierViewSet(CrudViewSet):
    scope_domain = "logistics"
    queryset = carrier_list()
    serializer_class = CarrierSerializer
    write_serializer_class = CarrierWriteSerializer
    filterset_class = CarrierFilter
    lookup_field = "code"

    def create_service(self, **fields):
        return carrier_create(**fields)

    def update_service(self, instance, **changes):
        return carrier_update(carrier=instance, **changes)


@_crud_schema("vehicle", VehicleWriteSerializer, VehicleSerializer)
class VehicleViewSet(CrudViewSet):
    scope_domain = "logistics"
    queryset = vehicle_list()
    serializer_class = VehicleSerializer
    write_serializer_class = VehicleWriteSerializer
    filterset_class = VehicleFilter
    lookup_field = "plate"

    def create_service(self, **fields):
        fields.pop("status", None)
        return vehicle_create(**fields)

    def update_service(self, instance, **changes):
        return vehicle_update(vehicle=instance, **changes)

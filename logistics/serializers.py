from decimal import Decimal

from rest_framework import serializers

from inventory.models import Warehouse
from logistics.models import Carrier, Driver, Vehicle


class CarrierSerializer(serializers.ModelSerializer):
    emission_factor = serializers.DecimalField(
        source="effective_emission_factor", max_digits=8, decimal_places=2, read_only=True
    )

    class Meta:
        model = Carrier
        fields = [
            "code",
            "name",
            "mode",
            "phone",
            "tracking_url_template",
            "own_fleet",
            "emission_factor",
            "active",
        ]
        read_only_fields = fields


class CarrierWriteSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=100)
    mode = serializers.ChoiceField(choices=Carrier.Mode.choices)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    tracking_url_template = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default=""
    )
    own_fleet = serializers.BooleanField(default=False)
    emission_factor = serializers.DecimalField(
        max_digits=8, decimal_places=2, min_value=Decimal("0"), required=False, allow_null=True
    )
    active = serializers.BooleanField(required=False)


class VehicleSerializer(serializers.ModelSerializer):
    depot = serializers.CharField(source="depot.code")
    carrier = serializers.CharField(source="carrier.code", default=None)
    driver = serializers.CharField(source="driver.name", default=None)

    class Meta:
        model = Vehicle
        fields = [
            "plate",
            "depot",
            "carrier",
            "capacity_kg",
            "capacity_m3",
            "driver",
            "refrigerated",
            "status",
        ]
        read_only_fields = fields


class VehicleWriteSerializer(serializers.Serializer):
    plate = serializers.CharField(max_length=20)
    depot = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())
    carrier = serializers.SlugRelatedField(
        slug_field="code", queryset=Carrier.objects.all(), required=False, allow_null=True
    )
    capacity_kg = serializers.IntegerField(min_value=1)
    capacity_m3 = serializers.DecimalField(
        max_digits=7, decimal_places=2, min_value=Decimal("0.01")
    )
    driver = serializers.PrimaryKeyRelatedField(
        queryset=Driver.objects.all(), required=False, allow_null=True
    )
    refrigerated = serializers.BooleanField(default=False)
    status = serializers.ChoiceField(choices=Vehicle.Status.choices, required=False)

from rest_framework import serializers

from logistics.models import Carrier


class CarrierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Carrier
        fields = ["code", "name", "mode", "phone", "tracking_url_template", "own_fleet", "active"]
        read_only_fields = fields

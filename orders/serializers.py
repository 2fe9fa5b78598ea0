from rest_framework import serializers

from orders.models import SalesChannel


class SalesChannelSerializer(serializers.ModelSerializer):
    default_warehouse = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = SalesChannel
        fields = [
            "code",
            "name",
            "kind",
            "default_warehouse",
            "auto_confirm",
            "allow_backorder",
            "active",
        ]
        read_only_fields = fields

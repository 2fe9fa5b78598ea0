from rest_framework import serializers

from analytics.models import KpiTarget


class KpiTargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = KpiTarget
        fields = ["kpi", "comparison", "target", "tolerance_percent", "unit", "active"]
        read_only_fields = fields

from rest_framework import serializers

from aftersales.models import ServiceTeam


class ServiceTeamSerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = ServiceTeam
        fields = ["code", "name", "member_count", "active"]
        read_only_fields = fields

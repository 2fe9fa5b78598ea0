from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from rest_framework import serializers

from analytics.models import Alert, AlertEvent, KpiTarget


class KpiTargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = KpiTarget
        fields = ["kpi", "comparison", "target", "tolerance_percent", "unit", "active"]
        read_only_fields = fields


class AlertEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = AlertEvent
        fields = ["action", "actor", "note", "created_at"]
        read_only_fields = fields


class AlertSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    acknowledged_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    resolved_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Alert
        fields = [
            "number",
            "kind",
            "severity",
            "status",
            "subject_key",
            "subject_label",
            "subject_url",
            "message",
            "details",
            "owner_role",
            "owner",
            "raised_at",
            "last_seen_at",
            "cleared_at",
            "deadline",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolved_by",
            "resolution_note",
            "escalated_at",
            "escalated_to_role",
        ]
        read_only_fields = fields


class AlertDetailSerializer(AlertSerializer):
    events = AlertEventSerializer(many=True, read_only=True)

    class Meta(AlertSerializer.Meta):
        fields = [*AlertSerializer.Meta.fields, "events"]
        read_only_fields = fields


class AlertAcknowledgeSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class AlertResolveSerializer(serializers.Serializer):
    resolution_note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=4000,
        help_text="What was done about it; required (`note` is accepted as its alias).",
    )
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=4000, help_text="Alias of resolution_note."
    )

    def validate(self, data):
        text = (data.get("resolution_note") or data.get("note") or "").strip()
        if not text:
            raise serializers.ValidationError(
                {"resolution_note": [_("Say what was done before resolving the alert.")]}
            )
        return {"resolution_note": text}


class AlertAssignSerializer(serializers.Serializer):
    owner = serializers.CharField(help_text="Username of a user holding the alert's role.")

    def validate_owner(self, value):
        user = get_user_model().objects.filter(username=value, is_active=True).first()
        if user is None:
            raise serializers.ValidationError(_("No active user has this name."))
        return user

from django.contrib.auth import get_user_model
from rest_framework import serializers

from crm.hooks import CARE_RULES
from crm.models import CareRule, CareTask, Customer, Interaction


class CareTaskSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.code", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    rule = serializers.CharField(source="rule.code", default=None, read_only=True)
    assignee = serializers.CharField(source="assignee.username", default=None, read_only=True)
    completed_by = serializers.CharField(
        source="completed_by.username", default=None, read_only=True
    )

    class Meta:
        model = CareTask
        fields = [
            "id",
            "customer",
            "customer_name",
            "rule",
            "cause_key",
            "title",
            "detail",
            "reference",
            "priority",
            "status",
            "assignee",
            "due_at",
            "outcome",
            "completed_at",
            "completed_by",
            "created_at",
        ]
        read_only_fields = fields


class CareTaskCreateSerializer(serializers.Serializer):
    customer = serializers.SlugRelatedField(
        slug_field="code", queryset=Customer.objects.all(), help_text="customer code"
    )
    title = serializers.CharField(max_length=200)
    detail = serializers.CharField(required=False, allow_blank=True, default="")
    due_at = serializers.DateTimeField(required=False, help_text="Leave out: due now.")
    priority = serializers.ChoiceField(
        choices=CareTask.Priority.choices, default=CareTask.Priority.NORMAL
    )
    assignee = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="Leave out: the customer's account manager.",
    )
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class CareTaskCompleteSerializer(serializers.Serializer):
    outcome = serializers.CharField(max_length=4000)
    reached_by = serializers.ChoiceField(
        choices=Interaction.Kind.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="How the customer was reached: logs an outbound interaction linked to the task.",
    )


class CareTaskCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class CareTaskReassignSerializer(serializers.Serializer):
    assignee = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.filter(is_active=True)
    )


class CareRuleSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()

    class Meta:
        model = CareRule
        fields = ["code", "name", "description", "enabled", "delay_days", "threshold", "updated_at"]
        read_only_fields = ["code", "name", "description", "updated_at"]

    def get_name(self, rule) -> str:
        spec = CARE_RULES.get(rule.code)
        return str(spec.name) if spec else rule.code

    def get_description(self, rule) -> str:
        spec = CARE_RULES.get(rule.code)
        return str(spec.description) if spec else ""


class CareRuleUpdateSerializer(serializers.Serializer):
    enabled = serializers.BooleanField(required=False)
    delay_days = serializers.IntegerField(required=False, min_value=0, max_value=365)
    threshold = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, min_value=0
    )

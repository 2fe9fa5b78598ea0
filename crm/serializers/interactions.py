from rest_framework import serializers

from crm.models import Contact, Customer, Interaction


class InteractionSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.code", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    contact = serializers.CharField(source="contact.name", default=None, read_only=True)
    staff = serializers.CharField(source="staff.username", default=None, read_only=True)
    care_task = serializers.IntegerField(source="care_task_id", default=None, read_only=True)

    class Meta:
        model = Interaction
        fields = [
            "id",
            "customer",
            "customer_name",
            "contact",
            "kind",
            "direction",
            "subject",
            "body",
            "staff",
            "occurred_at",
            "by_system",
            "reference",
            "care_task",
            "created_at",
        ]
        read_only_fields = fields


class InteractionCreateSerializer(serializers.Serializer):
    customer = serializers.SlugRelatedField(
        slug_field="code", queryset=Customer.objects.all(), help_text="customer code"
    )
    kind = serializers.ChoiceField(choices=Interaction.Kind.choices)
    direction = serializers.ChoiceField(choices=Interaction.Direction.choices)
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(required=False, allow_blank=True, default="")
    occurred_at = serializers.DateTimeField(required=False, help_text="Leave out: now.")
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), required=False, allow_null=True, help_text="contact id"
    )
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

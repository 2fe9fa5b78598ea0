from rest_framework import serializers

from aftersales.models import Feedback


class FeedbackSerializer(serializers.ModelSerializer):
    ticket = serializers.CharField(source="ticket.number", read_only=True)
    ticket_subject = serializers.CharField(source="ticket.subject", read_only=True)
    customer = serializers.CharField(source="customer.code", read_only=True)
    assignee = serializers.CharField(source="assignee.username", default=None, read_only=True)
    answered = serializers.SerializerMethodField()

    class Meta:
        model = Feedback
        fields = [
            "id",
            "ticket",
            "ticket_subject",
            "customer",
            "assignee",
            "sent_at",
            "answered",
            "submitted_at",
            "csat",
            "nps",
            "comment",
        ]
        read_only_fields = fields

    def get_answered(self, obj) -> bool:
        return obj.submitted_at is not None


class SurveySerializer(serializers.Serializer):
    """What the customer's survey shows: the ticket, nothing about the customer."""

    ticket = serializers.CharField()
    subject = serializers.CharField()
    answered = serializers.BooleanField()
    expired = serializers.BooleanField()
    expires_at = serializers.DateTimeField()
    csat = serializers.IntegerField(allow_null=True)
    nps = serializers.IntegerField(allow_null=True)


class SurveyAnswerSerializer(serializers.Serializer):
    csat = serializers.IntegerField(min_value=1, max_value=5, help_text="Satisfaction, 1 to 5")
    nps = serializers.IntegerField(
        min_value=0,
        max_value=10,
        required=False,
        allow_null=True,
        help_text="How likely to recommend us, 0 to 10 (optional)",
    )
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

"""Campaigns over the API: the draft, its audience, its results."""

from rest_framework import serializers

from crm.models import Campaign, Segment
from crm.selectors import campaign_stats


class CampaignSerializer(serializers.ModelSerializer):
    segment = serializers.SerializerMethodField()
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    sent_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "code",
            "name",
            "segment",
            "channel",
            "subject",
            "message",
            "status",
            "attribution_days",
            "sent_at",
            "audience_count",
            "excluded_no_consent",
            "excluded_no_address",
            "created_by",
            "sent_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_segment(self, campaign) -> dict:
        return {"id": campaign.segment_id, "name": campaign.segment.name}


class CampaignStatsSerializer(serializers.Serializer):
    recipients = serializers.IntegerField()
    delivered = serializers.IntegerField()
    responders = serializers.IntegerField()
    response_rate = serializers.DecimalField(
        max_digits=5, decimal_places=1, allow_null=True, help_text="Percent of recipients."
    )
    orders = serializers.IntegerField()
    revenue = serializers.DecimalField(max_digits=16, decimal_places=2)


class CampaignDetailSerializer(CampaignSerializer):
    stats = serializers.SerializerMethodField()

    class Meta(CampaignSerializer.Meta):
        fields = [*CampaignSerializer.Meta.fields, "stats"]
        read_only_fields = fields

    def get_stats(self, campaign) -> CampaignStatsSerializer:
        return CampaignStatsSerializer(campaign_stats(campaign)).data


class CampaignWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    segment = serializers.PrimaryKeyRelatedField(queryset=Segment.objects.all())
    channel = serializers.ChoiceField(choices=Campaign.Channel.choices)
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    message = serializers.CharField(help_text="{name} is replaced by the customer's name.")
    code = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        default="",
        help_text="Leave empty for the next CP-YYYYMM-NNN.",
    )
    attribution_days = serializers.IntegerField(min_value=1, max_value=365, default=30)


class CampaignAudienceSerializer(serializers.Serializer):
    customers = serializers.IntegerField(help_text="Customers in the segment now.")
    consenting = serializers.IntegerField()
    recipients = serializers.IntegerField(help_text="Consenting, with an address for the channel.")
    no_consent = serializers.IntegerField()
    no_address = serializers.IntegerField()

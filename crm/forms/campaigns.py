"""The campaign form (a draft: segment, channel, subject, message, code)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Campaign, Segment


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=200)
    segment = forms.ModelChoiceField(label=_("segment"), queryset=Segment.objects.order_by("name"))
    channel = forms.ChoiceField(label=_("channel"), choices=Campaign.Channel.choices)
    code = forms.CharField(
        label=_("campaign code"),
        max_length=30,
        required=False,
        help_text=_(
            "Leave empty for the next CP-YYYYMM-NNN. Orders quoting it count as responses."
        ),
    )
    attribution_days = forms.IntegerField(
        label=_("attribution window (days)"), min_value=1, max_value=365, initial=30
    )
    subject = forms.CharField(
        label=_("subject"), max_length=200, required=False, help_text=_("Needed for e-mail.")
    )
    message = forms.CharField(
        label=_("message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("{name} is replaced by the customer's name."),
    )


def campaign_initial(campaign) -> dict:
    return {
        "name": campaign.name,
        "segment": campaign.segment_id,
        "channel": campaign.channel,
        "code": campaign.code,
        "attribution_days": campaign.attribution_days,
        "subject": campaign.subject,
        "message": campaign.message,
    }

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Customer
from crm.services.scoring import TIER_ORDER


class TierThresholdsForm(forms.Form):
    """The spend and orders in 12 months of silver, gold and VIP, on one form."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for tier in reversed(TIER_ORDER):  # silver, gold, VIP
            label = Customer.Tier(tier).label
            self.fields[f"{tier}_min_spend_12m"] = forms.DecimalField(
                label=_("%(tier)s: minimum spend in 12 months") % {"tier": label},
                min_value=0,
                max_digits=14,
                decimal_places=2,
            )
            self.fields[f"{tier}_min_orders_12m"] = forms.IntegerField(
                label=_("%(tier)s: minimum orders in 12 months") % {"tier": label},
                min_value=0,
                max_value=100_000,
            )

    def thresholds(self) -> dict:
        data = self.cleaned_data
        return {
            tier: (data[f"{tier}_min_spend_12m"], data[f"{tier}_min_orders_12m"])
            for tier in reversed(TIER_ORDER)
        }


class CustomerTierForm(forms.Form):
    tier = forms.ChoiceField(
        label=_("tier set by hand"),
        choices=[("", _("none: use the computed tier")), *Customer.Tier.choices],
        required=False,
    )
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)

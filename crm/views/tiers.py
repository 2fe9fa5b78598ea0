"""Tier pages: the thresholds of silver, gold and VIP, and a customer's tier
set by hand (kept by the nightly scoring until cleared)."""

from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from crm.forms.tiers import CustomerTierForm, TierThresholdsForm
from crm.models import Customer, CustomerScore, TierChange, TierThreshold
from crm.services.scoring import customer_tier_override_set, tier_thresholds_update
from erp.core.forms import ServiceFormView

CUSTOMER_TIER_PERMISSION = "crm.add_tierchange"


class TierThresholdsView(ServiceFormView):
    """Everybody who may see the thresholds sees this page; saving them takes
    crm.change_tierthreshold."""

    template_name = "crm/tier_thresholds.html"
    form_class = TierThresholdsForm
    title = _("Tier thresholds")
    success_message = _("Tier thresholds saved. Tiers follow at the next scoring.")
    hint = _(
        "A customer gets the highest tier whose spend and orders in the last 12 months it "
        "both reaches; a tier set by hand is kept."
    )

    def get_permission_required(self):
        if self.request.method == "POST":
            return ["crm.change_tierthreshold"]
        return ["crm.view_tierthreshold"]

    def get_initial(self):
        initial = {}
        for row in TierThreshold.objects.all():
            initial[f"{row.tier}_min_spend_12m"] = row.min_spend_12m
            initial[f"{row.tier}_min_orders_12m"] = row.min_orders_12m
        return initial

    def perform(self, form):
        return tier_thresholds_update(thresholds=form.thresholds())

    def get_success_message(self, obj) -> str:
        return str(self.success_message)

    def get_success_url_for(self, obj) -> str:
        return reverse("crm:tier-thresholds")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            can_change=self.request.user.has_perm("crm.change_tierthreshold"),
            tier_counts=dict(_tier_counts(Customer.objects.filter(merged_into__isnull=True))),
            recent_changes=TierChange.objects.select_related("customer", "changed_by")[:20],
        )
        return ctx


def _tier_counts(customers):
    counts = dict(customers.values_list("tier").annotate(n=Count("id")).order_by())
    # standard, silver, gold, VIP: in the order of the tiers, not of their names
    return [(label, counts[tier]) for tier, label in Customer.Tier.choices if tier in counts]


class CustomerTierView(ServiceFormView):
    permission_required = CUSTOMER_TIER_PERMISSION
    template_name = "crm/tier_customer.html"
    form_class = CustomerTierForm
    success_message = _("Tier of %(object)s saved.")

    def dispatch(self, request, *args, **kwargs):
        self.customer = get_object_or_404(Customer, code=kwargs["code"])
        return super().dispatch(request, *args, **kwargs)

    @property
    def title(self):
        return _("Tier of %(customer)s") % {"customer": self.customer}

    def get_initial(self):
        return {"tier": self.customer.tier_override, "reason": self.customer.tier_override_reason}

    def perform(self, form):
        return customer_tier_override_set(
            customer=self.customer,
            tier=form.cleaned_data["tier"],
            reason=form.cleaned_data["reason"],
            actor=self.request.user,
        )

    def get_success_url_for(self, obj) -> str:
        return reverse("crm:customer-tier", args=[obj.code])

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            customer=self.customer,
            score=CustomerScore.objects.filter(customer=self.customer).first(),
            changes=self.customer.tier_changes.select_related("changed_by")[:20],
        )
        return ctx


urlpatterns = [
    path("tiers/", TierThresholdsView.as_view(), name="tier-thresholds"),
    path("customers/<str:code>/tier/", CustomerTierView.as_view(), name="customer-tier"),
]

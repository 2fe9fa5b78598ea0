"""The customer 360 page (客户全景): one customer's profile, scores and tier,
orders, shipments, tickets, returns, repairs, feedback, interactions, care
tasks and campaigns, with KPI cards and the 7P analysis, in a fixed number
of queries (crm.selectors.customer_360)."""

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext_lazy as _

from crm.selectors import customer_360, customer_360_detail

# The pages other areas offer for a customer: (url name, label, icon, permission).
# A button shows when the user holds the permission and the page exists.
ACTIONS = [
    ("crm:customer-edit", _("Edit"), "bi-pencil", "crm.change_customer"),
    ("crm:interaction-create", _("Log interaction"), "bi-chat-left-text", "crm.add_interaction"),
    ("crm:care-create", _("New care task"), "bi-calendar-check", "crm.add_caretask"),
    ("crm:customer-tier", _("Set tier"), "bi-award", "crm.add_tierchange"),
    ("crm:customer-merge", _("Merge a duplicate"), "bi-union", "crm.merge_customer"),
]


def customer_actions(user, customer) -> list[dict]:
    if customer.merged_into_id:
        return []  # a merged customer is kept for the record only
    actions = []
    for name, label, icon, perm in ACTIONS:
        if not user.has_perm(perm):
            continue
        try:
            url = reverse(name, args=[customer.code])
        except NoReverseMatch:
            continue
        actions.append({"name": name.split(":")[1], "url": url, "label": label, "icon": icon})
    return actions


TIER_BADGES = {
    "standard": "text-bg-light border",
    "silver": "text-bg-secondary",
    "gold": "text-bg-warning",
    "vip": "text-bg-danger",
}
CHURN_BADGES = {"low": "text-bg-success", "medium": "text-bg-warning", "high": "text-bg-danger"}


@login_required
@permission_required("crm.view_customer", raise_exception=True)
def customer_detail_view(request, code: str):
    customer = get_object_or_404(customer_360_detail(), code=code)
    context = customer_360(customer, request.user)
    context.update(
        actions=customer_actions(request.user, customer),
        tier_badge=TIER_BADGES.get(customer.tier, "text-bg-light border"),
        churn_badges=CHURN_BADGES,
        segment_label=context["facts"].get("segment_label", ""),
    )
    return render(request, "crm/customer_detail.html", context)


urlpatterns = [
    path("customers/<str:code>/", customer_detail_view, name="customer-detail"),
]

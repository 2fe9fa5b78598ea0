"""Campaign pages: the list, a draft's form, a campaign's page (its audience
before sending, its results after) with send and cancel."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import DetailView

from crm.filters.segments import CampaignFilter
from crm.forms.campaigns import CampaignForm, campaign_initial
from crm.models import Campaign
from crm.selectors import campaign_audience, campaign_list, campaign_responses, campaign_stats
from crm.services.campaigns import (
    campaign_cancel,
    campaign_create,
    campaign_send,
    campaign_update,
)
from erp.core.errors import DomainError
from erp.core.forms import ServiceFormView
from erp.core.views import StaffListView, StaffPageMixin

SENDS_SHOWN = 50


class CampaignListView(StaffListView):
    permission_required = "crm.view_campaign"
    filterset_class = CampaignFilter
    queryset = campaign_list()
    title = gettext_lazy("Campaigns")
    columns = [
        ("code", gettext_lazy("campaign code"), "code"),
        ("name", gettext_lazy("name")),
        ("segment.name", gettext_lazy("segment")),
        ("channel", gettext_lazy("channel")),
        ("status", gettext_lazy("status")),
        ("sent_at", gettext_lazy("sent at"), "sent_at"),
        ("audience_count", gettext_lazy("customers in the segment")),
        ("created_at", gettext_lazy("created"), "created_at"),
    ]
    create_url_name = "crm:campaign-create"
    create_permission = "crm.add_campaign"
    empty_message = gettext_lazy("No campaign matches these filters.")

    def row_url(self, obj):
        return reverse("crm:campaign-detail", args=[obj.code])


class CampaignDetailView(StaffPageMixin, DetailView):
    permission_required = "crm.view_campaign"
    template_name = "crm/campaign_detail.html"
    slug_field = "code"
    slug_url_kwarg = "code"
    context_object_name = "campaign"

    def get_queryset(self):
        return campaign_list()

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        campaign = self.object
        user = self.request.user
        draft = campaign.status == Campaign.Status.DRAFT
        ctx.update(
            draft=draft,
            audience=campaign_audience(segment=campaign.segment, channel=campaign.channel)
            if draft
            else None,
            stats=campaign_stats(campaign) if campaign.sent_at else None,
            sends=campaign.sends.select_related("customer", "notification").order_by("id")[
                :SENDS_SHOWN
            ],
            responses=campaign_responses(campaign)
            .select_related("customer")
            .order_by("-placed_at")[:SENDS_SHOWN],
            can_send=user.has_perm("crm.send_campaign")
            and campaign.status in (Campaign.Status.DRAFT, Campaign.Status.SENDING),
            can_change=user.has_perm("crm.change_campaign") and draft,
        )
        return ctx


class CampaignCreateView(ServiceFormView):
    permission_required = "crm.add_campaign"
    form_class = CampaignForm
    title = gettext_lazy("New campaign")
    cancel_url_name = "crm:campaign-list"
    success_message = gettext_lazy("Campaign %(object)s saved as a draft.")

    def get_initial(self):
        segment = self.request.GET.get("segment")
        return {"segment": segment} if segment and segment.isdigit() else {}

    def perform(self, form):
        return campaign_create(actor=self.request.user, **form.cleaned_data)

    def get_success_url_for(self, campaign) -> str:
        return reverse("crm:campaign-detail", args=[campaign.code])


class CampaignEditView(ServiceFormView):
    permission_required = "crm.change_campaign"
    form_class = CampaignForm
    cancel_url_name = "crm:campaign-list"
    success_message = gettext_lazy("Campaign %(object)s saved.")

    def dispatch(self, request, *args, **kwargs):
        self.campaign = get_object_or_404(Campaign, code=kwargs["code"])
        self.title = _("Change campaign %(code)s") % {"code": self.campaign.code}
        if request.user.is_authenticated and self.campaign.status != Campaign.Status.DRAFT:
            messages.error(request, _("Only a draft campaign can be changed."))
            return redirect("crm:campaign-detail", code=self.campaign.code)
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return campaign_initial(self.campaign)

    def perform(self, form):
        changes = dict(form.cleaned_data)
        if not changes.get("code"):
            changes.pop("code", None)
        return campaign_update(campaign=self.campaign, actor=self.request.user, **changes)

    def get_success_url_for(self, campaign) -> str:
        return reverse("crm:campaign-detail", args=[campaign.code])


def _act(request, code: str, service, done: str):
    campaign = get_object_or_404(Campaign, code=code)
    try:
        service(campaign=campaign, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done % {"code": campaign.code})
    return redirect("crm:campaign-detail", code=campaign.code)


@require_POST
@login_required
@permission_required("crm.send_campaign", raise_exception=True)
def campaign_send_view(request, code: str):
    return _act(
        request,
        code,
        campaign_send,
        _("Campaign %(code)s is being sent to the consenting customers of its segment."),
    )


@require_POST
@login_required
@permission_required("crm.change_campaign", raise_exception=True)
def campaign_cancel_view(request, code: str):
    return _act(request, code, campaign_cancel, _("Campaign %(code)s cancelled."))


urlpatterns = [
    path("campaigns/", CampaignListView.as_view(), name="campaign-list"),
    path("campaigns/new/", CampaignCreateView.as_view(), name="campaign-create"),
    path("campaigns/<str:code>/", CampaignDetailView.as_view(), name="campaign-detail"),
    path("campaigns/<str:code>/edit/", CampaignEditView.as_view(), name="campaign-edit"),
    path("campaigns/<str:code>/send/", campaign_send_view, name="campaign-send"),
    path("campaigns/<str:code>/cancel/", campaign_cancel_view, name="campaign-cancel"),
]

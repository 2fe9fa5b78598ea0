"""Campaigns over the API: drafts (create, change), their audience, send,
cancel, and the results in the detail."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.selectors import campaign_audience, campaign_list
from crm.serializers.campaigns import (
    CampaignAudienceSerializer,
    CampaignDetailSerializer,
    CampaignSerializer,
    CampaignWriteSerializer,
)
from crm.services.campaigns import (
    campaign_cancel,
    campaign_create,
    campaign_send,
    campaign_update,
)
from erp.core.api.views import CrudViewSet

TAGS = ["campaigns"]
EXAMPLE = {
    "name": "Autumn tea",
    "segment": 1,
    "channel": "email",
    "subject": "{name}, the autumn tea is in",
    "message": "Dear {name}, quote CP-202611-001 with your order for a gift.",
    "attribution_days": 30,
}


@extend_schema_view(
    list=extend_schema(summary="List marketing campaigns", tags=TAGS),
    retrieve=extend_schema(
        summary="One campaign with its results",
        description="`stats`: recipients, delivered, responders (recipients who placed an "
        "order carrying the code within `attribution_days` after the send, not cancelled), "
        "response_rate (percent of recipients), orders and revenue attributed (every order "
        "carrying the code in the window).",
        tags=TAGS,
    ),
    create=extend_schema(
        summary="Write a draft campaign",
        description="Without `code` it gets the next CP-YYYYMM-NNN. {name} in subject and "
        "message is replaced by the customer's name. 400 naming the field otherwise.",
        tags=TAGS,
        request=CampaignWriteSerializer,
        responses={201: CampaignDetailSerializer},
        examples=[OpenApiExample("Campaign", value=EXAMPLE, request_only=True)],
    ),
    partial_update=extend_schema(
        summary="Change a draft campaign (409 once sent or cancelled)",
        tags=TAGS,
        request=CampaignWriteSerializer,
        responses={200: CampaignDetailSerializer},
        examples=[OpenApiExample("Campaign", value={"attribution_days": 14}, request_only=True)],
    ),
    update=extend_schema(
        summary="Replace a draft campaign (409 once sent or cancelled)",
        tags=TAGS,
        request=CampaignWriteSerializer,
        responses={200: CampaignDetailSerializer},
        examples=[OpenApiExample("Campaign", value=EXAMPLE, request_only=True)],
    ),
)
class CampaignViewSet(CrudViewSet):
    scope_domain = "crm"
    queryset = campaign_list()
    serializer_class = CampaignDetailSerializer
    write_serializer_class = CampaignWriteSerializer
    lookup_field = "code"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    action_permissions = {
        "audience": ["crm.view_campaign"],
        "send": ["crm.send_campaign"],
        "cancel": ["crm.change_campaign"],
    }

    def get_serializer_class(self):
        return CampaignSerializer if self.action == "list" else CampaignDetailSerializer

    def create_service(self, **fields):
        return campaign_create(actor=self.request.user, **fields)

    def update_service(self, instance, **changes):
        if not changes.get("code", "x"):
            changes.pop("code")  # blank: keep the code it has
        return campaign_update(campaign=instance, actor=self.request.user, **changes)

    @extend_schema(
        summary="Who the campaign would reach now",
        description="Customers in the segment, those who consent, and the recipients "
        "(consenting, with an address for the channel); the rest are left out.",
        tags=TAGS,
        responses={200: CampaignAudienceSerializer},
    )
    @action(detail=True, methods=["get"])
    def audience(self, request, code=None):
        campaign = self.get_object()
        figures = campaign_audience(segment=campaign.segment, channel=campaign.channel)
        return Response(CampaignAudienceSerializer(figures).data)

    @extend_schema(
        summary="Send a draft campaign",
        description="202: the campaign is `sending`; a task writes one send per consenting "
        "customer with an address and notifies each once, then marks it `sent`. Needs "
        "crm.send_campaign. 409 unless a draft (a campaign left `sending` is queued again); "
        "400 naming `segment` if its filters no longer work.",
        tags=TAGS,
        request=None,
        responses={202: CampaignDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def send(self, request, code=None):
        campaign = campaign_send(campaign=self.get_object(), actor=request.user)
        campaign = self.get_queryset().get(pk=campaign.pk)
        return Response(CampaignDetailSerializer(campaign).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Cancel a draft campaign (409 once sent)",
        tags=TAGS,
        request=None,
        responses={200: CampaignDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, code=None):
        campaign = campaign_cancel(campaign=self.get_object(), actor=request.user)
        return Response(CampaignDetailSerializer(campaign).data)


def register(router) -> None:
    router.register("campaigns", CampaignViewSet, basename="campaign")

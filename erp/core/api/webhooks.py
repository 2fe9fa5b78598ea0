"""/api/v1/webhooks/ and /api/v1/webhook-deliveries/: subscriptions to our
events, their delivery log and replays (erp.core.webhooks). Scopes
webhooks:read / webhooks:write; staff need the admin role's permissions."""

import json

from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from erp.core.api.views import CrudViewSet, ReadOnlyViewSet
from erp.core.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from erp.core.webhooks import (
    webhook_replay,
    webhook_replay_bulk,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_enable,
    webhook_subscription_pause,
    webhook_subscription_rotate_secret,
    webhook_subscription_update,
)
from erp.core.webhooks.events import ALL, EVENT_TYPES
from erp.core.webhooks.filters import WebhookDeliveryFilter, WebhookSubscriptionFilter

TAGS = ["webhooks"]
MAX_ID = 2**63 - 1
EVENT_CHOICES = [ALL, *EVENT_TYPES]

SUBSCRIPTION_EXAMPLE = {
    "id": 3,
    "name": "Warehouse app",
    "url": "https://hooks.example.com/erp",
    "event_types": ["order.confirmed", "stock.low"],
    "description": "Stock and picking in the 3PL's system",
    "status": "active",
    "secret": "whsec_…Xw",
    "consecutive_failures": 0,
    "disabled_at": None,
    "disabled_reason": "",
    "last_delivery_at": "2026-11-20T09:30:02+08:00",
    "last_status_code": 200,
    "created_at": "2026-11-01T10:00:00+08:00",
    "updated_at": "2026-11-01T10:00:00+08:00",
}
DELIVERY_EXAMPLE = {
    "id": 812,
    "subscription": 3,
    "event_id": "0f8e7c1a-5b3d-4c2e-9a51-6d0e2b7f4c11",
    "event_type": "order.confirmed",
    "status": "succeeded",
    "attempts": 4,
    "next_attempt_at": None,
    "give_up_at": "2026-11-21T09:30:00+08:00",
    "last_status_code": 200,
    "last_duration_ms": 84,
    "last_error": "",
    "delivered_at": "2026-11-20T09:41:12+08:00",
    "created_at": "2026-11-20T09:30:00+08:00",
}


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    secret = serializers.CharField(
        source="secret_masked",
        read_only=True,
        help_text="Masked; the whole secret is shown only when created or rotated.",
    )
    event_types = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "name",
            "url",
            "event_types",
            "description",
            "status",
            "secret",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "last_delivery_at",
            "last_status_code",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookSubscriptionWithSecretSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="The whole secret: store it now, it is not shown again."
    )


class WebhookSubscriptionWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    url = serializers.CharField(max_length=500, help_text="http(s) URL the events are POSTed to.")
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_CHOICES),
        min_length=1,
        max_length=len(EVENT_CHOICES),
        help_text='Event types to receive; "*" for every type.',
    )
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    secret = serializers.CharField(
        min_length=16,
        max_length=100,
        required=False,
        write_only=True,
        help_text="Signing secret; generated when left out.",
    )


class RotateSecretSerializer(serializers.Serializer):
    secret = serializers.CharField(
        min_length=16, max_length=100, required=False, help_text="Generated when left out."
    )


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = [
            "number",
            "started_at",
            "status_code",
            "duration_ms",
            "success",
            "error",
            "response_excerpt",
        ]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "give_up_at",
            "last_status_code",
            "last_duration_ms",
            "last_error",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields


class WebhookDeliveryDetailSerializer(WebhookDeliverySerializer):
    body = serializers.SerializerMethodField(help_text="The JSON body POSTed on every attempt.")
    attempt_log = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta(WebhookDeliverySerializer.Meta):
        fields = [*WebhookDeliverySerializer.Meta.fields, "body", "attempt_log"]
        read_only_fields = fields

    def get_body(self, delivery) -> dict:
        return json.loads(delivery.body)


class ReplayBulkSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=1000,
        help_text="Deliveries to replay; left out: every failed delivery (of `subscription`, "
        "created between `since` and `until`).",
    )
    subscription = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)


class ReplayedSerializer(serializers.Serializer):
    replayed = serializers.IntegerField()


@extend_schema_view(
    list=extend_schema(
        summary="List webhook subscriptions",
        description="Filters: `status`, `q` (name, URL, description); `ordering` by name, "
        "created_at, last_delivery_at. Secrets are masked.",
        tags=TAGS,
        examples=[OpenApiExample("A subscription", value=SUBSCRIPTION_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="One webhook subscription",
        tags=TAGS,
        examples=[OpenApiExample("A subscription", value=SUBSCRIPTION_EXAMPLE, response_only=True)],
    ),
    update=extend_schema(
        summary="Replace a webhook subscription",
        tags=TAGS,
        request=WebhookSubscriptionWriteSerializer,
        responses={200: WebhookSubscriptionSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a webhook subscription",
        description="Only the fields given change. A `secret` given here replaces the "
        "secret (prefer `rotate-secret`).",
        tags=TAGS,
        request=WebhookSubscriptionWriteSerializer,
        responses={200: WebhookSubscriptionSerializer},
        examples=[
            OpenApiExample(
                "Add an event type",
                value={"event_types": ["order.confirmed", "stock.low", "return.received"]},
                request_only=True,
            )
        ],
    ),
    destroy=extend_schema(
        summary="Delete a webhook subscription and its delivery log",
        tags=TAGS,
        responses={204: None},
    ),
)
class WebhookSubscriptionViewSet(CrudViewSet):
    scope_domain = "webhooks"
    queryset = WebhookSubscription.objects.all()
    serializer_class = WebhookSubscriptionSerializer
    write_serializer_class = WebhookSubscriptionWriteSerializer
    filterset_class = WebhookSubscriptionFilter
    # A replayed create or rotate-secret answers without the secret: it is
    # shown once, in the first answer, and not kept with the idempotency key.
    idempotency_redact_fields = ("secret",)
    action_permissions = {
        "list": ["core.view_webhooksubscription"],
        "retrieve": ["core.view_webhooksubscription"],
        "create": ["core.add_webhooksubscription"],
        "update": ["core.change_webhooksubscription"],
        "partial_update": ["core.change_webhooksubscription"],
        "destroy": ["core.delete_webhooksubscription"],
        "rotate_secret": ["core.change_webhooksubscription"],
        "enable": ["core.change_webhooksubscription"],
        "pause": ["core.change_webhooksubscription"],
    }

    @extend_schema(
        summary="Subscribe to events",
        description="Creates an active subscription. Every matching event is POSTed to "
        "`url` as JSON `{id, type, occurred_at, resource: {type, id}, data}`, signed in "
        '`X-ERP-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. '
        "The answer carries the whole `secret` (generated unless given) - the only time "
        "it is shown. Private and loopback addresses are refused in production (400).",
        tags=TAGS,
        request=WebhookSubscriptionWriteSerializer,
        responses={201: WebhookSubscriptionWithSecretSerializer},
        examples=[
            OpenApiExample(
                "Orders and low stock",
                value={
                    "name": "Warehouse app",
                    "url": "https://hooks.example.com/erp",
                    "event_types": ["order.confirmed", "stock.low"],
                    "description": "Stock and picking in the 3PL's system",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Created (the secret shown once)",
                value={**SUBSCRIPTION_EXAMPLE, "secret": "whsec_3q2-7wJ0c9mB5oVdA1x"},
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def create(self, request, *args, **kwargs):
        data = WebhookSubscriptionWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = webhook_subscription_create(**data.validated_data, actor=request.user)
        return Response(WebhookSubscriptionWithSecretSerializer(subscription).data, status=201)

    def update_service(self, instance, **changes):
        return webhook_subscription_update(instance, **changes)

    def destroy(self, request, *args, **kwargs):
        webhook_subscription_delete(self.get_object())
        return Response(status=204)

    @extend_schema(
        summary="Rotate the signing secret",
        description="A new secret (generated unless given) signs every later attempt; the "
        "answer shows it once.",
        tags=TAGS,
        request=RotateSecretSerializer,
        responses={200: WebhookSubscriptionWithSecretSerializer},
        examples=[OpenApiExample("Generate one", value={}, request_only=True)],
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        data = RotateSecretSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = webhook_subscription_rotate_secret(
            self.get_object(), secret=data.validated_data.get("secret", "")
        )
        return Response(WebhookSubscriptionWithSecretSerializer(subscription).data)

    @extend_schema(
        summary="Enable a paused or disabled subscription",
        description="Deliveries still waiting are sent at once, with a fresh retry period; "
        "failed ones wait for a replay.",
        tags=TAGS,
        request=None,
        responses={200: WebhookSubscriptionSerializer},
    )
    @action(detail=True, methods=["post"])
    def enable(self, request, pk=None):
        subscription = webhook_subscription_enable(self.get_object())
        return Response(WebhookSubscriptionSerializer(subscription).data)

    @extend_schema(
        summary="Pause a subscription",
        description="Nothing is sent or queued for it until it is enabled again.",
        tags=TAGS,
        request=None,
        responses={200: WebhookSubscriptionSerializer},
    )
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        subscription = webhook_subscription_pause(self.get_object())
        return Response(WebhookSubscriptionSerializer(subscription).data)


@extend_schema_view(
    list=extend_schema(
        summary="The webhook delivery log",
        description="One row per event and subscription, newest first. Filters: "
        "`subscription` (id), `status` (pending, sending, succeeded, failed), `event_type`, "
        "`event_id`, `since`/`until` (dates); `ordering` by created_at, attempts.",
        tags=TAGS,
        examples=[OpenApiExample("A delivery", value=DELIVERY_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="One delivery with its body and every attempt",
        tags=TAGS,
        responses={200: WebhookDeliveryDetailSerializer},
    ),
)
class WebhookDeliveryViewSet(ReadOnlyViewSet):
    scope_domain = "webhooks"
    queryset = WebhookDelivery.objects.all()
    serializer_class = WebhookDeliverySerializer
    filterset_class = WebhookDeliveryFilter
    action_permissions = {
        "list": ["core.view_webhookdelivery"],
        "retrieve": ["core.view_webhookdelivery"],
        "replay": ["core.view_webhookdelivery", "core.change_webhookdelivery"],
        "replay_bulk": ["core.view_webhookdelivery", "core.change_webhookdelivery"],
    }

    def get_queryset(self):
        queryset = WebhookDelivery.objects.all()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("attempt_log")
        return queryset

    def get_serializer_class(self):
        if self.action == "retrieve":
            return WebhookDeliveryDetailSerializer
        return WebhookDeliverySerializer

    @extend_schema(
        summary="Replay one delivery",
        description="Sends it again at once (same event id and body) with a fresh retry "
        "period. 409 while it is still waiting to be sent, or when its subscription is not "
        "active.",
        tags=TAGS,
        request=None,
        responses={200: WebhookDeliverySerializer, 409: OpenApiResponse(description="conflict")},
    )
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        delivery = webhook_replay(delivery=self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data)

    @extend_schema(
        summary="Replay many deliveries",
        operation_id="webhook_deliveries_replay_bulk",
        description="`ids`: those deliveries (any not already waiting); without `ids`: every "
        "failed delivery, optionally of one `subscription` and created between `since` "
        "and `until`. Only deliveries of active subscriptions are replayed.",
        tags=TAGS,
        request=ReplayBulkSerializer,
        responses={200: ReplayedSerializer},
        examples=[
            OpenApiExample(
                "Failed ones of a day",
                value={
                    "subscription": 3,
                    "since": "2026-11-20T00:00:00+08:00",
                    "until": "2026-11-21T00:00:00+08:00",
                },
                request_only=True,
            ),
            OpenApiExample("Answer", value={"replayed": 12}, response_only=True),
        ],
    )
    @action(detail=False, methods=["post"], url_path="replay")
    def replay_bulk(self, request):
        data = ReplayBulkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        subscription = None
        if "subscription" in values:
            subscription = WebhookSubscription.objects.filter(pk=values["subscription"]).first()
            if subscription is None:
                raise serializers.ValidationError({"subscription": [_("No such subscription.")]})
        count = webhook_replay_bulk(
            ids=values.get("ids"),
            subscription=subscription,
            since=values.get("since"),
            until=values.get("until"),
        )
        return Response({"replayed": count})

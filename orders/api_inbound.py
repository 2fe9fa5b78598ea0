"""POST /api/v1/channels/{code}/inbound/: a sales channel pushes its own messages.

No OAuth token here: the channel proves itself with its inbound secret, the
way its connector says (orders.connectors): a marketplace signs the body
(X-Channel-Signature), a web store sends a shared token (X-Store-Token).
The work is done by orders.services.inbound.
"""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import authentication, exceptions, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from erp.core.api.errors import error_body
from erp.core.api.views import ThrottleFirstMixin
from orders.connectors import InboundUnauthorised
from orders.connectors.marketplace import SIGNATURE_HEADER
from orders.connectors.webstore import MESSAGE_ID_HEADER, TOKEN_HEADER, TOPIC_HEADER
from orders.models import InboundMessage
from orders.services.inbound import inbound_channel, inbound_receive

Status = InboundMessage.Status


class ChannelCredentials:
    """request.auth of an inbound call: the channel and its connector."""

    def __init__(self, channel, connector):
        self.channel = channel
        self.connector = connector


class ChannelAuthentication(authentication.BaseAuthentication):
    """The channel of the URL, proven by its connector's signature or token:
    404 for an unknown channel, 409 for one without a connector, 401 for a
    missing or wrong signature or token."""

    def authenticate(self, request):
        code = (request.parser_context or {}).get("kwargs", {}).get("code", "")
        channel, connector = inbound_channel(code)
        try:
            connector.authenticate(channel=channel, body=request.body, headers=request.headers)
        except InboundUnauthorised as exc:
            raise exceptions.AuthenticationFailed(exc.message) from None
        return AnonymousUser(), ChannelCredentials(channel, connector)

    def authenticate_header(self, request):
        return 'Signature realm="channels"'


class IsChannel(BasePermission):
    message = _lazy("Only the channel itself may post here, with its signature or token.")

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ChannelCredentials)


class ChannelInboundThrottle(SimpleRateThrottle):
    """One budget per channel (INBOUND_THROTTLE_RATE), not the anonymous one."""

    scope = "channel_inbound"

    def get_rate(self):
        return getattr(settings, "INBOUND_THROTTLE_RATE", "600/min")

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ChannelCredentials):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.channel.pk}


class InboundChannelAuthScheme(OpenApiAuthenticationExtension):
    target_class = "orders.api_inbound.ChannelAuthentication"
    name = ["channelSignature", "channelToken"]

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": SIGNATURE_HEADER,
                "description": "Marketplace connector: `sha256=` + hex HMAC-SHA256 of the raw "
                "body, keyed with the channel's inbound secret.",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": TOKEN_HEADER,
                "description": "Web-store connector: the channel's inbound secret itself.",
            },
        ]

    def get_security_requirement(self, auto_schema):
        return [{"channelSignature": []}, {"channelToken": []}]


class InboundResultSerializer(serializers.Serializer):
    message_id = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    kind = serializers.ChoiceField(choices=InboundMessage.Kind.choices)
    topic = serializers.CharField()
    external_ref = serializers.CharField()
    duplicate = serializers.BooleanField(help_text="The message was received before.")
    order = serializers.CharField(allow_null=True, help_text="Our order number, once applied.")
    held_reason = serializers.CharField(allow_blank=True)


def _result_body(result) -> dict:
    message = result.message
    return {
        "message_id": message.message_id,
        "status": message.status,
        "kind": message.kind,
        "topic": message.topic,
        "external_ref": message.external_ref,
        "duplicate": result.duplicate,
        "order": message.order.number if message.order_id else None,
        "held_reason": message.held_reason,
    }


MARKETPLACE_CREATED = {
    "msg_id": "MKT-20261127-000981",
    "topic": "TRADE_CREATED",
    "sent_at": "2026-11-27 10:15:02",
    "trade": {
        "tid": "TB20261127000123",
        "buyer_nick": "tea_lover_88",
        "created": "2026-11-27 10:14:58",
        "receiver_name": "王芳",
        "receiver_mobile": "13800138000",
        "receiver_state": "上海市",
        "receiver_city": "上海市",
        "receiver_district": "浦东新区",
        "receiver_address": "世纪大道100号",
        "receiver_zip": "200120",
        "post_fee": "0.00",
        "buyer_message": "请周末送货",
        "orders": [
            {
                "oid": "TB20261127000123-1",
                "outer_sku_id": "TEA-0001",
                "title": "西湖龙井 250g",
                "num": 2,
                "price": "168.00",
                "discount_fee": "10.00",
            }
        ],
    },
}
MARKETPLACE_PAID = {
    "msg_id": "MKT-20261127-000982",
    "topic": "TRADE_PAID",
    "sent_at": "2026-11-27 10:16:40",
    "trade": {
        "tid": "TB20261127000123",
        "payment": "326.00",
        "pay_time": "2026-11-27 10:16:31",
        "alipay_no": "2026112722001499001234567890",
    },
}
WEB_STORE_CREATED = {
    "id": 5120334871,
    "name": "#1042",
    "email": "li.lei@example.com",
    "created_at": "2026-11-27T11:02:10+08:00",
    "currency": "CNY",
    "financial_status": "pending",
    "total_price": "348.00",
    "shipping_total": "12.00",
    "tax_total": "0.00",
    "note": "gift wrap, please",
    "customer": {"first_name": "雷", "last_name": "李", "phone": ""},
    "shipping_address": {
        "name": "李雷",
        "phone": "13900139000",
        "province": "北京市",
        "city": "北京市",
        "district": "海淀区",
        "address1": "中关村大街1号",
        "address2": "3单元 501",
        "zip": "100080",
    },
    "line_items": [
        {"id": 1, "sku": "TEA-0001", "title": "西湖龙井 250g", "quantity": 2, "price": "168.00"}
    ],
}


APPLIED_ANSWER = {
    "message_id": "MKT-20261127-000981",
    "status": "applied",
    "kind": "order_created",
    "topic": "TRADE_CREATED",
    "external_ref": "TB20261127000123",
    "duplicate": False,
    "order": "SO-20261127-00042",
    "held_reason": "",
}


@extend_schema(
    summary="A sales channel pushes an order message (inbound connector)",
    description=(
        "The channel's connector reads its own payload. **Marketplace** connector: body "
        "`{msg_id, topic, trade}` with topics `TRADE_CREATED`, `TRADE_PAID`, `TRADE_CLOSED`, "
        f"signed in `{SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256(secret, raw body)>`. "
        f"**Web-store** connector: the store's order as the body, `{TOKEN_HEADER}: <secret>`, "
        f"`{TOPIC_HEADER}: orders/create | orders/paid | orders/cancelled`, "
        f"`{MESSAGE_ID_HEADER}: <id>`.\n\n"
        "Each (channel, message id) is stored once and applied once: sent again it answers "
        "200 with `duplicate: true` (a message that had failed is tried again). 201 when "
        "applied; 202 when held (a paid or cancelled message whose order has not arrived: "
        "it is applied as soon as the order is created) or ignored (a topic we do not act "
        "on). The buyer is matched to an existing customer by phone or e-mail. A payload "
        "that cannot be mapped is stored as failed and answered 422 naming the field "
        "(`orders[0].outer_sku_id`); a refused order 400/409. 401 for a missing or wrong "
        "signature or token, 404 for an unknown channel, 409 `connector_missing` for a "
        "channel without a connector."
    ),
    tags=["orders"],
    request=OpenApiTypes.OBJECT,
    parameters=[
        OpenApiParameter(
            "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="Channel code."
        ),
        OpenApiParameter(
            TOPIC_HEADER,
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            required=False,
            description="Web-store connector: the topic.",
        ),
        OpenApiParameter(
            MESSAGE_ID_HEADER,
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            required=False,
            description="Web-store connector: the message id (else the body's digest).",
        ),
    ],
    responses={
        201: OpenApiResponse(InboundResultSerializer, description="Applied."),
        200: OpenApiResponse(InboundResultSerializer, description="Received before."),
        202: OpenApiResponse(InboundResultSerializer, description="Held or ignored."),
        400: OpenApiResponse(description="The order was refused (e.g. inactive channel)."),
        401: OpenApiResponse(description="Missing or wrong signature or token."),
        404: OpenApiResponse(description="No such channel."),
        409: OpenApiResponse(
            description="No connector; the channel order exists with other content; "
            "the payment exceeds the total."
        ),
        422: OpenApiResponse(description="The payload cannot be mapped; `fields` names it."),
    },
    examples=[
        OpenApiExample("Marketplace: trade created", value=MARKETPLACE_CREATED, request_only=True),
        OpenApiExample("Marketplace: trade paid", value=MARKETPLACE_PAID, request_only=True),
        OpenApiExample("Web store: orders/create", value=WEB_STORE_CREATED, request_only=True),
        OpenApiExample(
            "Applied",
            value=APPLIED_ANSWER,
            response_only=True,
            status_codes=["201"],
        ),
        OpenApiExample(
            "Held: paid before created",
            value={
                "message_id": "MKT-20261127-000982",
                "status": "held",
                "kind": "order_paid",
                "topic": "TRADE_PAID",
                "external_ref": "TB20261127000123",
                "duplicate": False,
                "order": None,
                "held_reason": "Waiting for channel order TB20261127000123 to be created.",
            },
            response_only=True,
            status_codes=["202"],
        ),
        OpenApiExample(
            "Duplicate",
            value={**APPLIED_ANSWER, "duplicate": True},
            response_only=True,
            status_codes=["200"],
        ),
    ],
)
class ChannelInboundView(ThrottleFirstMixin, APIView):
    authentication_classes = [ChannelAuthentication]
    permission_classes = [IsChannel]
    throttle_classes = [ChannelInboundThrottle]
    parser_classes = [JSONParser]

    def post(self, request, code: str):
        credentials = request.auth
        result = inbound_receive(
            channel=credentials.channel,
            connector=credentials.connector,
            body=request.body,
            headers=request.headers,
        )
        if result.error is not None:
            exc = result.error
            fields = {exc.field: [exc.message]} if exc.field else {}
            return Response(error_body(exc.code, exc.message, fields), status=exc.status_code)
        if result.duplicate:
            code_ = status.HTTP_200_OK
        elif result.message.status == Status.APPLIED:
            code_ = status.HTTP_201_CREATED
        else:
            code_ = status.HTTP_202_ACCEPTED
        return Response(_result_body(result), status=code_)

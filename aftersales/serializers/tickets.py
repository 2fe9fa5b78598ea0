"""Tickets over the API: what is shown, and the inputs of each action."""

import base64
import binascii

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from aftersales.models import (
    Priority,
    ServiceTeam,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketKind,
    TicketMessage,
)
from aftersales.services.sla import sla_remaining
from crm.models import Customer
from logistics.models import Shipment
from orders.models import Order


class TicketSlaSerializer(serializers.Serializer):
    """The SLA clocks of a ticket as they stand."""

    policy = serializers.CharField(source="sla_policy.name", default=None)
    first_response_due_at = serializers.DateTimeField(allow_null=True)
    first_responded_at = serializers.DateTimeField(allow_null=True)
    first_response_breached = serializers.BooleanField()
    resolution_due_at = serializers.DateTimeField(allow_null=True)
    resolution_breached = serializers.BooleanField()
    paused = serializers.BooleanField(source="sla_paused")
    state = serializers.SerializerMethodField()

    def get_state(self, ticket) -> str:
        return sla_remaining(ticket, timezone.now())["state"]


class TicketSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.code")
    customer_name = serializers.CharField(source="customer.name")
    order = serializers.CharField(source="order.number", default=None)
    shipment = serializers.CharField(source="shipment.number", default=None)
    team = serializers.CharField(source="team.code", default=None)
    assignee = serializers.CharField(source="assignee.username", default=None)
    sla = TicketSlaSerializer(source="*")

    class Meta:
        model = Ticket
        fields = [
            "number",
            "subject",
            "customer",
            "customer_name",
            "order",
            "shipment",
            "kind",
            "channel",
            "category",
            "reason_code",
            "priority",
            "status",
            "team",
            "assignee",
            "responsibility",
            "resolution_summary",
            "sla",
            "created_at",
            "resolved_at",
            "closed_at",
        ]
        read_only_fields = fields


class TicketAttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = TicketAttachment
        fields = ["id", "name", "content_type", "size", "url"]
        read_only_fields = fields

    def get_url(self, attachment) -> str:
        return reverse(
            "ticket-attachment",
            kwargs={"number": attachment.message.ticket.number, "attachment_id": attachment.pk},
        )


class TicketMessageSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author_name")
    attachments = TicketAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = TicketMessage
        fields = ["id", "kind", "channel", "author", "body", "created_at", "attachments"]
        read_only_fields = fields


class TicketEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None)

    class Meta:
        model = TicketEvent
        fields = ["kind", "from_value", "to_value", "reason", "actor", "created_at"]
        read_only_fields = fields


class TicketDetailSerializer(TicketSerializer):
    order_line = serializers.IntegerField(source="order_line.line_no", default=None)
    contact_email = serializers.EmailField(allow_blank=True)
    contact_phone = serializers.CharField()
    messages = TicketMessageSerializer(many=True, read_only=True)
    events = TicketEventSerializer(many=True, read_only=True)
    returns = serializers.SlugRelatedField(
        source="return_requests", many=True, read_only=True, slug_field="number"
    )
    repairs = serializers.SlugRelatedField(many=True, read_only=True, slug_field="number")
    feedback = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [
            *TicketSerializer.Meta.fields,
            "description",
            "order_line",
            "contact_email",
            "contact_phone",
            "messages",
            "events",
            "returns",
            "repairs",
            "feedback",
            "allowed_transitions",
        ]
        read_only_fields = fields

    def get_feedback(self, ticket) -> dict | None:
        feedback = getattr(ticket, "feedback", None)
        if feedback is None or feedback.submitted_at is None:
            return None
        return {
            "csat": feedback.csat,
            "nps": feedback.nps,
            "comment": feedback.comment,
            "submitted_at": serializers.DateTimeField().to_representation(feedback.submitted_at),
        }

    def get_allowed_transitions(self, ticket) -> list[str]:
        from aftersales.services.tickets import allowed_targets

        return sorted(allowed_targets(ticket))


def _order(number: str | None):
    if not number:
        return None
    order = Order.objects.filter(number=number).first()
    if order is None:
        raise serializers.ValidationError({"order": _("No order has this number.")})
    return order


class TicketCreateSerializer(serializers.Serializer):
    """A new ticket. The customer is named by `customer` (code), or matched
    by phone or e-mail (and created when new) from `customer_name`,
    `customer_phone`, `customer_email`."""

    customer = serializers.CharField(required=False, allow_blank=True)
    customer_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    customer_phone = serializers.CharField(required=False, allow_blank=True, max_length=32)
    customer_email = serializers.EmailField(required=False, allow_blank=True)
    subject = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=TicketKind.choices)
    channel = serializers.ChoiceField(choices=Ticket.Channel.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    order = serializers.CharField(required=False, allow_blank=True)
    order_line = serializers.IntegerField(required=False, min_value=1)
    shipment = serializers.CharField(required=False, allow_blank=True)
    category = serializers.CharField(required=False, allow_blank=True, max_length=50, default="")
    reason_code = serializers.CharField(required=False, allow_blank=True, max_length=50, default="")
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    contact_email = serializers.EmailField(required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(required=False, allow_blank=True, default="")
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=10
    )

    def validate(self, data):
        if data.get("channel") == Ticket.Channel.SYSTEM:
            raise serializers.ValidationError(
                {"channel": _("Only the system itself opens system tickets.")}
            )
        code = (data.get("customer") or "").strip()
        if code:
            customer = Customer.objects.filter(code=code).first()
            if customer is None:
                raise serializers.ValidationError({"customer": _("No customer has this code.")})
        elif data.get("customer_phone") or data.get("customer_email"):
            customer = None  # matched or created by the view's service call
        else:
            raise serializers.ValidationError(
                {"customer": _("Give a customer code, or a phone number or e-mail address.")}
            )
        data["customer_obj"] = customer
        order = _order(data.get("order"))
        data["order_obj"] = order
        line_no = data.get("order_line")
        data["order_line_obj"] = None
        if line_no is not None:
            if order is None:
                raise serializers.ValidationError({"order_line": _("Name the order first.")})
            line = order.lines.filter(line_no=line_no).first()
            if line is None:
                raise serializers.ValidationError({"order_line": _("The order has no such line.")})
            data["order_line_obj"] = line
        data["shipment_obj"] = None
        if data.get("shipment"):
            shipment = Shipment.objects.filter(number=data["shipment"]).first()
            if shipment is None:
                raise serializers.ValidationError({"shipment": _("No shipment has this number.")})
            data["shipment_obj"] = shipment
        return data


class TicketMessageCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TicketMessage.Kind.choices)
    body = serializers.CharField()
    channel = serializers.ChoiceField(
        choices=[
            Ticket.Channel.CHAT,
            Ticket.Channel.API,
            Ticket.Channel.PORTAL,
            Ticket.Channel.EMAIL,
            Ticket.Channel.PHONE,
        ],
        required=False,
        help_text="For kind=customer: where the customer wrote (default api).",
    )
    external_id = serializers.CharField(required=False, allow_blank=True, max_length=255)
    wait_for_customer = serializers.BooleanField(required=False, default=False)
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=10
    )


class TicketAssignSerializer(serializers.Serializer):
    assignee = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text="Username; empty: the pool."
    )
    team = serializers.CharField(required=False, allow_blank=True, help_text="Team code.")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)

    def validate(self, data):
        data["team_obj"] = None
        if data.get("team"):
            team = ServiceTeam.objects.filter(code=data["team"]).first()
            if team is None:
                raise serializers.ValidationError({"team": _("No team has this code.")})
            data["team_obj"] = team
        data["assignee_obj"] = None
        if data.get("assignee"):
            user = get_user_model().objects.filter(username=data["assignee"]).first()
            if user is None:
                raise serializers.ValidationError({"assignee": _("No user has this name.")})
            data["assignee_obj"] = user
        return data


class TicketTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Ticket.Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class TicketPrioritySerializer(serializers.Serializer):
    priority = serializers.ChoiceField(choices=Priority.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class TicketResolveSerializer(serializers.Serializer):
    summary = serializers.CharField()
    responsibility = serializers.ChoiceField(
        choices=Ticket.Responsibility.choices, required=False, allow_blank=True, default=""
    )


class InboundAttachmentSerializer(serializers.Serializer):
    filename = serializers.CharField(max_length=200)
    content_type = serializers.CharField(required=False, allow_blank=True, default="")
    content = serializers.CharField(help_text="The file, base64-encoded.")

    def validate(self, data):
        try:
            raw = base64.b64decode(data["content"], validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError({"content": _("Not valid base64.")}) from None
        upload = ContentFile(raw, name=data["filename"])
        upload.content_type = data.get("content_type", "")
        return upload


class InboundEmailSerializer(serializers.Serializer):
    """An e-mail as a mail gateway posts it."""

    sender = serializers.CharField(help_text='The From header, e.g. "王芳 <wang@example.com>".')
    subject = serializers.CharField(required=False, allow_blank=True, default="")
    text = serializers.CharField(required=False, allow_blank=True, default="")
    message_id = serializers.CharField(required=False, allow_blank=True, default="")
    attachments = InboundAttachmentSerializer(many=True, required=False, default=list)

    def to_internal_value(self, data):
        # "from" is the natural name but a Python keyword.
        if hasattr(data, "copy") and "from" in data and "sender" not in data:
            data = data.copy()
            data["sender"] = data["from"]
        return super().to_internal_value(data)

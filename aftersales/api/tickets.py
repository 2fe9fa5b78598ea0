"""Tickets over the API: open from any channel, list and read what the
caller may see, add messages, assign, change status and priority, resolve;
inbound e-mail from a mail gateway."""

from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from oauth2_provider.models import AbstractAccessToken
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from aftersales.filters.tickets import TicketFilter
from aftersales.models import Ticket, TicketAttachment, TicketMessage
from aftersales.selectors import ticket_detail, ticket_list, tickets_visible_to
from aftersales.serializers.tickets import (
    InboundEmailSerializer,
    TicketAssignSerializer,
    TicketCreateSerializer,
    TicketDetailSerializer,
    TicketMessageCreateSerializer,
    TicketMessageSerializer,
    TicketPrioritySerializer,
    TicketResolveSerializer,
    TicketSerializer,
    TicketTransitionSerializer,
)
from aftersales.services.assignment import ticket_assign
from aftersales.services.inbound import inbound_email_receive
from aftersales.services.tickets import (
    ticket_create,
    ticket_customer_message,
    ticket_note,
    ticket_priority_change,
    ticket_reply,
    ticket_resolve,
    ticket_transition,
)
from crm.services import customer_match_or_create
from erp.core.api.views import CreateReadViewSet

TAGS = ["aftersales"]
PARSERS = [JSONParser, MultiPartParser, FormParser]
CREATE_EXAMPLE = {
    "customer_name": "王芳",
    "customer_phone": "13800000001",
    "subject": "茶叶受潮",
    "kind": "complaint",
    "order": "SO-20261122-00042",
    "priority": "high",
    "description": "收到的茶叶包装破损，受潮了。",
}


def _write(summary, request, description=""):
    return extend_schema(
        summary=summary,
        tags=TAGS,
        request=request,
        responses={200: TicketDetailSerializer},
        description=description,
    )


@extend_schema_view(
    list=extend_schema(
        summary="List tickets",
        description="The tickets the caller may see: an integration token every ticket; a "
        "signed-in agent their own, their teams' and unassigned ones; an account manager "
        "their customers'. Filters: `status` (repeatable), `kind`, `channel`, `priority`, "
        "`team`, `assignee`, `category`, `created_from`/`created_to`, `sla` "
        "(breached, due_soon, paused), `q`.",
        tags=TAGS,
    ),
    retrieve=extend_schema(
        summary="One ticket with its messages, timeline, SLA clocks, returns, repairs and feedback",
        tags=TAGS,
    ),
    create=extend_schema(
        summary="Open a ticket",
        description="The ticket is assigned to the team whose skills fit and its least busy "
        "member, and its SLA clocks start; the customer is told its number. `channel` "
        "defaults to `api` for integrations and `phone` for staff. JSON or multipart "
        "(`attachments`: up to 10 files of at most 10 MB).",
        tags=TAGS,
        request=TicketCreateSerializer,
        responses={201: TicketDetailSerializer},
        examples=[OpenApiExample("A complaint", value=CREATE_EXAMPLE, request_only=True)],
    ),
)
class TicketViewSet(CreateReadViewSet):
    scope_domain = "aftersales"
    queryset = ticket_list()
    filterset_class = TicketFilter
    lookup_field = "number"
    parser_classes = PARSERS
    action_permissions = {
        "list": ["aftersales.view_ticket"],
        "retrieve": ["aftersales.view_ticket"],
        "create": ["aftersales.add_ticket"],
        "messages": ["aftersales.view_ticket"],
        "attachment": ["aftersales.view_ticket"],
        "assign": ["aftersales.change_ticket"],
        "transition": ["aftersales.change_ticket"],
        "priority": ["aftersales.change_ticket"],
        "resolve": ["aftersales.change_ticket"],
        "inbound_email": ["aftersales.add_ticket"],
    }

    def check_permissions(self, request):
        super().check_permissions(request)
        # Writing a message needs more than reading them.
        if (
            self.action == "messages"
            and request.method == "POST"
            and not isinstance(request.auth, AbstractAccessToken)
            and not request.user.has_perm("aftersales.add_ticketmessage")
        ):
            self.permission_denied(request)

    def _by_token(self) -> bool:
        return isinstance(self.request.auth, AbstractAccessToken)

    @staticmethod
    def _with_thread(queryset):
        return queryset.prefetch_related(
            Prefetch("messages", queryset=TicketMessage.objects.prefetch_related("attachments")),
            "events__actor",
            "return_requests",
            "repairs",
        )

    def get_queryset(self):
        queryset = ticket_list() if self.action == "list" else self._with_thread(ticket_detail())
        return queryset if self._by_token() else tickets_visible_to(self.request.user, queryset)

    def get_serializer_class(self):
        return TicketSerializer if self.action == "list" else TicketDetailSerializer

    def _detail(self, ticket, code=status.HTTP_200_OK):
        # The caller just acted on it: shown even if it left their queue (reassigned).
        ticket = self._with_thread(ticket_detail()).get(pk=ticket.pk)
        return Response(
            TicketDetailSerializer(ticket, context={"request": self.request}).data, status=code
        )

    def create(self, request, *args, **kwargs):
        data = TicketCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        customer = fields["customer_obj"]
        if customer is None:
            customer, _created = customer_match_or_create(
                name=fields.get("customer_name") or fields.get("customer_email") or "",
                phone=fields.get("customer_phone", ""),
                email=fields.get("customer_email", ""),
            )
        channel = fields.get("channel") or (
            Ticket.Channel.API if self._by_token() else Ticket.Channel.PHONE
        )
        ticket = ticket_create(
            customer=customer,
            subject=fields["subject"],
            kind=fields["kind"],
            channel=channel,
            description=fields["description"],
            order=fields["order_obj"],
            order_line=fields["order_line_obj"],
            shipment=fields["shipment_obj"],
            category=fields["category"],
            reason_code=fields["reason_code"],
            priority=fields["priority"],
            contact_email=fields["contact_email"],
            contact_phone=fields["contact_phone"],
            attachments=fields["attachments"],
            actor=request.user,
        )
        return self._detail(ticket, status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        summary="A ticket's messages",
        tags=TAGS,
        responses={200: TicketMessageSerializer(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a message: a reply the customer sees, an internal note, or the customer's",
        description="`reply`: sent to the customer; the first one stops the first-response "
        "clock; `wait_for_customer` pauses the SLA until they answer. `note`: staff only. "
        "`customer`: what the customer wrote in a chat or app (`channel`, `external_id` makes "
        "a repeat harmless); answering resumes the clock, writing after the resolution "
        "reopens the ticket.",
        tags=TAGS,
        request=TicketMessageCreateSerializer,
        responses={201: TicketMessageSerializer},
    )
    # The GET answers the whole thread, not a page.
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def messages(self, request, number=None):
        ticket = self.get_object()
        if request.method == "GET":
            return Response(
                TicketMessageSerializer(
                    ticket.messages.prefetch_related("attachments"), many=True
                ).data
            )
        data = TicketMessageCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        kind = fields["kind"]
        if kind == TicketMessage.Kind.REPLY:
            message = ticket_reply(
                ticket=ticket,
                body=fields["body"],
                actor=request.user,
                attachments=fields["attachments"],
                wait_for_customer=fields["wait_for_customer"],
            )
            code = status.HTTP_201_CREATED
        elif kind == TicketMessage.Kind.NOTE:
            message = ticket_note(
                ticket=ticket,
                body=fields["body"],
                actor=request.user,
                attachments=fields["attachments"],
            )
            code = status.HTTP_201_CREATED
        else:
            message, created = ticket_customer_message(
                ticket=ticket,
                body=fields["body"],
                channel=fields.get("channel") or Ticket.Channel.API,
                external_id=fields.get("external_id") or None,
                attachments=fields["attachments"],
            )
            code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(TicketMessageSerializer(message).data, status=code)

    @extend_schema(
        summary="Download an attachment of the ticket", tags=TAGS, responses={200: bytes}
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>\d+)",
        url_name="attachment",
    )
    def attachment(self, request, number=None, attachment_id=None):
        ticket = self.get_object()
        found = TicketAttachment.objects.filter(pk=attachment_id, message__ticket=ticket).first()
        if found is None:
            raise Http404
        return FileResponse(found.file.open("rb"), as_attachment=True, filename=found.name)

    @_write(
        "Assign or reassign",
        TicketAssignSerializer,
        "An agent passes tickets of their own teams to members of the team; admins anybody. "
        "`assignee` empty with a `team`: back to that team's queue. Logged with the reason.",
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, number=None):
        data = TicketAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = ticket_assign(
            ticket=self.get_object(),
            assignee=data.validated_data["assignee_obj"],
            team=data.validated_data["team_obj"],
            actor=request.user,
            reason=data.validated_data["reason"],
        )
        return self._detail(ticket)

    @_write(
        "Change the status",
        TicketTransitionSerializer,
        "Allowed: new → assigned / in_progress / waiting_customer / resolved; "
        "waiting_customer pauses the SLA clocks. 409 `transition_not_allowed` otherwise. "
        "Resolve with /resolve/ to give the summary.",
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, number=None):
        data = TicketTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = ticket_transition(
            ticket=self.get_object(),
            to_status=data.validated_data["status"],
            reason=data.validated_data["reason"],
            actor=request.user,
        )
        return self._detail(ticket)

    @_write(
        "Change the priority",
        TicketPrioritySerializer,
        "The SLA targets are recomputed from the ticket's start with the new priority's policy.",
    )
    @action(detail=True, methods=["post"])
    def priority(self, request, number=None):
        data = TicketPrioritySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = ticket_priority_change(
            ticket=self.get_object(),
            priority=data.validated_data["priority"],
            reason=data.validated_data["reason"],
            actor=request.user,
        )
        return self._detail(ticket)

    @_write(
        "Resolve",
        TicketResolveSerializer,
        "The customer gets the summary and a survey link (CSAT 1-5, NPS 0-10).",
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, number=None):
        data = TicketResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = ticket_resolve(
            ticket=self.get_object(),
            summary=data.validated_data["summary"],
            responsibility=data.validated_data["responsibility"],
            actor=request.user,
        )
        return self._detail(ticket)

    @extend_schema(
        summary="Take an inbound e-mail",
        description="For a mail gateway, with an integration token (`aftersales:write`; staff "
        "sessions are refused): a new ticket (the customer matched by e-mail or "
        "created), or a message on the ticket whose number (TK-…) is in the subject when the "
        "sender is that ticket's customer. The same `message_id` is taken once (200).",
        tags=TAGS,
        request=InboundEmailSerializer,
        responses={201: TicketSerializer, 200: TicketSerializer},
        examples=[
            OpenApiExample(
                "A reply",
                value={
                    "sender": "王芳 <wang.fang@example.com>",
                    "subject": "Re: [TK-20261127-00042] We received your request",
                    "text": "照片见附件。",
                    "message_id": "<20261127.42@mail.example.com>",
                },
                request_only=True,
            )
        ],
    )
    @action(detail=False, methods=["post"], url_path="inbound-email")
    def inbound_email(self, request):
        # Only a mail gateway, with its own integration token: a staff member
        # could otherwise write into any ticket as its customer.
        if not self._by_token():
            self.permission_denied(
                request, message=_("Only a mail gateway's integration token may post e-mails.")
            )
        data = InboundEmailSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        ticket, _message, created = inbound_email_receive(
            sender=fields["sender"],
            subject=fields["subject"],
            body=fields["text"],
            message_id=fields["message_id"],
            attachments=fields["attachments"],
        )
        return Response(
            TicketSerializer(ticket_list().get(pk=ticket.pk)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


def register(router) -> None:
    router.register("tickets", TicketViewSet, basename="ticket")

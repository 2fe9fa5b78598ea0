"""Tracking over the API: carriers post events to a shipment's timeline,
devices post telemetry with their own token, staff and integrators read the
timeline, list and resolve exceptions, and register tracking devices."""

from django.db import transaction
from django.urls import re_path
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from erp.core.api.views import IdempotentMixin, ReadOnlyViewSet, ThrottleFirstMixin
from erp.core.errors import DomainError
from logistics.authentication import DeviceRateThrottle, DeviceTokenAuthentication, IsDevice
from logistics.filters import ShipmentExceptionFilter, TrackingDeviceFilter
from logistics.models import Shipment, ShipmentEvent
from logistics.selectors import device_list, exception_list, shipment_timeline
from logistics.serializers import (
    CarrierEventSerializer,
    DeviceAttachSerializer,
    ExceptionResolveSerializer,
    ScanSerializer,
    ShipmentEventSerializer,
    ShipmentExceptionSerializer,
    TelemetryBatchSerializer,
    TelemetrySummarySerializer,
    TrackingDeviceCreatedSerializer,
    TrackingDeviceSerializer,
    TrackingDeviceWriteSerializer,
)
from logistics.services import (
    device_attach,
    device_create,
    exception_resolve,
    scan_event_record,
    telemetry_ingest,
    tracking_event_ingest,
)

TAGS = ["logistics"]
EVENTS_PER_REQUEST = 100
# The service's names for what the carrier's body calls otherwise.
EVENT_FIELDS = {"external_id": "event_id", "occurred_at": "time"}

EVENT_EXAMPLE = {
    "event_id": "SF1234567890-0007",
    "status": "派送中",
    "time": "2026-11-24T09:12:00+08:00",
    "location": "上海市浦东新区张江营业点",
    "latitude": 31.2035,
    "longitude": 121.5914,
    "description": "快件交给李师傅，正在派送途中",
}
TELEMETRY_EXAMPLE = {
    "device_id": "TL-0001",
    "readings": [
        {
            "time": "2026-11-24T09:00:00+08:00",
            "latitude": 31.2304,
            "longitude": 121.4737,
            "temperature": 4.2,
            "humidity": 61,
        },
        {"time": "2026-11-24T09:05:00+08:00", "temperature": 4.4},
    ],
}


def _shipment_or_404(number: str) -> Shipment:
    shipment = Shipment.objects.filter(number=number).first()
    if shipment is None:
        raise exceptions.NotFound(_("There is no shipment %(number)s.") % {"number": number})
    return shipment


@extend_schema_view(
    list=extend_schema(
        summary="A shipment's tracking timeline",
        description="Every event of the shipment in the order it happened (`occurred_at`): "
        "status changes, carrier events, scans, exceptions. 404 for an unknown number.",
        tags=TAGS,
        responses={200: ShipmentEventSerializer(many=True)},
    ),
    create=extend_schema(
        summary="Post a carrier's tracking event (or a list of up to 100)",
        description=(
            "The carrier's status is normalised to ours (English codes such as `in_transit`, "
            "`OutForDelivery`, `delivered`, `failed_attempt`, `damaged`, `lost`, `returned`, "
            "and Chinese courier words such as 揽收, 运输中, 派送中, 已签收, 派送失败, 拒收, "
            "破损, 丢失, 退回); a word we do not know is kept as a tracking event.\n\n"
            "201 with the stored event; the same `event_id` again answers 200 with the "
            "event stored the first time and stores nothing. An event older than the "
            "latest status a carrier reported takes its place in the timeline but does not "
            "move the shipment back; a status the shipment cannot take from where it is is "
            "kept with a note, hidden from the customer and not applied (no error: the "
            "carrier cannot fix it), and is applied once the shipment catches up (e.g. "
            "events scanned before the dispatch was recorded). `carrier`, when it names a "
            "carrier rather than an aggregator's code scheme, must be the shipment's: "
            "another carrier's event is only kept, and a shipment without a carrier is not "
            "dispatched by an event. A failed attempt, damage or loss opens an exception and "
            "stops the shipment. A new `location` or an applied status counts as movement "
            "(no GPS needed).\n\n"
            "A list is all-or-nothing and answers `{created, duplicates, events}` (201 if "
            "anything was stored, else 200); errors name `[i].field`. 400 names `time` for a "
            "time more than the tolerance (10 minutes) in the future or more than 366 days "
            "ago, and `latitude`/`longitude` for bad coordinates; 404 for an unknown "
            "shipment."
        ),
        tags=TAGS,
        request=CarrierEventSerializer,
        responses={
            201: ShipmentEventSerializer,
            200: OpenApiResponse(ShipmentEventSerializer, description="Already received."),
        },
        examples=[OpenApiExample("Out for delivery", value=EVENT_EXAMPLE, request_only=True)],
    ),
)
class ShipmentEventViewSet(ThrottleFirstMixin, IdempotentMixin, viewsets.GenericViewSet):
    """/api/v1/shipments/{number}/events/ (a path of its own, next to the
    shipments viewset)."""

    scope_domain = "logistics"
    queryset = ShipmentEvent.objects.none()
    serializer_class = ShipmentEventSerializer
    filter_backends = []
    action_permissions = {
        "list": ["logistics.view_shipment"],
        "create": ["logistics.change_shipment"],
    }

    def list(self, request, number=None):
        page = self.paginate_queryset(shipment_timeline(_shipment_or_404(number)))
        return self.get_paginated_response(ShipmentEventSerializer(page, many=True).data)

    def create(self, request, number=None):
        shipment = _shipment_or_404(number)
        many = isinstance(request.data, list)
        if many and len(request.data) > EVENTS_PER_REQUEST:
            raise exceptions.ValidationError(
                {
                    "non_field_errors": [
                        _("At most %(limit)s events per request.") % {"limit": EVENTS_PER_REQUEST}
                    ]
                }
            )
        data = CarrierEventSerializer(data=request.data, many=many)
        data.is_valid(raise_exception=True)
        items = data.validated_data if many else [data.validated_data]
        results = []
        with transaction.atomic():  # a list: all or nothing
            for index, item in enumerate(items):
                try:
                    results.append(self._ingest(shipment, item))
                except DomainError as exc:
                    name = EVENT_FIELDS.get(exc.field, exc.field)
                    if many and name:
                        name = f"[{index}].{name}"
                    exc.field = name
                    raise
        created = sum(1 for _event, new in results if new)
        if not many:
            event, new = results[0]
            return Response(
                ShipmentEventSerializer(event).data,
                status=status.HTTP_201_CREATED if new else status.HTTP_200_OK,
            )
        return Response(
            {
                "created": created,
                "duplicates": len(results) - created,
                "events": ShipmentEventSerializer([e for e, _new in results], many=True).data,
            },
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def _ingest(self, shipment, item):
        return tracking_event_ingest(
            shipment=shipment,
            external_id=item["event_id"],
            status=item["status"],
            occurred_at=item["time"],
            location=item["location"],
            latitude=item["latitude"],
            longitude=item["longitude"],
            description=item["description"],
            recipient=item["recipient"],
            carrier_code=item["carrier"] or None,
            actor=self.request.user,
        )


class TelemetryView(ThrottleFirstMixin, APIView):
    """Devices post their readings with `Authorization: Device <token>`."""

    authentication_classes = [DeviceTokenAuthentication]
    permission_classes = [IsDevice]
    throttle_classes = [DeviceRateThrottle]

    @extend_schema(
        summary="Post a device's readings (telemetry)",
        description=(
            "Authenticated with the device's own token: `Authorization: Device <token>` "
            "(401 for a wrong token or a switched-off device; after 30 wrong tokens from one "
            "address in 10 minutes that address gets 429, whatever the token, until the "
            "10 minutes are over). `device_id` must be the "
            "token's device (403 otherwise). Up to 1000 readings, each with `time` (not in "
            "the future, at most 366 days ago) and at "
            "least a position (`latitude` and `longitude`), a `temperature` (°C) or a "
            "`humidity` (%).\n\n"
            "The whole batch is checked first: one bad reading answers 400 naming "
            "`readings[i].field` and nothing is stored. A time this device already sent "
            "(earlier, or twice in the batch) is counted as a duplicate and ignored, so a "
            "batch can be sent again safely. Readings go to the device's shipment; "
            "temperature or humidity outside its range opens one exception per breach "
            "episode; with several devices on one shipment an episode lasts while any of them "
            "is out of range. 201 with the counts."
        ),
        tags=TAGS,
        request=TelemetryBatchSerializer,
        responses={201: TelemetrySummarySerializer},
        examples=[OpenApiExample("Two readings", value=TELEMETRY_EXAMPLE, request_only=True)],
    )
    def post(self, request):
        body = request.data
        if not isinstance(body, dict):
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Send an object with device_id and readings.")]}
            )
        device_id = body.get("device_id")
        if not isinstance(device_id, str) or not device_id.strip():
            raise exceptions.ValidationError({"device_id": [_("Give the device id.")]})
        device = request.auth
        if device_id.strip() != device.device_id:
            raise exceptions.PermissionDenied(
                _("This token belongs to another device than %(id)s.") % {"id": device_id}
            )
        summary = telemetry_ingest(device=device, readings=body.get("readings"))
        return Response(summary, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="List shipment exceptions",
        description="Filter by `kind` (repeatable), `status` (open, resolved), `shipment` "
        "(number), `ongoing=true` (the condition is still present), "
        "`started_from`/`started_to` (dates).",
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="One shipment exception", tags=TAGS),
    resolve=extend_schema(
        summary="Resolve an exception",
        description="A `resolution` is required (400 otherwise); 409 when it is already "
        "resolved. A watched condition that is still present stays ongoing (it is not "
        "raised again); the shipment's status is changed by its own transition.",
        tags=TAGS,
        request=ExceptionResolveSerializer,
        responses={200: ShipmentExceptionSerializer},
    ),
)
class ShipmentExceptionViewSet(ReadOnlyViewSet):
    scope_domain = "logistics"
    queryset = exception_list()
    serializer_class = ShipmentExceptionSerializer
    filterset_class = ShipmentExceptionFilter
    action_permissions = {"resolve": ["logistics.change_shipmentexception"]}

    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        data = ExceptionResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        exception = exception_resolve(
            exception=self.get_object(),
            resolution=data.validated_data["resolution"],
            actor=request.user,
        )
        return Response(ShipmentExceptionSerializer(exception_list().get(pk=exception.pk)).data)


@extend_schema_view(
    list=extend_schema(
        summary="List tracking devices",
        description="Filter by `q` (id, name), `shipment` (number), `active`.",
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="One tracking device", tags=TAGS),
    create=extend_schema(
        summary="Register a tracking device",
        description="201 with the device and its `token`, shown only in this answer (we keep "
        "a digest of it). Not idempotent by key: the answer holds a secret; a second "
        "registration of the same `device_id` answers 400.",
        tags=TAGS,
        request=TrackingDeviceWriteSerializer,
        responses={201: TrackingDeviceCreatedSerializer},
    ),
    attach=extend_schema(
        summary="Attach a device to a shipment (or take it off)",
        description="Its readings go to that shipment from now on. 409 for a shipment that "
        "is delivered, returned or cancelled.",
        tags=TAGS,
        request=DeviceAttachSerializer,
        responses={200: TrackingDeviceSerializer},
    ),
)
class TrackingDeviceViewSet(
    ThrottleFirstMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    scope_domain = "logistics"
    queryset = device_list()
    serializer_class = TrackingDeviceSerializer
    filterset_class = TrackingDeviceFilter
    lookup_field = "device_id"
    lookup_value_regex = r"[A-Za-z0-9._:-]+"
    action_permissions = {"attach": ["logistics.change_trackingdevice"]}

    def create(self, request, *args, **kwargs):
        data = TrackingDeviceWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device, token = device_create(**data.validated_data)
        body = dict(TrackingDeviceSerializer(device_list().get(pk=device.pk)).data, token=token)
        return Response(body, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def attach(self, request, device_id=None):
        data = DeviceAttachSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device = device_attach(
            device=self.get_object(),
            shipment=data.validated_data["shipment"],
            actor=request.user,
        )
        return Response(TrackingDeviceSerializer(device_list().get(pk=device.pk)).data)


class ShipmentScanView(ThrottleFirstMixin, IdempotentMixin, APIView):
    """/api/v1/shipments/{number}/scans/: warehouse scanners."""

    scope_domain = "logistics"
    queryset = ShipmentEvent.objects.none()
    action_permissions = {None: ["logistics.pack_shipment"]}

    @extend_schema(
        summary="Record a warehouse scan of a shipment's label",
        description="A scanner at packing, loading or hand-over read the label. `code`, if "
        "given, must be the shipment's number or tracking number (400 otherwise: the wrong "
        "parcel at the dock). The same `event_id` again stores nothing (200). The scan shows "
        "in the tracking history, not to the customer.",
        tags=TAGS,
        request=ScanSerializer,
        responses={201: ShipmentEventSerializer, 200: ShipmentEventSerializer},
    )
    def post(self, request, number=None):
        shipment = _shipment_or_404(number)
        data = ScanSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = data.validated_data
        try:
            event, new = scan_event_record(
                shipment=shipment,
                scanner_id=item["scanner_id"],
                code=item["code"],
                location=item["location"],
                occurred_at=item["time"],
                external_id=item["event_id"],
                description=item["description"],
                actor=request.user,
            )
        except DomainError as exc:
            exc.field = EVENT_FIELDS.get(exc.field, exc.field)
            raise
        return Response(
            ShipmentEventSerializer(event).data,
            status=status.HTTP_201_CREATED if new else status.HTTP_200_OK,
        )


_events = ShipmentEventViewSet.as_view({"get": "list", "post": "create"})

# Paths outside the router (erp/api.py puts them first): the events live under
# the shipments the lead's viewset serves, telemetry is not a model resource.
urlpatterns = [
    re_path(r"^shipments/(?P<number>[^/]+)/events/?$", _events, name="shipment-events"),
    re_path(
        r"^shipments/(?P<number>[^/]+)/scans/?$", ShipmentScanView.as_view(), name="shipment-scans"
    ),
    re_path(r"^telemetry/?$", TelemetryView.as_view(), name="telemetry"),
]

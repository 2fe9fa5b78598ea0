"""The shipments part of the customer 360 page and API (crm/hooks.py): the
latest shipments of the customer's orders with carrier, tracking number,
status and latest tracking event, shipments per status and late deliveries
(delivered after the planned delivery time), in three queries."""

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from crm.hooks import Section, register_section
from logistics.models import Shipment, ShipmentEvent


def _latest_event(field: str) -> Subquery:
    return Subquery(
        ShipmentEvent.objects.filter(shipment=OuterRef("pk"))
        .order_by("-occurred_at", "-id")
        .values(field)[:1]
    )


def load_shipments(customer, user) -> dict:
    shipments = Shipment.objects.filter(order__customer=customer)
    rows = list(
        shipments.select_related("carrier", "order")
        .annotate(
            latest_event_at=_latest_event("occurred_at"),
            latest_event_kind=_latest_event("kind"),
            latest_event_status=_latest_event("carrier_status"),
            latest_event_description=_latest_event("description"),
            latest_event_location=_latest_event("location"),
        )
        .order_by("-created_at", "-id")[: SHIPMENTS.limit]
    )
    kinds = dict(ShipmentEvent.Kind.choices)
    for row in rows:
        row.latest_event_kind_label = kinds.get(row.latest_event_kind, "")
    counts = dict(
        shipments.order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    by_status = [
        {"status": value, "label": label, "count": counts[value]}
        for value, label in Shipment.Status.choices
        if value in counts
    ]
    planned = Q(status=Shipment.Status.DELIVERED, planned_delivery_at__isnull=False)
    figures = shipments.order_by().aggregate(
        count=Count("pk"),
        delivered=Count("pk", filter=Q(status=Shipment.Status.DELIVERED)),
        delivered_with_plan=Count("pk", filter=planned),
        late=Count("pk", filter=planned & Q(delivered_at__gt=F("planned_delivery_at"))),
        exceptions=Count("pk", filter=Q(status=Shipment.Status.EXCEPTION)),
    )
    return {
        "rows": rows,
        "by_status": by_status,
        "totals": figures,
        "facts": {
            "shipments": figures["count"],
            "shipments_delivered": figures["delivered"],
            "late_deliveries": figures["late"],
            "delivered_with_plan": figures["delivered_with_plan"],
            "delivered_on_time": figures["delivered_with_plan"] - figures["late"],
        },
    }


def shipments_json(data: dict) -> dict:
    return {
        "totals": data["totals"],
        "by_status": [{"status": r["status"], "count": r["count"]} for r in data["by_status"]],
        "rows": [
            {
                "number": s.number,
                "order": s.order.number,
                "status": s.status,
                "carrier": s.carrier.code if s.carrier else None,
                "tracking_number": s.tracking_number,
                "planned_delivery_at": s.planned_delivery_at,
                "delivered_at": s.delivered_at,
                "latest_event": None
                if s.latest_event_at is None
                else {
                    "occurred_at": s.latest_event_at,
                    "kind": s.latest_event_kind,
                    "carrier_status": s.latest_event_status,
                    "description": s.latest_event_description,
                    "location": s.latest_event_location,
                },
            }
            for s in data["rows"]
        ],
    }


SHIPMENTS = Section(
    key="shipments",
    title=_("Shipments"),
    template="crm/sections/shipments.html",
    load=load_shipments,
    as_json=shipments_json,
    permission="logistics.view_shipment",
    order=40,
)

register_section(SHIPMENTS)

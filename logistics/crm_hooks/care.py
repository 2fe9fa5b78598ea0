"""Care rule on shipments: an exception on a VIP customer's shipment."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.hooks import CareCause, CareRuleSpec, register_care_rule
from crm.models import Customer
from logistics.models import ShipmentException


def vip_shipment_exception_causes(rule, since, until):
    exceptions = (
        ShipmentException.objects.filter(
            created_at__gte=since,
            created_at__lt=until,
            shipment__order__customer__tier=Customer.Tier.VIP,
            shipment__order__customer__merged_into__isnull=True,
        )
        .select_related("shipment__order")
        .order_by("created_at", "pk")
    )
    for exception in exceptions:
        shipment = exception.shipment
        yield CareCause(
            customer_id=shipment.order.customer_id,
            key=f"shipment-exception:{exception.pk}",
            occurred_at=exception.created_at,
            reference=shipment.number,
            detail=_("Shipment %(shipment)s of order %(order)s: %(kind)s. %(details)s")
            % {
                "shipment": shipment.number,
                "order": shipment.order.number,
                "kind": exception.get_kind_display(),
                "details": exception.details,
            },
            priority="high",
        )


register_care_rule(
    CareRuleSpec(
        code="vip_shipment_exception",
        name=gettext_lazy("Shipment problem of a VIP customer"),
        description=gettext_lazy(
            "A shipment exception (late, lost, damaged, failed attempt ...) was raised on a "
            "VIP customer's shipment: call the customer at once."
        ),
        find=vip_shipment_exception_causes,
        default_delay_days=0,
        order=30,
    )
)

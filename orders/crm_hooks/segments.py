"""Order figures for the 7P analysis of a customer segment
(crm.hooks.register_segment_facts): orders and revenue, the product
categories bought most, and what campaigns brought in. Cancelled orders do
not count. A fixed number of queries whatever the segment's size."""

from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce

from crm.hooks import register_segment_facts
from orders.models import Order, OrderLine

TOP_CATEGORIES = 5
ZERO = Decimal("0")


def order_segment_facts(customers) -> dict:
    ids = customers.order_by().values("pk")
    orders = Order.objects.filter(customer__in=ids).exclude(status=Order.Status.CANCELLED)
    totals = orders.aggregate(
        orders=Count("pk"),
        revenue=Coalesce(Sum("total"), ZERO),
        campaign_orders=Count("pk", filter=Q(campaign__isnull=False)),
        campaign_revenue=Coalesce(Sum("total", filter=Q(campaign__isnull=False)), ZERO),
    )
    line_cost = ExpressionWrapper(
        F("unit_cost") * F("quantity"), output_field=DecimalField(max_digits=16, decimal_places=2)
    )
    categories = (
        OrderLine.objects.filter(order__in=orders.values("pk"))
        .values("product__category")
        .annotate(
            revenue=Coalesce(Sum("line_total"), ZERO),
            margin=Coalesce(Sum("line_total"), ZERO) - Coalesce(Sum(line_cost), ZERO),
            quantity=Sum("quantity"),
            customers=Count("order__customer", distinct=True),
        )
        .order_by("-revenue", "product__category")[:TOP_CATEGORIES]
    )
    return {
        **totals,
        "top_categories": [
            {
                "category": row["product__category"] or "",
                "revenue": row["revenue"],
                "margin": row["margin"],
                "quantity": row["quantity"],
                "customers": row["customers"],
            }
            for row in categories
        ],
    }


register_segment_facts(order_segment_facts)

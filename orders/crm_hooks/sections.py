"""The orders part of the customer 360 page and API (crm/hooks.py).

The latest orders with their status, the orders and totals per status,
payments and refunds, the margin and the categories bought (7P facts), in
seven queries however many orders the customer has.

Figures count the orders that are not cancelled: revenue is their totals,
refunded what went back on them, margin = sum of line totals - sum of unit
cost × quantity - refunded (the nightly scores' definition), computed live
here so the page is right before the next scoring."""

from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Max, Min, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from crm.hooks import Section, register_section
from orders.models import Order, OrderLine, Payment, Refund

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=18, decimal_places=2)
TOP_CATEGORIES = 5


def _money(value) -> Decimal:
    return (value or ZERO).quantize(Decimal("0.01"))


def load_orders(customer, user) -> dict:
    orders = Order.objects.filter(customer=customer)
    counted = orders.exclude(status=Order.Status.CANCELLED)
    rows = list(orders.select_related("channel").order_by("-placed_at", "-id")[: ORDERS.limit])
    by_status = {
        row["status"]: row
        for row in orders.order_by()
        .values("status")
        .annotate(count=Count("pk"), total=Sum("total"))
    }
    status_rows = [
        {
            "status": value,
            "label": label,
            "count": by_status[value]["count"],
            "total": _money(by_status[value]["total"]),
        }
        for value, label in Order.Status.choices
        if value in by_status
    ]
    figures = counted.order_by().aggregate(
        first=Min("placed_at"),
        last=Max("placed_at"),
        campaign_orders=Count("pk", filter=Q(campaign__isnull=False)),
        campaign_revenue=Sum("total", filter=Q(campaign__isnull=False)),
    )
    responded = list(
        counted.filter(campaign__isnull=False)
        .order_by()
        .values_list("campaign_id", flat=True)
        .distinct()
    )
    paid = Payment.objects.filter(order__customer=customer).aggregate(s=Sum("amount"))["s"]
    refunded = Refund.objects.filter(order__in=counted).aggregate(s=Sum("amount"))["s"]
    lines = OrderLine.objects.filter(order__in=counted)
    cost = ExpressionWrapper(F("unit_cost") * F("quantity"), output_field=MONEY)
    goods = lines.order_by().aggregate(
        sales=Coalesce(Sum("line_total"), ZERO, output_field=MONEY),
        cost=Coalesce(Sum(cost), ZERO, output_field=MONEY),
    )
    categories = [
        {
            "category": row["product__category"],
            "quantity": row["quantity"],
            "revenue": _money(row["revenue"]),
        }
        for row in lines.order_by()
        .values("product__category")
        .annotate(quantity=Sum("quantity"), revenue=Sum("line_total"))
        .order_by("-revenue", "product__category")[:TOP_CATEGORIES]
    ]
    count = sum(row["count"] for row in status_rows)
    cancelled = by_status.get(Order.Status.CANCELLED, {}).get("count", 0)
    revenue = _money(sum((row["total"] for row in status_rows), ZERO) - _status_total(by_status))
    refunded = _money(refunded)
    margin = _money(goods["sales"] - goods["cost"] - refunded)
    totals = {
        "count": count,
        "cancelled": cancelled,
        "revenue": revenue,
        "paid": _money(paid),
        "refunded": refunded,
        "net_revenue": revenue - refunded,
        "margin": margin,
        "currency": rows[0].currency if rows else "",
    }
    return {
        "rows": rows,
        "by_status": status_rows,
        "totals": totals,
        "categories": categories,
        "facts": {
            "orders": count - cancelled,
            "orders_cancelled": cancelled,
            "revenue": revenue,
            "refunded": refunded,
            "net_revenue": revenue - refunded,
            "paid": totals["paid"],
            "margin": margin,
            "first_order_at": figures["first"],
            "last_order_at": figures["last"],
            "top_categories": categories,
            "campaign_orders": figures["campaign_orders"],
            "campaign_revenue": _money(figures["campaign_revenue"]),
            "campaign_ids_responded": responded,
        },
    }


def _status_total(by_status: dict) -> Decimal:
    """What the cancelled orders came to (not revenue)."""
    return _money(by_status.get(Order.Status.CANCELLED, {}).get("total"))


def orders_json(data: dict) -> dict:
    return {
        "totals": data["totals"],
        "by_status": [
            {k: row[k] for k in ("status", "count", "total")} for row in data["by_status"]
        ],
        "top_categories": data["categories"],
        "rows": [
            {
                "number": o.number,
                "channel": o.channel.code,
                "placed_at": o.placed_at,
                "status": o.status,
                "payment_status": o.payment_status,
                "promised_date": o.promised_date,
                "currency": o.currency,
                "total": o.total,
            }
            for o in data["rows"]
        ],
    }


ORDERS = Section(
    key="orders",
    title=_("Orders"),
    template="crm/sections/orders.html",
    load=load_orders,
    as_json=orders_json,
    permission="orders.view_order",
    order=30,
)

register_section(ORDERS)

from django import template
from django.db.models import Sum

register = template.Library()


@register.filter
def order_carbon(order):
    """kg CO2e of all of an order's shipments that have an estimate (or None)."""
    return order.shipments.aggregate(total=Sum("co2e_kg"))["total"]

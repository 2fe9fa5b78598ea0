"""The app's URLs plus the baseline: the same writes as an order intake (an
order and its lines, in one transaction) through a minimal plain Django view,
with no authentication, validation, reservation, audit or outbox."""

import json
import secrets
from decimal import Decimal

from django.db import transaction
from django.http import JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from crm.models import Customer
from erp.urls import urlpatterns as app_urlpatterns
from inventory.models import Product
from orders.models import Order, OrderLine, SalesChannel


@csrf_exempt
def baseline_order(request):
    data = json.loads(request.body)
    products = {p.sku: p for p in Product.objects.filter(sku__in=[x["sku"] for x in data["lines"]])}
    with transaction.atomic():
        customer = Customer.objects.get(phone=data["customer"]["phone"])
        lines = [
            (products[x["sku"]], int(x["quantity"]), Decimal(x["unit_price"]))
            for x in data["lines"]
        ]
        total = sum(quantity * price for _product, quantity, price in lines)
        order = Order.objects.create(
            number=f"B-{secrets.token_hex(8)}",
            channel=SalesChannel.objects.get(code=data["channel"]),
            external_ref=data["external_ref"],
            customer=customer,
            shipping_address=data["shipping_address"],
            subtotal=total,
            total=total,
            placed_at=timezone.now(),
            tracking_token=secrets.token_urlsafe(24),
        )
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                line_no=number,
                product=product,
                sku=product.sku,
                name=product.name,
                quantity=quantity,
                unit_price=price,
                line_total=quantity * price,
            )
            for number, (product, quantity, price) in enumerate(lines, start=1)
        )
    return JsonResponse({"number": order.number}, status=201)


urlpatterns = [path("bench/baseline/orders/", baseline_order), *app_urlpatterns]

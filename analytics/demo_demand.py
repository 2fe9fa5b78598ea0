"""Demo: two years of steady daily demand for four everyday products, so the
demand forecasts have something to model.

The orders' own demo history (orders.demo.seed_history) is a few hundred
orders spread over two hundred products: a product sells a dozen times in
two years, too little for anything but seasonal naive. Here a business
customer's purchasing (channel B2B, shipped from its warehouse) buys the
cheapest product of four categories every day, each with its own pattern:
rice with a weekly rhythm and a winter peak, chargers growing steadily on
weekdays, scented candles flat (no seasonality to find), tea with a weekly
rhythm and a spring peak. Written in bulk as completed history, like the
orders' own: no stock moves, shipments or events. Runs before the other
analytics seeders so that everything computed from orders sees it. A batch
of the chargers is then scrapped, leaving less than their lead time's
demand: the forecast stock-out alert of the demo.
"""

import math
from datetime import datetime, time, timedelta

import numpy as np

DAYS = 730
PREFIX = "DEMAND-"
# category, units a day, weekday factors (Mon..Sun), yearly amplitude, peak day of
# the year, growth over the two years
PATTERNS = [
    ("食品", 6.0, (0.8, 0.8, 0.9, 1.0, 1.1, 1.4, 1.2), 0.35, 15, 0.0),
    ("数码配件", 3.0, (1.3, 1.2, 1.2, 1.1, 1.0, 0.6, 0.6), 0.0, 0, 0.8),
    ("家居", 3.0, (1, 1, 1, 1, 1, 1, 1), 0.0, 0, 0.0),
    ("茶叶", 4.0, (0.9, 0.9, 0.9, 1.0, 1.0, 1.3, 1.2), 0.3, 100, 0.1),
]


def seed(ctx) -> None:
    from django.utils import timezone

    from crm.models import Customer
    from inventory.models import Product
    from orders.demo import history_line, history_order, history_save
    from orders.models import Order, SalesChannel

    if Order.objects.filter(external_ref__startswith=PREFIX).exists():
        ctx.report(
            "daily demand history", Order.objects.filter(external_ref__startswith=PREFIX).count(), 0
        )
        return
    channel = SalesChannel.objects.filter(code="B2B").first()
    customers = list(
        Customer.objects.filter(kind=Customer.Kind.COMPANY)
        .select_related("default_address")
        .order_by("code")
    )
    products = []
    for category, *pattern in PATTERNS:
        product = (
            Product.objects.filter(active=True, category=category)
            .order_by("list_price", "sku")
            .first()
        )
        if product is not None:
            products.append((product, pattern))
    if channel is None or not customers or not products:
        return
    rng = np.random.default_rng([ctx.seed, 7007])
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    orders, lines = [], []
    for back in range(DAYS, 0, -1):
        day = today - timedelta(days=back)
        progress = (DAYS - back) / DAYS
        order_lines = []
        for product, (rate, weekly, amplitude, peak, growth) in products:
            season = 1 + amplitude * math.cos(
                2 * math.pi * (day.timetuple().tm_yday - peak) / 365.25
            )
            mean = rate * weekly[day.weekday()] * season * (1 + growth * progress)
            quantity = int(rng.poisson(mean))
            if quantity:
                order_lines.append(
                    history_line(line_no=len(order_lines) + 1, product=product, quantity=quantity)
                )
        if not order_lines:
            continue
        placed_at = timezone.make_aware(
            datetime.combine(day, time(9 + int(rng.integers(0, 8)), int(rng.integers(0, 60)))), tz
        )
        orders.append(
            history_order(
                number=f"SO-{day:%Y%m%d}-D{len(orders) + 1:04d}",
                channel=channel,
                external_ref=f"{PREFIX}{day:%Y%m%d}",
                customer=customers[back % len(customers)],
                lines=order_lines,
                placed_at=placed_at,
                note="企业客户日常采购（历史）",
            )
        )
        lines.append(order_lines)
    history_save(orders, lines, prefix=PREFIX)
    _scrap_chargers(products)
    ctx.report(
        "daily demand history (" + ", ".join(product.sku for product, _pattern in products) + ")",
        len(orders),
    )


def _scrap_chargers(products) -> None:
    """A damaged batch of the growing chargers written off: what is left
    covers fewer days than their lead time at the forecast's rate, so the
    demo has a stock-out alert that reads the forecast."""
    from inventory.models import StockLevel, StockMove
    from inventory.services import stock_adjust

    charger = next((p for p, _pattern in products if p.category == "数码配件"), None)
    if charger is None:
        return
    keep = 5  # units left in each warehouse
    for level in StockLevel.objects.filter(product=charger).select_related("warehouse"):
        surplus = level.on_hand - level.reserved - keep
        if surplus > 0:
            stock_adjust(
                warehouse=level.warehouse,
                product=charger,
                quantity=-surplus,
                kind=StockMove.Kind.SCRAP,
                note="运输受潮，整批报废",
            )

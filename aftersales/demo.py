"""Demo after-sales: teams with their skills, a working-hours calendar with
holidays, SLA policies, tickets of every kind and status with their
conversations, returns in every stage, repairs with spare parts, and
feedback. Everything goes through the services, at times spread over the
last ten days (the services read the clock; the demo moves it)."""

from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from aftersales.models import (
    Priority,
    RepairOrder,
    ReturnRequest,
    ServiceTeam,
    SlaPolicy,
    Ticket,
)
from aftersales.services import team_create, team_skill_set

TEAMS = [
    # code, name, members, skills (kind, category)
    (
        "GENERAL",
        "售后一组",
        ["agent", "agent2"],
        [("complaint", ""), ("inquiry", ""), ("return", ""), ("exchange", "")],
    ),
    ("REPAIR", "维修服务组", ["agent2"], [("repair", "")]),
    ("VIP", "VIP 服务组", ["agent"], [("complaint", "quality"), ("logistics_exception", "")]),
]

# 2026-2027 public holidays and make-up working days (调休) of the demo calendar.
CALENDAR_DAYS = [
    (date(2026, 10, 1), False, "国庆节"),
    (date(2026, 10, 2), False, "国庆节"),
    (date(2026, 10, 5), False, "国庆节"),
    (date(2026, 10, 6), False, "国庆节"),
    (date(2026, 10, 7), False, "国庆节"),
    (date(2026, 10, 10), True, "国庆节调休"),
    (date(2027, 1, 1), False, "元旦"),
    (date(2027, 2, 5), False, "春节"),
    (date(2027, 2, 8), False, "春节"),
    (date(2027, 2, 9), False, "春节"),
    (date(2027, 2, 10), False, "春节"),
    (date(2027, 2, 11), False, "春节"),
    (date(2027, 2, 20), True, "春节调休"),
]

# priority, tier, first response minutes, resolution minutes, 24x7
POLICIES = [
    (Priority.URGENT, "", 30, 240, True),
    (Priority.HIGH, "", 120, 8 * 60, False),
    (Priority.NORMAL, "", 240, 16 * 60, False),
    (Priority.LOW, "", 8 * 60, 40 * 60, False),
    (Priority.HIGH, "vip", 30, 4 * 60, True),
    (Priority.NORMAL, "vip", 60, 8 * 60, False),
]

# subject, kind, category, channel, priority, what the customer wrote
TICKETS = [
    ("茶叶罐运输中压扁", "complaint", "quality", "phone", "high", "收到时罐子凹了，茶叶洒了一些。"),
    ("发票抬头开错了", "inquiry", "invoice", "email", "normal", "请把抬头改成公司名称。"),
    ("想退掉没拆封的杯子", "return", "", "portal", "normal", "七天无理由，包装完好。"),
    ("颜色不对，想换一个", "exchange", "", "chat", "normal", "想换成白色的。"),
    ("保温壶不保温了", "repair", "", "phone", "normal", "用了两个月，保温效果很差。"),
    ("什么时候发货", "inquiry", "delivery", "chat", "low", "下单三天了还没发货。"),
    ("客服态度不好", "complaint", "service", "phone", "normal", "电话里被挂断两次。"),
    ("少发了一件", "complaint", "", "api", "high", "订单两件只收到一件。"),
    ("能否开专票", "inquiry", "invoice", "email", "low", "需要增值税专用发票。"),
    ("收到的商品有划痕", "complaint", "quality", "portal", "normal", "外壳有明显划痕。"),
    ("茶具套装缺一个杯子", "complaint", "", "phone", "urgent", "送礼用的，明天就要。"),
    ("退货运费谁承担", "inquiry", "", "chat", "low", "质量问题退货运费怎么算？"),
]

# The path each ticket takes: how many hours after opening each step happens.
PATHS = [
    [],  # new or assigned, untouched
    [("reply", 1)],  # in progress
    [("reply", 2), ("wait", 2)],  # waiting on the customer
    [("reply", 1), ("answer", 20), ("resolve", 30)],  # resolved, answered the survey
    [("reply", 3), ("resolve", 26), ("close", 100)],  # closed
    [("reply", 1), ("resolve", 5), ("reopen", 40)],  # reopened
]


@contextmanager
def _clock(moment):
    """Let the services see `moment` as now (demo history only)."""
    real = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = real


def _teams(ctx) -> None:
    users = ctx.data["users"]
    for code, name, members, skills in TEAMS:
        team = ServiceTeam.objects.filter(code=code).first() or team_create(
            code=code, name=name, members=[users[m] for m in members]
        )
        team_skill_set(team=team, skills=skills)
    ctx.report("after-sales teams", ServiceTeam.objects.count())


def _sla(ctx) -> None:
    from aftersales.services.sla_admin import calendar_create, calendar_day_add, sla_policy_create

    if SlaPolicy.objects.exists():
        return
    office = calendar_create(code="CN-OFFICE", name="工作日 9:00-18:00")
    for day, working, name in CALENDAR_DAYS:
        calendar_day_add(calendar=office, date=day, working=working, name=name)
    always = calendar_create(code="24X7", name="全天候 7×24", always_open=True)
    for priority, tier, first, resolution, round_the_clock in POLICIES:
        label = f"{Priority(priority).label}{' VIP' if tier else ''}"
        sla_policy_create(
            name=str(label),
            priority=priority,
            customer_tier=tier,
            first_response_minutes=first,
            resolution_minutes=resolution,
            calendar=always if round_the_clock else office,
        )
    ctx.report("SLA policies", SlaPolicy.objects.count())


def _tickets(ctx, rng, orders) -> list[Ticket]:
    from aftersales.services.feedback import feedback_submit
    from aftersales.services.tickets import (
        ticket_create,
        ticket_customer_message,
        ticket_reply,
        ticket_resolve,
        ticket_transition,
    )

    if Ticket.objects.exclude(channel="system").exists():
        return []
    now = timezone.now()
    made = []
    for index in range(36):
        subject, kind, category, channel, priority, words = TICKETS[index % len(TICKETS)]
        order = orders[index % len(orders)]
        opened = now - timedelta(hours=rng.randint(2, 240), minutes=rng.randint(0, 59))
        opened = min(max(opened, order.placed_at + timedelta(hours=1)), now - timedelta(hours=1))
        with _clock(opened):
            ticket = ticket_create(
                customer=order.customer,
                order=order,
                subject=subject,
                kind=kind,
                category=category,
                channel=channel,
                priority=priority,
                description=words,
                # now and then one waits in the unassigned queue
                auto_assign=index % 12 != 6,
            )
        path = PATHS[index % len(PATHS)]
        agent = ticket.assignee or ctx.data["users"]["agent"]
        for step, hours in path:
            moment = min(opened + timedelta(hours=hours), now)
            with _clock(moment):
                if step == "reply":
                    ticket_reply(ticket=ticket, body="您好，已收到，我们正在处理。", actor=agent)
                elif step == "wait":
                    ticket_reply(
                        ticket=ticket,
                        body="麻烦提供一下商品照片。",
                        actor=agent,
                        wait_for_customer=True,
                    )
                elif step == "answer":
                    ticket_customer_message(ticket=ticket, body="照片已上传。", channel=channel)
                elif step == "resolve":
                    ticket = ticket_resolve(
                        ticket=ticket,
                        summary="已为您补发新品。",
                        responsibility=rng.choice(["warehouse", "logistics", "product_quality"]),
                        actor=agent,
                    )
                elif step == "close":
                    ticket_transition(ticket=ticket, to_status=Ticket.Status.CLOSED, actor=agent)
                elif step == "reopen":
                    ticket_customer_message(ticket=ticket, body="问题又出现了。", channel=channel)
        ticket.refresh_from_db()
        feedback = getattr(ticket, "feedback", None)
        if feedback is not None and index % 3 != 2:
            with _clock(min(ticket.resolved_at + timedelta(hours=3), now)):
                feedback_submit(
                    token=feedback.token,
                    csat=rng.choice([5, 5, 4, 4, 3, 2]),
                    nps=rng.choice([10, 9, 9, 8, 7, 6, 3, None]),
                    comment=rng.choice(["处理很快，谢谢。", "", "希望能更早回复。", "满意"]),
                )
        made.append(ticket)
    return made


def _returns(ctx, rng, orders) -> None:
    from aftersales.services import returns as rma
    from logistics.models import Carrier
    from orders.services.payments import order_paid_total, order_payment_record

    if ReturnRequest.objects.exists():
        return
    users = ctx.data["users"]
    agent, keeper = users["agent"], users["warehouse"]
    carrier = Carrier.objects.filter(active=True).order_by("code").first()
    stages = [
        "requested",
        "approved",
        "rejected",
        "awaiting_receipt",
        "received",
        "inspected",
        "refunded",
        "refunded",
        "exchanged",
        "cancelled",
    ]
    now = timezone.now()
    for index, stage in enumerate(stages[: len(orders)]):
        order = orders[-(index + 1)]
        if order_paid_total(order) < order.total:
            order_payment_record(
                order=order,
                amount=order.total - order_paid_total(order),
                method=rng.choice(["alipay", "wechat_pay", "bank"]),
                reference=f"PAY-{order.number}",
            )
        line = order.lines.order_by("line_no").first()
        kind = "exchange" if stage == "exchanged" else "return"
        _units, delivered_at = rma.deliveries(order).get(line.pk, (0, None))
        if delivered_at is None:
            continue
        # Asked for a day after delivery, inside the return window.
        at = max(
            delivered_at,
            min(delivered_at + timedelta(days=1, hours=index), now - timedelta(days=2)),
        )
        with _clock(at):
            request = rma.return_request_create(
                order=order,
                kind=kind,
                lines=[
                    {
                        "order_line": line,
                        "quantity": 1,
                        "reason": "不想要了" if kind == "return" else "尺寸不合适",
                        "condition": "unopened",
                    }
                ],
                reason="七天无理由" if kind == "return" else "换一个",
                channel="portal",
                actor=agent,
            )
        steps = {
            "approved": ["approve"],
            "rejected": ["reject"],
            "awaiting_receipt": ["approve", "label"],
            "received": ["approve", "label", "receive"],
            "inspected": ["approve", "label", "receive", "inspect"],
            "refunded": ["approve", "label", "receive", "inspect", "refund"],
            "exchanged": ["approve", "label", "receive", "inspect", "exchange"],
            "cancelled": ["cancel"],
        }.get(stage, [])
        for hour, step in enumerate(steps, start=1):
            with _clock(min(at + timedelta(hours=hour * 6), now)):
                if step == "approve":
                    request = rma.return_approve(rma=request, actor=agent)
                elif step == "reject":
                    request = rma.return_reject(rma=request, reason="已超过退货期限", actor=agent)
                elif step == "label":
                    request = rma.return_label_issue(
                        rma=request, carrier=carrier, tracking_number=f"RT{index:08d}", actor=agent
                    )
                elif step == "receive":
                    warehouse = order.shipments.order_by("pk").first().warehouse
                    request = rma.return_receive(
                        rma=request,
                        warehouse=warehouse,
                        receive_into="quarantine" if index % 2 else "stock",
                        actor=keeper,
                    )
                elif step == "inspect":
                    request = rma.return_inspect(
                        rma=request,
                        lines=[
                            {
                                "line": line.line_no,
                                "disposition": "restock",
                                "condition": "unopened",
                                "note": "外包装完好",
                            }
                        ],
                        actor=keeper,
                    )
                elif step == "refund":
                    request = rma.return_refund(rma=request, actor=agent)
                elif step == "exchange":
                    request = rma.return_exchange(rma=request, actor=agent)
                elif step == "cancel":
                    request = rma.return_cancel(rma=request, reason="客户决定保留", actor=agent)
    ctx.report("returns", ReturnRequest.objects.count())


def _repairs(ctx, rng, orders) -> None:
    from aftersales.services import repairs
    from inventory.models import StockLevel

    if RepairOrder.objects.exists():
        return
    users = ctx.data["users"]
    technician = users["agent2"]
    parts = list(
        StockLevel.objects.filter(on_hand__gt=5).select_related("product", "warehouse")[:6]
    )
    now = timezone.now()
    stages = [
        "reported",
        "diagnosing",
        "waiting_parts",
        "repairing",
        "done",
        "returned_to_customer",
        "cancelled",
        "done",
    ]
    for index, stage in enumerate(stages):
        order = orders[index % len(orders)]
        line = order.lines.order_by("line_no").first()
        # Brought in after the purchase, days ago; later steps never pass now.
        at = max(now - timedelta(days=5, hours=index * 7), order.placed_at + timedelta(hours=2))
        at = min(at, now - timedelta(hours=31))
        with _clock(at):
            repair = repairs.repair_create(
                customer=order.customer,
                product=line.product,
                order_line=None if index == 7 else line,
                serial_number=f"SN{2026_0000 + index * 17}",
                fault_description=rng.choice(["无法开机", "保温失效", "按键失灵", "外壳开裂"]),
                technician=technician,
                parts_warehouse=parts[0].warehouse if parts else None,
                # the last one: bought in a shop long ago (a receipt), out of warranty
                purchase_date=date(2024, 1, 10) if index == 7 else None,
                actor=users["agent"],
            )
        if stage == "reported":
            continue
        with _clock(min(at + timedelta(hours=2), now)):
            if stage == "cancelled":
                repairs.repair_cancel(repair=repair, reason="客户撤回", actor=technician)
                continue
            repairs.repair_diagnose(
                repair=repair,
                diagnosis="主板接触不良" if index % 2 else "密封圈老化",
                warranty_void_reason="进水" if index == 4 else "",
                actor=technician,
            )
        if stage == "diagnosing":
            continue
        with _clock(min(at + timedelta(hours=4), now)):
            if stage == "waiting_parts":
                repairs.repair_transition(
                    repair=repair, to_status="waiting_parts", actor=technician, reason="等备件"
                )
                continue
            repairs.repair_transition(repair=repair, to_status="repairing", actor=technician)
            if parts:
                part = parts[index % len(parts)]
                repairs.repair_part_add(
                    repair=repair,
                    product=part.product,
                    warehouse=part.warehouse,
                    quantity=1 + index % 2,
                    actor=technician,
                )
            repairs.repair_labour_record(
                repair=repair,
                hours=Decimal("1.5") if index % 2 else Decimal("0.5"),
                actor=technician,
            )
        if stage == "repairing":
            continue
        with _clock(min(at + timedelta(hours=24), now)):
            repairs.repair_complete(repair=repair, note="已修复，测试正常", actor=technician)
        if stage == "returned_to_customer":
            with _clock(min(at + timedelta(hours=30), now)):
                repairs.repair_return_to_customer(
                    repair=repair, tracking_number=f"SF{index:010d}", actor=technician
                )
    ctx.report("repairs", RepairOrder.objects.count())


def seed(ctx) -> None:
    from orders.models import Order

    _teams(ctx)
    _sla(ctx)
    rng = ctx.rng("aftersales")
    orders = list(
        Order.objects.filter(status__in=["delivered", "completed"])
        .select_related("customer", "channel")
        .order_by("pk")[:40]
    )
    if not orders:
        return
    tickets = _tickets(ctx, rng, orders)
    _returns(ctx, rng, orders)
    _repairs(ctx, rng, orders)
    from aftersales.services.sla import sla_watch

    sla_watch()
    ctx.report("tickets", Ticket.objects.count(), len(tickets))

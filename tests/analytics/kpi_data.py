"""A fixed week of business, built through the real services with a frozen
clock, behind the KPI tests (test_kpis, test_rollup, test_kpi_api).

Days (Asia/Shanghai): A=Mon 2026-11-02 ... G=Sun 2026-11-08; the clock ends
on G at 20:00. Prices: every line at 100.00. Carrier SF: 10.00 + 2.00/kg.
Weights: TEA 0.5 kg, CUP 0.3 kg, POT 1.0 kg. Costs: TEA 40, CUP 5, POT 60.

A 09:00  receipts: SH01 TEA 20 @40, CUP 10 @5; BJ01 TEA 5 @40, POT 1 @60
A 10:00  O1 WEB  TEA 2 + CUP 1 = 300, promised C (11-04)+1 = D; confirmed 10:30
A 11:00  O2 WEB  TEA 3 = 300, promised C; confirmed 11:05
A 12:00  O5 WEB  TEA 1, cancelled 13:00 (left out everywhere)
B 09:00  O3 B2B  TEA 2 + POT 3 = 500, from BJ01 (channel default); confirmed
         09:10: TEA 2 and POT 1 reserved at BJ01, POT short 2 (backorder)
B 09:30  S1 (O1, SH01, 1.3 kg -> 12.60) dispatched
B 10:00  S2 (O2, SH01, 1.5 kg -> 13.00) dispatched
B 14:00  O4 WEB  CUP 2 = 200, promised G; confirmed 14:10
C 09:00  S4 (O4, SH01, 0.6 kg -> 11.20) dispatched
C 10:00  T2 ticket on O2 (inquiry); reply 16:00 (6 h: first response breached)
C 15:00  S1 delivered -> O1 delivered (53 h, on time: C <= D)
C 16:00  T1 ticket on O1 (complaint); reply 17:00 (1 h); resolved 19:00 (3 h)
D 00:30  T3 ticket without an order (16:30 UTC on C: a local-day check)
D 09:00  S3 (O3, BJ01: TEA 2 + POT 1, 2.0 kg -> 14.00) dispatched: BJ01 POT now 0
D 09:00  T1 survey answered: CSAT 5, NPS 10
D 10:00  S4 delivered -> O4 delivered (44 h, on time: D <= G); T2 resolved (24 h:
         resolution breached)
D 10:30  return of O1's CUP, "包装破损" (opens ticket T4)
D 12:00  T2 survey answered: CSAT 2, NPS 8
E 12:00  S2 delivered -> O2 delivered (97 h, late: E > C)
F 09:00  return of O4's CUP, "不想要了" (ticket T5)
F 10:00  return of O2's TEA, "不想要了" (ticket T6), rejected 11:00: left out

SLA policy (normal priority, 24x7): first response 4 h, resolution 16 h.
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from aftersales.models import Ticket, TicketEvent
from aftersales.services import returns as rma
from aftersales.services.feedback import feedback_submit
from aftersales.services.sla_admin import calendar_create, sla_policy_create
from aftersales.services.tickets import ticket_create, ticket_reply, ticket_resolve
from inventory.services import stock_receive
from logistics.models import Carrier
from logistics.services import (
    carrier_create,
    shipment_create,
    shipment_deliver,
    shipment_dispatch,
)
from orders.models import SalesChannel
from orders.services import order_cancel, order_confirm
from tests.aftersales.conftest import frozen_clock, service_desk, shanghai  # noqa: F401
from tests.factories import ProductFactory, SalesChannelFactory
from tests.logistics.conftest import packed  # noqa: F401
from tests.orders.conftest import place, stock, world  # noqa: F401

DAYS = {name: 2 + index for index, name in enumerate("ABCDEFG")}  # A -> 2 (November)


def at(day: str, hour: int, minute: int = 0):
    return shanghai(2026, 11, DAYS[day], hour, minute)


@pytest.fixture
def kpi_data(world, place, packed, frozen_clock, service_desk):  # noqa: F811
    clock = frozen_clock
    sh, bj = world["sh"], world["bj"]
    tea, cup = world["tea"], world["cup"]
    tea.category, tea.weight_kg = "茶叶", Decimal("0.5")
    tea.save()
    cup.category, cup.weight_kg = "茶具", Decimal("0.3")
    cup.save()
    pot = ProductFactory(
        sku="POT-1",
        category="茶具",
        unit_cost=Decimal("60"),
        list_price=Decimal("200"),
        weight_kg=Decimal("1.0"),
    )
    web = world["channel"]
    b2b = SalesChannelFactory(
        code="B2B", kind=SalesChannel.Kind.B2B, default_warehouse=bj, allow_backorder=True
    )
    sf = carrier_create(
        code="SF",
        name="顺丰速运",
        mode=Carrier.Mode.COURIER,
        base_fee=Decimal("10"),
        fee_per_kg=Decimal("2"),
    )
    always = calendar_create(code="24X7", name="全天候", always_open=True)
    sla_policy_create(
        name="normal",
        priority="normal",
        first_response_minutes=240,
        resolution_minutes=960,
        calendar=always,
    )
    agent = service_desk["ann"]

    def ship(order, warehouse, when):
        clock.set(when)
        shipment = packed(shipment_create(order=order, warehouse=warehouse))
        return shipment_dispatch(shipment=shipment, carrier=sf, tracking_number=order.number)

    def deliver(shipment, when):
        clock.set(when)
        shipment_deliver(shipment=shipment, recipient_name="王芳")

    def ticket(order, kind, when, subject):
        clock.set(when)
        return ticket_create(
            customer=(order or o1).customer,
            order=order,
            subject=subject,
            kind=kind,
            channel="phone",
            description=subject,
        )

    def reply(ticket_, when):
        clock.set(when)
        ticket_reply(ticket=ticket_, body="您好，已收到。", actor=ticket_.assignee or agent)

    def resolve(ticket_, when):
        clock.set(when)
        ticket_resolve(ticket=ticket_, summary="已处理", actor=agent)

    def answer(ticket_, when, csat, nps):
        clock.set(when)
        ticket_.refresh_from_db()
        feedback_submit(token=ticket_.feedback.token, csat=csat, nps=nps)

    def give_back(order, when, reason):
        clock.set(when)
        line = order.lines.order_by("line_no").last()
        return rma.return_request_create(
            order=order,
            kind="return",
            lines=[{"order_line": line, "quantity": 1, "reason": reason, "condition": "opened"}],
            reason=reason,
            channel="portal",
            actor=agent,
        )

    clock.set(at("A", 9))
    stock_receive(warehouse=sh, product=tea, quantity=20, unit_cost=Decimal("40"))
    stock_receive(warehouse=sh, product=cup, quantity=10, unit_cost=Decimal("5"))
    stock_receive(warehouse=bj, product=tea, quantity=5, unit_cost=Decimal("40"))
    stock_receive(warehouse=bj, product=pot, quantity=1, unit_cost=Decimal("60"))

    clock.set(at("A", 10))
    o1 = place(("tea", 2), ("cup", 1), promised_in=3)
    clock.set(at("A", 10, 30))
    order_confirm(order=o1)
    clock.set(at("A", 11))
    o2 = place(("tea", 3), promised_in=2)
    clock.set(at("A", 11, 5))
    order_confirm(order=o2)
    clock.set(at("A", 12))
    o5 = place(("tea", 1))
    clock.set(at("A", 13))
    order_cancel(order=o5, reason="客户取消")

    clock.set(at("B", 9))
    world["pot"] = pot
    o3 = place(("tea", 2), ("pot", 3), channel=b2b, promised_in=7)
    clock.set(at("B", 9, 10))
    order_confirm(order=o3)
    s1 = ship(o1, sh, at("B", 9, 30))
    s2 = ship(o2, sh, at("B", 10))
    clock.set(at("B", 14))
    o4 = place(("cup", 2), promised_in=5)
    clock.set(at("B", 14, 10))
    order_confirm(order=o4)

    s4 = ship(o4, sh, at("C", 9))
    t2 = ticket(o2, "inquiry", at("C", 10), "什么时候到货")
    deliver(s1, at("C", 15))
    reply(t2, at("C", 16))
    t1 = ticket(o1, "complaint", at("C", 16), "茶叶罐压扁了")
    reply(t1, at("C", 17))
    resolve(t1, at("C", 19))

    t3 = ticket(None, "inquiry", at("D", 0, 30), "能否开发票")
    s3 = ship(o3, bj, at("D", 9))
    answer(t1, at("D", 9), csat=5, nps=10)
    deliver(s4, at("D", 10))
    resolve(t2, at("D", 10))
    r1 = give_back(o1, at("D", 10, 30), "包装破损")
    answer(t2, at("D", 12), csat=2, nps=8)

    deliver(s2, at("E", 12))
    r2 = give_back(o4, at("F", 9), "不想要了")
    r3 = give_back(o2, at("F", 10), "不想要了")
    clock.set(at("F", 11))
    rma.return_reject(rma=r3, reason="已拆封使用", actor=agent)

    clock.set(at("G", 20))
    # The channels were set up before the week, not at the real time the test
    # runs; so were the surveys' "sent" events (their default time is the real
    # clock's, not the frozen one's): the rollup's watermark compares with them.
    SalesChannel.objects.update(updated_at=at("A", 8))
    for t in (t1, t2):
        t.refresh_from_db()
        TicketEvent.objects.filter(ticket=t, kind=TicketEvent.Kind.LINKED).update(
            created_at=t.resolved_at
        )
    for obj in (o1, o2, o3, o4, o5, s1, s2, s3, s4):
        obj.refresh_from_db()
    return {
        **world,
        "web": web,
        "b2b": b2b,
        "sf": sf,
        "clock": clock,
        "orders": {"o1": o1, "o2": o2, "o3": o3, "o4": o4, "o5": o5},
        "shipments": {"s1": s1, "s2": s2, "s3": s3, "s4": s4},
        "tickets": {"t1": t1, "t2": t2, "t3": t3},
        "returns": {"r1": r1, "r2": r2, "r3": r3},
        "return_tickets": list(Ticket.objects.filter(kind="return").order_by("pk")),
        "place": place,
        "ship": ship,
        "deliver": deliver,
        "at": at,
    }


def days(start: str, end: str):
    return at(start, 0).date(), at(end, 0).date()


ONE_DAY = timedelta(days=1)

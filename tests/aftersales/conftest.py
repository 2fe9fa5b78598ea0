from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from aftersales.services import team_create, team_skill_set
from logistics.services import shipment_create, shipment_deliver, shipment_dispatch
from orders.services import order_confirm
from tests.logistics.conftest import carrier, packed, weighed  # noqa: F401  (shared fixtures)
from tests.orders.conftest import place, stock, world  # noqa: F401

SHANGHAI = ZoneInfo("Asia/Shanghai")


class FrozenClock:
    """timezone.now() (and so auto_now fields) answers `now` until moved."""

    def __init__(self, monkeypatch, start: datetime):
        self.now = start
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def set(self, *args, **kwargs) -> datetime:
        """set(datetime) or set(2026, 11, 27, 9, 30) in Shanghai time."""
        self.now = args[0] if isinstance(args[0], datetime) else shanghai(*args, **kwargs)
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def shanghai(*args, **kwargs) -> datetime:
    return datetime(*args, **kwargs, tzinfo=SHANGHAI)


@pytest.fixture
def frozen_clock(monkeypatch):
    """A clock that stands still (Friday 2026-11-27 10:00 Shanghai) until moved."""
    return FrozenClock(monkeypatch, shanghai(2026, 11, 27, 10, 0))


@pytest.fixture
def delivered(world, weighed, stock, place, carrier, packed):  # noqa: F811
    """An order of 3 TEA-1 (100.00 each) and 2 CUP-1 (100.00 each) from SH01,
    dispatched and delivered; the customer (王芳) has an e-mail address."""
    stock("sh", "tea", 10)
    stock("sh", "cup", 10)
    order = place(("tea", 3), ("cup", 2))
    order.customer.email = "wang.fang@example.com"
    order.customer.save()
    order_confirm(order=order)
    shipment = shipment_create(order=order, warehouse=world["sh"])
    packed(shipment)
    shipment = shipment_dispatch(shipment=shipment, carrier=carrier, tracking_number="SF100")
    shipment_deliver(shipment=shipment, recipient_name="王芳")
    order.refresh_from_db()
    return order


@pytest.fixture
def service_desk(make_user):
    """Two teams: GENERAL (agents ann, bob) takes complaints, inquiries,
    returns and exchanges; LOGI (agent cat) takes logistics exceptions."""
    ann = make_user("aftersales_agent", username="ann", email="ann@example.com")
    bob = make_user("aftersales_agent", username="bob", email="bob@example.com")
    cat = make_user("aftersales_agent", username="cat", email="cat@example.com")
    general = team_create(code="GENERAL", name="售后一组", members=[ann, bob])
    logi = team_create(code="LOGI", name="物流售后组", members=[cat])
    team_skill_set(
        team=general,
        skills=[("complaint", ""), ("inquiry", ""), ("return", ""), ("exchange", "")],
    )
    team_skill_set(team=logi, skills=[("logistics_exception", "")])
    return {"ann": ann, "bob": bob, "cat": cat, "general": general, "logi": logi}

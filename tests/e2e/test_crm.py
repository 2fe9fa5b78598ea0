"""Customers in the browser. An account manager opens a gold customer's 360
page (客户全景): the header, KPI cards, the 7P panel and the sections of the
customer's history; they open a care task from it, say how it went, and
the task and the 360 page show it done, with the call logged."""

import re
import secrets
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crm.models import CareTask, Customer, Interaction
from crm.services.scoring import customers_score
from orders.models import Order, OrderLine
from tests.factories import CustomerFactory, UserFactory
from tests.orders.conftest import world  # noqa: F401  (shared fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SEVEN_P = (
    "profile",
    "persistency",
    "profitability",
    "performance",
    "prospecting",
    "product",
    "promotion",
)


@pytest.fixture
def gold_customer(world):  # noqa: F811
    """A customer of 赵敏 with five delivered orders (16000 CNY in the last
    12 months: gold, once scored) and an open care task to thank them for
    the last, large order."""
    manager = UserFactory(
        username="zhaomin", first_name="敏", last_name="赵", roles=["account_manager"]
    )
    customer = CustomerFactory(code="C000019", name="高洋", account_manager=manager)
    now = timezone.now()
    orders = []
    for i, quantity in enumerate((10, 20, 30, 40, 60)):
        order = Order.objects.create(
            number=f"SO-E2E-{i + 1:05d}",
            channel=world["channel"],
            customer=customer,
            placed_at=now - timedelta(days=100 - 20 * i),
            status=Order.Status.DELIVERED,
            subtotal=Decimal(100 * quantity),
            total=Decimal(100 * quantity),
            tracking_token=secrets.token_hex(16),
        )
        OrderLine.objects.create(
            order=order,
            line_no=1,
            product=world["tea"],
            sku="TEA-1",
            name="西湖龙井",
            quantity=quantity,
            unit_price=Decimal("100"),
            line_total=Decimal(100 * quantity),
            unit_cost=Decimal("40"),
        )
        orders.append(order)
    customers_score(now=now)
    customer.refresh_from_db()
    assert customer.tier == Customer.Tier.GOLD
    task = CareTask.objects.create(
        customer=customer,
        title="感谢大额订单",
        detail=f"订单 {orders[-1].number} 金额 6000.00 元。",
        reference=orders[-1].number,
        due_at=now + timedelta(days=1),
        assignee=manager,
    )
    return {"manager": manager, "customer": customer, "orders": orders, "task": task}


def test_customer_360_and_care_task_done(page, live_server, sign_in, shot, gold_customer):
    customer, task = gold_customer["customer"], gold_customer["task"]

    sign_in("zhaomin")
    page.goto(f"{live_server.url}/crm/customers/{customer.code}/")

    # The header: who the customer is, their tier and account manager.
    expect(page.locator("#customer-name")).to_have_text("高洋")
    expect(page.locator("#customer-code")).to_have_text(customer.code)
    expect(page.locator("#customer-tier")).to_have_attribute("data-tier", "gold")
    expect(page.locator("#customer-account-manager")).to_have_text("赵敏")
    for action in ("customer-edit", "interaction-create", "care-create", "customer-tier"):
        expect(page.locator(f"#action-{action}")).to_be_visible()

    # KPI cards and the 7P panel.
    expect(page.locator("#kpi-orders .kpi-value")).to_have_text("5")
    expect(page.locator("#kpi-revenue .kpi-value")).to_have_text("16000.00")
    for key in SEVEN_P:
        expect(page.locator(f"#seven-p #p-{key}")).to_be_visible()
    expect(page.locator('#p-performance [data-key="orders"]')).to_have_text("5")
    expect(page.locator('#p-profitability [data-key="margin"]')).to_have_text("9600.00")
    expect(page.locator("#p-product .category-name")).to_have_count(1)

    # The sections of the customer's history.
    for key in ("profile", "scores", "orders", "interactions", "care_tasks"):
        expect(page.locator(f"#section-{key}")).to_be_visible()
    expect(page.locator("#section-orders tbody tr")).to_have_count(5)
    expect(page.locator("#care-open")).to_have_text("1")
    expect(page.locator("#care-done")).to_have_text("0")
    expect(page.locator("#interactions-count")).to_have_text("0")
    row = page.locator(f'#care-tasks tr[data-task="{task.pk}"]')
    expect(row).to_have_attribute("data-status", "open")
    shot("crm-01-customer-360")

    # The care task, from the 360 page: done, the call logged with it.
    row.get_by_role("link", name="感谢大额订单").click()
    expect(page).to_have_url(re.compile(rf"/crm/care/{task.pk}/$"))
    expect(page.locator("#task-status")).to_have_attribute("data-status", "open")
    expect(page.locator("#task-assignee")).to_have_text("赵敏")
    shot("crm-02-care-task-open")
    complete = page.locator("#action-complete")
    complete.locator("textarea[name=outcome]").fill("已致电感谢，客户很满意，下月还会追加订单。")
    complete.locator("select[name=reached_by]").select_option("call")
    complete.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#task-status")).to_have_attribute("data-status", "done")
    expect(page.locator("#task-outcome")).to_have_text("已致电感谢，客户很满意，下月还会追加订单。")
    expect(page.locator("#task-actions")).to_have_count(0)
    expect(page.locator("#task-interactions li")).to_have_count(1)
    shot("crm-03-care-task-done")

    task.refresh_from_db()
    assert task.status == CareTask.Status.DONE
    assert task.completed_by == gold_customer["manager"]
    call = Interaction.objects.get(customer=customer)
    assert (call.kind, call.direction, call.staff) == ("call", "outbound", gold_customer["manager"])

    # Back on the 360 page the task is done and the call is in the history.
    page.locator("#task-customer").click()
    expect(page).to_have_url(re.compile(rf"/crm/customers/{customer.code}/$"))
    expect(page.locator("#care-open")).to_have_text("0")
    expect(page.locator("#care-done")).to_have_text("1")
    expect(page.locator(f'#care-tasks tr[data-task="{task.pk}"]')).to_have_attribute(
        "data-status", "done"
    )
    expect(page.locator("#interactions-count")).to_have_text("1")
    expect(page.locator("#interactions tbody tr")).to_have_count(1)
    expect(page.locator("#interactions tbody tr")).to_contain_text("赵敏")
    shot("crm-04-customer-360-after")

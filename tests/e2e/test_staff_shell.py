"""A staff member signs in, finds their work in the menu, filters a list,
switches language, is refused another role's page, and signs out."""

import re

import pytest
from playwright.sync_api import expect

from crm.models import Customer
from tests.factories import CustomerFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_sign_in_navigate_filter_and_switch_language(page, live_server, sign_in, shot):
    UserFactory(username="lina", first_name="娜", last_name="李", roles=["order_clerk"])
    CustomerFactory.create_batch(5, tier=Customer.Tier.GOLD)
    CustomerFactory(name="王大锤", tier=Customer.Tier.VIP)

    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.locator("h1")).to_have_text(re.compile("登录"))
    shot("01-login")

    sign_in("lina")
    expect(page.locator("h1")).to_contain_text("欢迎")
    expect(page.get_by_text("订单专员")).to_be_visible()
    shot("02-home-order-clerk")

    page.get_by_role("button", name="客户").or_(page.get_by_role("link", name="客户")).first.click()
    page.locator(".dropdown-menu.show").get_by_role("link", name="客户", exact=True).click()
    expect(page.locator("h1")).to_contain_text("客户")
    expect(page.locator("tbody tr")).to_have_count(6)

    page.select_option("#id_tier", "vip")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"tier=vip"))
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody")).to_contain_text("王大锤")
    shot("03-customers-filtered")

    page.select_option("#language-form select", "en")
    expect(page.locator("h1")).to_contain_text("Customers")
    expect(page.locator("tbody")).to_contain_text("王大锤")
    shot("04-customers-english")

    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_other_roles_page_is_refused(page, live_server, sign_in, shot):
    UserFactory(username="wangqiang", roles=["warehouse"])
    sign_in("wangqiang")
    expect(page.locator("h1")).to_contain_text("欢迎")
    expect(page.locator("nav")).not_to_contain_text("客户")
    page.goto(f"{live_server.url}/crm/customers/")
    expect(page.locator("h1")).to_have_text("无权访问")
    shot("05-denied-warehouse-on-customers")


def test_api_docs_load_only_from_this_server(page, live_server, shot):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("ERP downstream suite API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    shot("06-api-docs")
    foreign = [u for u in requested if not u.startswith((live_server.url, "data:", "blob:"))]
    assert foreign == []
    assert any("/api/schema/" in u for u in requested)

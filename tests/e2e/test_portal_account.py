"""Customer sign-in on a phone (390x844): a company contact types her e-mail
address, gets a code by mail, types a wrong code (refused, tries left) and
then the right one, sees her company's orders (and nobody else's), opens one
order by its link, comes back and signs out. Screenshots in
test-artifacts/screenshots/portal-account-*."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from crm.services.customers import contact_create, customer_create
from tests.e2e.conftest import (
    SCREENSHOTS,
    fits,
)
from tests.orders.conftest import place, stock, world  # noqa: F401  (shared fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def snap(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"portal-account-{name}.png"), full_page=True)


@pytest.fixture
def company(world, place):  # noqa: F811
    """A company customer (English) with three orders and a buyer contact,
    and another customer with an order of their own."""
    acme = customer_create(
        name="Acme Trading Co.", kind="company", phone="02155550000", email="buy@acme.example"
    )
    acme.language = "en"
    acme.save(update_fields=["language"])
    orders = [place(("cup", n), phone="02155550000") for n in (1, 2, 3)]
    contact_create(customer=acme, name="Zhao Min", email="zhao.min@acme.example")
    other = place(("tea", 1), phone="13900000002")
    return {"orders": orders, "other": other}


def test_a_contact_signs_in_on_a_phone_and_sees_the_companys_orders(
    phone, live_server, company, settings
):
    mail.outbox = []
    phone.goto(f"{live_server.url}/track/account/sign-in/")
    snap(phone, "1-sign-in")
    assert fits(phone)
    phone.fill("#id_address", "Zhao.Min@acme.example")
    phone.click("#portal-signin-form button[type=submit]")
    expect(phone).to_have_url(re.compile(r"/track/account/code/$"))
    expect(phone.locator("main")).to_contain_text("z***@acme.example")
    assert len(mail.outbox) == 1
    code = re.search(r"\b(\d{6})\b", mail.outbox[0].body).group(1)
    assert code not in phone.content()

    wrong = f"{(int(code) + 1) % 10**6:06d}"
    phone.fill("#id_code", wrong)
    phone.click("#portal-code-form button[type=submit]")
    expect(phone.locator(".invalid-feedback")).to_contain_text("4")
    snap(phone, "2-wrong-code")
    assert fits(phone)

    phone.fill("#id_code", code)
    phone.click("#portal-code-form button[type=submit]")
    expect(phone).to_have_url(re.compile(r"/track/account/$"))
    expect(phone.locator("#portal-account-name")).to_contain_text("Zhao Min")
    expect(phone.locator("html")).to_have_attribute("lang", "en")  # the company's language
    orders = phone.locator("#portal-orders > li")
    expect(orders).to_have_count(3)
    newest = company["orders"][-1]
    expect(orders.first).to_contain_text(newest.number)
    assert company["other"].number not in phone.content()
    snap(phone, "3-my-orders")
    assert fits(phone)

    orders.first.locator("a").click()
    expect(phone).to_have_url(re.compile(rf"/track/{newest.tracking_token}/$"))
    expect(phone.locator("main")).to_contain_text(newest.number)
    phone.go_back()

    phone.get_by_role("button", name=re.compile("Sign out")).click()
    expect(phone).to_have_url(re.compile(r"/track/account/sign-in/$"))
    snap(phone, "4-signed-out")
    phone.goto(f"{live_server.url}/track/account/")
    expect(phone).to_have_url(re.compile(r"/track/account/sign-in/$"))
    assert phone.problems == []

"""The customer portal on a phone (390x844): the lookup form, a wrong check,
the order page with its parcel and tracking events, in Chinese and English,
and the same page with JavaScript off. Nothing is fetched from another site,
the CSP is never violated and nothing is wider than the screen."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS
from tests.portal.seed import (  # noqa: F401  (fixtures)
    SECRETS,
    carrier,
    order_a,
    order_b,
    packed,
    place,
    stock,
    weighed,
    world,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def watch(page, live_server):
    """Requests to other origins and console errors (CSP violations) of `page`."""
    seen = {"foreign": [], "errors": [], "failed": []}
    page.on(
        "response",
        lambda response: seen["failed"].append(response.url) if response.status >= 400 else None,
    )
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((live_server.url, "data:"))
            else seen["foreign"].append(request.url)
        ),
    )
    page.on(
        "console",
        lambda message: seen["errors"].append(message.text) if message.type == "error" else None,
    )
    return seen


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_lookup_then_the_order_page_on_a_phone(page, live_server, shot, order_a, order_b):  # noqa: F811
    page.set_viewport_size(PHONE)
    seen = watch(page, live_server)
    shipment = order_a.seed["shipment"]

    page.goto(f"{live_server.url}/track/")
    expect(page.locator("#lookup-form")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    assert fits_the_screen(page)
    shot("portal-01-lookup")

    # A wrong check: the same answer as an unknown order, nothing of the order.
    page.fill("#id_number", order_a.number)
    page.fill("#id_check", "9999")
    page.locator("#lookup-form button[type=submit]").click()
    expect(page.locator("#lookup-error")).to_be_visible()
    assert order_a.tracking_token not in page.url
    shot("portal-02-lookup-wrong-check")

    # The postcode of the delivery address opens it.
    page.fill("#id_number", order_a.number.lower())
    page.fill("#id_check", "200120")
    page.locator("#lookup-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/track/{re.escape(order_a.tracking_token)}/$"))
    expect(page.locator("#order-number")).to_have_text(order_a.number)
    parcel = page.locator(f"#shipment-{shipment.number}")
    expect(parcel).to_be_visible()
    expect(parcel).to_contain_text("顺丰速运")
    expect(parcel).to_contain_text("SF100A")
    expect(parcel).to_contain_text("快件已到达上海浦东转运中心")
    expect(parcel).to_contain_text("王芳本人")
    expect(parcel.locator(".portal-proof img")).to_be_visible()
    assert parcel.locator(".portal-proof img").evaluate("img => img.naturalWidth") > 0
    expect(page.locator("#requests")).to_contain_text(order_a.seed["rma"].number)
    assert fits_the_screen(page)
    html = page.content()
    for name, secret in SECRETS.items():
        assert secret not in html, name
    shot("portal-03-order-zh-hans")

    # The language switch (JavaScript submits it on change).
    page.select_option("select[name=language]", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#order-status")).to_have_text("Delivered")
    expect(page.locator("#shipments-title")).to_have_text("Parcels")
    expect(parcel.locator("summary")).to_contain_text("Tracking events")
    assert fits_the_screen(page)
    shot("portal-04-order-en")

    assert seen["failed"] == []
    assert seen["foreign"] == []
    assert [e for e in seen["errors"] if "Content Security Policy" in e] == []
    assert seen["errors"] == []


def test_the_order_reads_without_javascript(browser, live_server, order_a):  # noqa: F811
    context = browser.new_context(
        viewport=PHONE, java_script_enabled=False, locale="en-US", timezone_id="Asia/Shanghai"
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/track/{order_a.tracking_token}/")
        expect(page.locator("#order-status")).to_be_visible()
        # The tracking events of the first parcel are open; <details> needs no script.
        events = page.locator(".portal-shipment details").first
        expect(events).to_have_attribute("open", "")
        expect(events.locator("li").first).to_be_visible()
        # The language switch falls back to a button.
        expect(page.locator(".portal-language button[type=submit]")).to_be_visible()
        assert fits_the_screen(page)
        # Its own page, not the `page` fixture's: the `shot` fixture shoots that one.
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "portal-05-order-no-javascript.png"), full_page=True)
    finally:
        context.close()

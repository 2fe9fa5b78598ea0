"""The portal's way in: the secret link and the lookup form. Guessing finds
nothing, a wrong check looks exactly like an unknown order, every lookup is
counted and logged, and one order's link never shows another order."""

import logging
import re
import secrets

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from erp.portal.access import order_for_token, portal_url
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

pytestmark = pytest.mark.django_db

LOOKUP = "/track/"


def page(order) -> str:
    return f"/track/{order.tracking_token}/"


def client_from(ip: str, language: str = "en") -> Client:
    client = Client(REMOTE_ADDR=ip)
    client.cookies["django_language"] = language
    return client


def normalised(html: str, *numbers: str) -> str:
    """The body less what differs by design: CSRF tokens and the number typed."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken"', html)
    html = re.sub(r'"X-CSRFToken": "[^"]+"', '"X-CSRFToken"', html)
    html = re.sub(r'name="next" type="hidden" value="[^"]*"', 'name="next"', html)
    for number in numbers:
        html = html.replace(number, "<NUMBER>")
    return html


# --- The secret link ----------------------------------------------------------


def test_tokens_are_long_random_and_url_safe(order_a, order_b):  # noqa: F811
    # orders.services.intake: secrets.token_urlsafe(32), 256 bits.
    for order in (order_a, order_b):
        assert len(order.tracking_token) >= 43
        assert re.fullmatch(r"[A-Za-z0-9_-]+", order.tracking_token)
    assert order_a.tracking_token != order_b.tracking_token


def test_a_token_shows_its_own_order_and_never_the_other(order_a, order_b):  # noqa: F811
    client = Client()
    a = client.get(page(order_a))
    b = client.get(page(order_b))
    assert a.status_code == b.status_code == 200
    html_a, html_b = a.content.decode(), b.content.decode()
    assert order_a.number in html_a and order_b.number not in html_a
    assert order_b.number in html_b and order_a.number not in html_b
    assert SECRETS["b_tracking"] not in html_a and "SF100A" in html_a
    assert "SF100A" not in html_b


def test_order_for_token(order_a):  # noqa: F811
    assert order_for_token(order_a.tracking_token) == order_a
    assert order_for_token(order_a.tracking_token[:-1] + "x") is None
    assert order_for_token(order_a.number) is None  # malformed: never reaches the database
    assert order_for_token("") is None
    assert order_for_token(order_a.tracking_token + "/") is None


def test_portal_url_is_absolute(order_a, settings):  # noqa: F811
    settings.SITE_URL = "https://shop.example.com/"
    assert portal_url(order_a) == f"https://shop.example.com/track/{order_a.tracking_token}/"


def test_unknown_token_is_the_sites_usual_404(order_a):  # noqa: F811
    client = Client()
    guessed = client.get(f"/track/{secrets.token_urlsafe(32)}/")
    malformed = client.get("/track/not-a-token/")
    no_page = client.get("/no-such-page/at-all/")
    assert guessed.status_code == malformed.status_code == no_page.status_code == 404
    assert (
        normalised(guessed.content.decode())
        == normalised(malformed.content.decode())
        == normalised(no_page.content.decode())
    )
    assert order_a.number not in guessed.content.decode()


@override_settings(PORTAL_TOKEN_MISSES_PER_IP_HOUR=20)
def test_a_thousand_guessed_tokens_find_nothing_and_are_throttled(order_a):  # noqa: F811
    client = client_from("203.0.113.7")
    statuses = []
    for _ in range(1000):
        response = client.get(f"/track/{secrets.token_urlsafe(32)}/")
        statuses.append(response.status_code)
        body = response.content.decode()
        assert order_a.number not in body and "SF100A" not in body
    assert set(statuses) == {404, 429}
    assert statuses[:20] == [404] * 20
    assert statuses[20:] == [429] * 980
    # Once throttled, even the right token gets nothing from that address ...
    blocked = client.get(page(order_a))
    assert blocked.status_code == 429
    assert order_a.number not in blocked.content.decode()
    assert blocked["Retry-After"] == "3600"
    # ... while the customer, elsewhere, is not locked out.
    assert client_from("198.51.100.9").get(page(order_a)).status_code == 200


def test_known_tokens_do_not_count_as_guesses(order_a, settings):  # noqa: F811
    settings.PORTAL_TOKEN_MISSES_PER_IP_HOUR = 3
    client = client_from("203.0.113.8")
    for _ in range(10):
        assert client.get(page(order_a)).status_code == 200


def test_portal_headers(order_a):  # noqa: F811
    for response in (Client().get(page(order_a)), Client().get(LOOKUP)):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        assert response["Referrer-Policy"] == "same-origin"
        policy = dict(
            part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
        )
        assert "'unsafe-inline'" not in policy["script-src"]
        assert "'unsafe-inline'" not in policy["style-src"]
        assert policy["default-src"] == "'self'"


# --- The lookup form -----------------------------------------------------------


def lookup(client, number, check):
    return client.post(LOOKUP, {"number": number, "check": check})


@pytest.mark.parametrize(
    "check",
    [
        "1234",  # the customer's phone
        "7788",  # the delivery address's phone (021-5555-7788)
        "200120",  # the delivery postcode
        "200 120",
    ],
)
def test_lookup_finds_the_order(order_a, check):  # noqa: F811
    response = lookup(Client(), order_a.number, check)
    assert response.status_code == 302
    assert response["Location"] == page(order_a)


def test_lookup_takes_the_number_in_any_case(order_a):  # noqa: F811
    response = lookup(Client(), f"  {order_a.number.lower()} ", "1234")
    assert response["Location"] == page(order_a)


def test_lookup_page_renders_in_both_languages():
    for language, word in (("en", "Track your order"), ("zh-hans", 'lang="zh-hans"')):
        client = Client()
        client.cookies["django_language"] = language
        response = client.get(LOOKUP)
        assert response.status_code == 200
        assert word in response.content.decode()


def test_wrong_check_and_unknown_order_answer_identically(order_a):  # noqa: F811
    unknown_number = "SO-20990101-99999"
    with CaptureQueriesContext(connection) as wrong_queries:
        wrong = lookup(client_from("203.0.113.1"), order_a.number, "9999")
    with CaptureQueriesContext(connection) as unknown_queries:
        unknown = lookup(client_from("203.0.113.2"), unknown_number, "9999")
    assert wrong.status_code == unknown.status_code == 200
    assert normalised(wrong.content.decode(), order_a.number) == normalised(
        unknown.content.decode(), unknown_number
    )
    assert "We could not find an order" in wrong.content.decode()
    # The same work in both branches: the same queries.
    assert len(wrong_queries) == len(unknown_queries)
    # The other customer's check does not open this order either.
    assert lookup(Client(), order_a.number, SECRETS["b_phone"][-4:]).status_code == 200


def test_lookup_of_another_customers_order_with_my_digits(order_a, order_b):  # noqa: F811
    response = lookup(Client(), order_b.number, "1234")
    assert response.status_code == 200
    assert "Location" not in response
    assert SECRETS["b_name"] not in response.content.decode()


@override_settings(PORTAL_LOOKUPS_PER_IP_HOUR=30)
def test_a_thousand_guessed_numbers_find_nothing_and_are_throttled(order_a):  # noqa: F811
    client = client_from("203.0.113.20")
    statuses = []
    for n in range(1000):
        response = lookup(client, f"SO-20260101-{n:05d}", f"{n % 10000:04d}")
        statuses.append(response.status_code)
        assert "Location" not in response
        assert order_a.tracking_token not in response.content.decode()
    assert statuses[:30] == [200] * 30
    assert statuses[30:] == [429] * 970
    # Throttled, even the right details give nothing from that address.
    blocked = lookup(client, order_a.number, "1234")
    assert blocked.status_code == 429 and "Location" not in blocked


def test_an_order_number_is_throttled_across_addresses(order_a, settings):  # noqa: F811
    settings.PORTAL_LOOKUPS_PER_ORDER_HOUR = 10
    settings.PORTAL_LOOKUPS_PER_IP_HOUR = 1000
    for attempt in range(10):
        response = lookup(client_from(f"203.0.113.{attempt + 30}"), order_a.number, "0000")
        assert response.status_code == 200
    # The 11th try, from yet another address and with the right digits: refused.
    response = lookup(client_from("192.0.2.99"), order_a.number, "1234")
    assert response.status_code == 429
    assert "Location" not in response
    # The throttled answer is the same for an unknown number past its limit.
    for attempt in range(11):
        unknown = lookup(client_from(f"192.0.2.{attempt + 1}"), "SO-20990101-00001", "0000")
    assert unknown.status_code == 429
    assert normalised(unknown.content.decode(), "SO-20990101-00001") == normalised(
        response.content.decode(), order_a.number
    )


def test_an_order_number_has_a_daily_limit_too(order_a, settings):  # noqa: F811
    settings.PORTAL_LOOKUPS_PER_ORDER_HOUR = 1000
    settings.PORTAL_LOOKUPS_PER_ORDER_DAY = 5
    for attempt in range(5):
        lookup(client_from(f"203.0.113.{attempt + 100}"), order_a.number, "0000")
    assert lookup(client_from("192.0.2.200"), order_a.number, "1234").status_code == 429


def test_bad_input_is_a_form_error_not_a_lookup(order_a, caplog):  # noqa: F811
    with caplog.at_level(logging.INFO, logger="erp.security"):
        response = lookup(Client(), "", "12")
    assert response.status_code == 200
    assert "portal_lookup" not in caplog.text


def test_every_lookup_is_logged_without_the_check(order_a, caplog):  # noqa: F811
    client = client_from("203.0.113.55")
    with caplog.at_level(logging.INFO, logger="erp.security"):
        lookup(client, order_a.number, "1234")
        lookup(client, order_a.number, "5678")
        lookup(client, "SO-20990101-00042", "4321")
    records = [r.getMessage() for r in caplog.records if "portal_lookup" in r.getMessage()]
    assert len(records) == 3
    assert all("ip=203.0.113.55" in r for r in records)
    assert f"order='{order_a.number}' outcome=found" in records[0]
    assert "outcome=wrong_check" in records[1]
    assert "order='SO-20990101-00042' outcome=no_order" in records[2]
    for digits in ("1234", "5678", "4321"):
        assert all(f"={digits}" not in r and f" {digits}" not in r for r in records)


def test_unknown_tokens_are_logged_without_the_token(caplog):
    token = secrets.token_urlsafe(32)
    with caplog.at_level(logging.INFO, logger="erp.security"):
        Client().get(f"/track/{token}/")
    ours = [r.getMessage() for r in caplog.records if r.name == "erp.security"]
    assert any("portal_token unknown" in message for message in ours)
    assert not any(token in message for message in ours)

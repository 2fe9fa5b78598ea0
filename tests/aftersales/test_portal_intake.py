"""A customer opens a ticket from the portal with the order's secret link
and the last four digits of their phone; nobody else can."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from aftersales.models import Ticket

pytestmark = pytest.mark.django_db


def url(order):
    return f"/aftersales/help/{order.tracking_token}/"


def test_the_customer_files_a_complaint_with_a_photo(service_desk, delivered):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")  # not signed in
    page = client.get(url(delivered))
    assert page.status_code == 200
    html = page.content.decode()
    assert delivered.number in html and "王芳" not in html  # nothing personal on the page
    photo = SimpleUploadedFile("box.jpg", b"\xff\xd8\xffbox", content_type="image/jpeg")
    response = client.post(
        url(delivered),
        {
            "phone_tail": "0001",
            "kind": "complaint",
            "subject": "外箱破损",
            "message": "茶叶罐凹了",
            "attachments": [photo],
        },
    )
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.number in response.content.decode()
    assert ticket.channel == "portal" and ticket.order == delivered
    assert ticket.customer == delivered.customer and ticket.assignee is not None
    assert ticket.messages.get().attachments.get().name == "box.jpg"


def test_wrong_digits_unknown_link_and_too_many_tries(service_desk, delivered):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    wrong = client.post(
        url(delivered),
        {"phone_tail": "9999", "kind": "inquiry", "subject": "x", "message": "y"},
    )
    assert wrong.status_code == 200 and "do not match" in wrong.content.decode()
    assert client.get("/aftersales/help/not-a-token/").status_code == 404
    for _ in range(10):
        client.post(
            url(delivered),
            {"phone_tail": "9999", "kind": "inquiry", "subject": "x", "message": "y"},
        )
    blocked = client.post(
        url(delivered),
        {"phone_tail": "0001", "kind": "inquiry", "subject": "x", "message": "y"},
    )
    assert "Too many attempts" in blocked.content.decode()
    assert not Ticket.objects.exists()

"""History keeps who changed what; the error pages are friendly."""

import pytest
from django.test import Client, override_settings
from django.urls import path

from crm.models import Customer


@pytest.mark.django_db
def test_staff_changes_are_kept_with_the_acting_user(make_user):
    clerk = make_user("order_clerk", username="lina")
    client = Client()
    client.force_login(clerk)
    response = client.post(
        "/crm/customers/new/",
        {"name": "孙丽", "kind": "person", "phone": "13611112222", "tier": "silver"},
    )
    assert response.status_code == 302
    record = Customer.objects.get(name="孙丽").history.earliest()
    assert record.history_type == "+"
    assert record.history_user == clerk


@pytest.mark.django_db
def test_missing_page_is_friendly(role_client):
    response = role_client("order_clerk").get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "页面不存在" in body
    assert 'href="/"' in body


def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", _boom), path("api/v1/boom/", _boom)]
handler500 = "erp.core.views.server_error"


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_server_error_page_is_friendly_and_api_gets_json():
    client = Client(raise_request_exception=False)
    page = client.get("/boom/")
    assert page.status_code == 500
    assert "系统出现问题" in page.content.decode()
    api = client.get("/api/v1/boom/")
    assert api.status_code == 500
    assert api.json()["error"]["code"] == "server_error"

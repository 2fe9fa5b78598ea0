"""Integrators: client credentials at /o/token/, refused outside their scopes."""

import json

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from crm.models import Customer
from erp.core.models import AuditEvent
from tests.conftest import fetch_token


@pytest.mark.django_db
def test_create_integration_prints_credentials_that_get_a_token(capsys):
    call_command("create_integration", "Tmall connector", "--scopes", "orders:write inventory:read")
    printed = json.loads(capsys.readouterr().out)
    assert printed["name"] == "Tmall connector"
    assert printed["scopes"] == ["inventory:read", "orders:write"]
    assert len(printed["client_secret"]) >= 40

    response = fetch_token(printed["client_id"], printed["client_secret"])
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert set(body["scope"].split()) == {"orders:write", "inventory:read"}
    assert AuditEvent.objects.filter(kind="token_issued", client_id=printed["client_id"]).exists()


@pytest.mark.django_db
def test_wrong_secret_gets_no_token(capsys):
    call_command("create_integration", "JD connector", "--scopes", "orders:read")
    printed = json.loads(capsys.readouterr().out)
    response = fetch_token(printed["client_id"], "not-the-secret")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["X", "--scopes", "orders:delete"], "unknown orders:delete"),
        (["X", "--scopes", ""], "at least one scope"),
        (["  ", "--scopes", "crm:read"], "name: must not be empty"),
    ],
)
def test_create_integration_refuses_bad_input(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_integration", *args)


@pytest.mark.django_db
def test_token_cannot_be_widened_beyond_the_clients_scopes(capsys):
    call_command("create_integration", "BI tool", "--scopes", "analytics:read")
    printed = json.loads(capsys.readouterr().out)
    response = fetch_token(printed["client_id"], printed["client_secret"], scope="crm:write")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


@pytest.mark.django_db
def test_in_scope_is_served_and_out_of_scope_is_403(integration):
    api = integration("crm:read")
    assert api.get("/api/v1/customers/").status_code == 200

    for response in (api.get("/api/v1/products/"), api.post("/api/v1/customers/", {"name": "x"})):
        assert response.status_code == 403
        error = response.json()["error"]
        assert error["code"] == "permission_denied"
        assert "缺少权限范围" in error["message"]
    assert AuditEvent.objects.filter(
        kind="denied", client_id=api.integration["client_id"], path="/api/v1/products/"
    ).exists()


@pytest.mark.django_db
def test_anonymous_and_bad_tokens_are_401():
    anonymous = APIClient().get("/api/v1/customers/")
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"].startswith("Bearer")
    assert anonymous.json()["error"]["code"] == "not_authenticated"

    forged = APIClient()
    forged.credentials(HTTP_AUTHORIZATION="Bearer forged-token")
    assert forged.get("/api/v1/customers/").status_code == 401


@pytest.mark.django_db
def test_integration_changes_are_attributed_in_history(integration):
    api = integration("crm:write", name="WeChat mini program")
    response = api.post(
        "/api/v1/customers/", {"name": "周杰", "phone": "13912345678"}, format="json"
    )
    assert response.status_code == 201
    customer = Customer.objects.get(code=response.json()["code"])
    record = customer.history.earliest()
    assert record.history_type == "+"
    assert record.history_user.first_name == "WeChat mini program"


@pytest.mark.django_db
def test_scope_message_follows_the_callers_language(integration):
    api = integration("crm:read")
    response = api.get("/api/v1/products/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["error"]["message"] == (
        "This client's token lacks the scope inventory:read."
    )


@pytest.mark.django_db
def test_write_scope_does_not_imply_read(integration):
    api = integration("crm:write")
    assert api.get("/api/v1/customers/").status_code == 403

import base64
import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from erp.core.services import integration_create
from tests.factories import UserFactory

ROLES = [
    "admin",
    "order_clerk",
    "warehouse",
    "warehouse_manager",
    "dispatcher",
    "aftersales_agent",
    "account_manager",
    "analyst",
]

IS_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://...")
    for item in items:
        if "postgres" in item.keywords and not IS_POSTGRES:
            item.add_marker(skip_pg)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttle counters and health probes live in the cache (Redis in CI).
    cache.clear()
    yield


@pytest.fixture
def make_user(db):
    def make(*roles, **kwargs):
        return UserFactory(roles=list(roles), **kwargs)

    return make


@pytest.fixture
def role_client(make_user):
    """A browser client signed in as a fresh user holding `role`."""

    def make(role):
        client = Client()
        client.force_login(make_user(role))
        return client

    return make


@pytest.fixture
def staff_api(make_user):
    """An API client signed in by session as a user holding `role`."""

    def make(role):
        client = APIClient()
        client.force_login(make_user(role))
        return client

    return make


def fetch_token(client_id: str, secret: str, scope: str | None = None):
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    return Client().post("/o/token/", data, HTTP_AUTHORIZATION=f"Basic {basic}")


@pytest.fixture
def integration(db):
    """An API client holding a real OAuth2 token of a new integration with `scopes`."""

    def make(scopes: str, name: str | None = None):
        created = integration_create(
            name=name or f"integration {scopes} {os.urandom(3).hex()}", scopes=scopes.split()
        )
        response = fetch_token(created["client_id"], created["client_secret"])
        assert response.status_code == 200, response.content
        client = APIClient()
        token = response.json()["access_token"]
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        client.integration = created
        client.credentials_token = token
        return client

    return make

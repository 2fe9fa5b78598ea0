"""Each role reaches the pages of its work and is refused the others; every
refusal is recorded."""

import pytest

from erp.core.models import AuditEvent
from tests.conftest import ROLES

# page -> roles that may open it. Written out by hand (not derived from
# ROLE_PERMISSIONS) so a wrong permission table fails here.
PAGE_ACCESS = {
    "/orders/channels/": set(ROLES),
    "/inventory/products/": {"admin", "order_clerk", "warehouse", "aftersales_agent", "analyst"},
    "/inventory/warehouses/": {"admin", "order_clerk", "warehouse", "dispatcher", "analyst"},
    "/logistics/carriers/": {
        "admin",
        "order_clerk",
        "warehouse",
        "dispatcher",
        "aftersales_agent",
        "analyst",
    },
    "/aftersales/teams/": {"admin", "aftersales_agent", "account_manager", "analyst"},
    "/crm/customers/": {
        "admin",
        "order_clerk",
        "dispatcher",
        "aftersales_agent",
        "account_manager",
        "analyst",
    },
    "/crm/customers/new/": {"admin", "order_clerk", "account_manager"},
    "/analytics/targets/": {"admin", "analyst"},
    "/audit/": {"admin"},
}

# Warehouse managers open every page warehouse staff open.
for _allowed in PAGE_ACCESS.values():
    if "warehouse" in _allowed:
        _allowed.add("warehouse_manager")

CASES = [(url, role, role in allowed) for url, allowed in PAGE_ACCESS.items() for role in ROLES]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "role", "allowed"), CASES)
def test_role_reaches_its_pages_and_is_denied_the_others(role_client, url, role, allowed):
    response = role_client(role).get(url)
    if allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert "无权访问" in response.content.decode()  # the friendly 403 page
        assert AuditEvent.objects.filter(kind="denied", path=url).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", [*PAGE_ACCESS, "/"])
def test_anonymous_is_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.django_db
def test_user_without_role_sees_no_sections(make_user, client):
    client.force_login(make_user())
    body = client.get("/").content.decode()
    assert "您尚未分配角色" in body
    assert client.get("/crm/customers/").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (
            "order_clerk",
            ["/orders/channels/", "/crm/customers/"],
            ["/audit/", "/analytics/targets/"],
        ),
        ("warehouse", ["/inventory/products/", "/inventory/warehouses/"], ["/crm/customers/"]),
        ("analyst", ["/analytics/targets/", "/crm/customers/"], ["/audit/"]),
        ("admin", ["/audit/", "/analytics/targets/", "/admin/"], []),
    ],
)
def test_navigation_shows_only_the_roles_sections(role_client, role, shown, hidden):
    body = role_client(role).get("/").content.decode()
    for url in shown:
        assert f'href="{url}"' in body
    for url in hidden:
        assert f'href="{url}"' not in body


@pytest.mark.django_db
def test_back_office_is_for_admins_only(role_client):
    assert role_client("admin").get("/admin/").status_code == 200
    response = role_client("analyst").get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "method", "url", "expected"),
    [
        ("order_clerk", "get", "/api/v1/customers/", 200),
        ("warehouse", "get", "/api/v1/customers/", 403),
        ("order_clerk", "post", "/api/v1/products/", 403),
        ("warehouse", "post", "/api/v1/products/", 201),
        ("account_manager", "get", "/api/v1/warehouses/", 403),
        ("dispatcher", "get", "/api/v1/carriers/", 200),
        ("order_clerk", "get", "/api/v1/analytics/targets/", 403),
        ("analyst", "get", "/api/v1/analytics/targets/", 200),
    ],
)
def test_api_with_browser_session_follows_the_role(staff_api, role, method, url, expected):
    client = staff_api(role)
    if method == "post":
        response = client.post(url, {"sku": "NEW-1", "name": "新商品"}, format="json")
    else:
        response = client.get(url)
    assert response.status_code == expected, response.content
    if expected == 403:
        assert response.json()["error"]["code"] == "permission_denied"
        assert AuditEvent.objects.filter(kind="denied", path=url).exists()

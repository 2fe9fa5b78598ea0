"""Staff sign-in: success, failure, lockout after repeated failures, sign-out;
each recorded in the audit log."""

import pytest
from django.conf import settings

from erp.core.models import AuditEvent


def login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


@pytest.mark.django_db
def test_sign_in_and_out_are_recorded(make_user, client):
    make_user("order_clerk", username="lina")
    response = login(client, "lina", "s3cret-pass")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # signed out
    kinds = list(AuditEvent.objects.filter(username="lina").values_list("kind", flat=True))
    assert sorted(kinds) == ["login", "logout"]


@pytest.mark.django_db
def test_wrong_password_shows_an_error(make_user, client):
    make_user("order_clerk", username="lina")
    response = login(client, "lina", "wrong")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()
    assert AuditEvent.objects.filter(kind="login_failed", username="lina").count() == 1


@pytest.mark.django_db
def test_lockout_after_repeated_failures(make_user, client):
    make_user("order_clerk", username="lina")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "lina", "wrong").status_code == 200
    # The failure that reaches the limit locks the account ...
    response = login(client, "lina", "wrong")
    assert response.status_code == 429
    # ... and now even the right password is refused.
    response = login(client, "lina", "s3cret-pass")
    assert response.status_code == 429
    assert "账户已锁定" in response.content.decode()
    assert client.get("/").status_code == 302  # not signed in
    assert AuditEvent.objects.filter(kind="locked_out", username="lina").exists()
    assert AuditEvent.objects.filter(kind="login_failed", username="lina").count() >= 5


@pytest.mark.django_db
def test_lockout_is_per_user_not_per_office(make_user, client):
    make_user("order_clerk", username="lina")
    make_user("warehouse", username="wangqiang")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "lina", "wrong")
    assert login(client, "wangqiang", "s3cret-pass").status_code == 302


@pytest.mark.django_db
def test_admin_sees_the_audit_log(make_user, role_client, client):
    make_user("order_clerk", username="lina")
    login(client, "lina", "wrong")
    body = role_client("admin").get("/audit/?kind=login_failed").content.decode()
    assert "lina" in body
    assert "登录失败" in body

"""Writes of the shared kernel: audit events and integration clients."""

import json
import logging
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction

from erp.core.models import AuditEvent, IntegrationClient

security_log = logging.getLogger("erp.security")


class IntegrationError(ValueError):
    """An integration client cannot be created as asked."""


def client_ip(request) -> str | None:
    """The caller's address. Behind PROXY_COUNT trusted proxies it is the
    address that many hops from the right of X-Forwarded-For; otherwise the
    socket's address (a client-supplied header is never trusted)."""
    if request is None:
        return None
    from django.conf import settings

    meta = getattr(request, "META", {})
    hops = settings.PROXY_COUNT
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if hops and forwarded:
        addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
        if addresses:
            return addresses[-min(hops, len(addresses))]
    return meta.get("REMOTE_ADDR") or None


def request_client_id(request) -> str:
    """The OAuth2 client id behind a request authenticated by a token, else ''."""
    token = getattr(request, "auth", None)
    application = getattr(token, "application", None)
    return application.client_id if application is not None else ""


def audit_event_record(
    *,
    kind: str,
    request=None,
    user=None,
    username: str = "",
    client_id: str = "",
    detail: str = "",
) -> AuditEvent:
    """Record one security event, and log it on the `erp.security` logger."""
    if user is None and request is not None:
        candidate = getattr(request, "user", None)
        if candidate is not None and candidate.is_authenticated:
            user = candidate
    if user is not None and not username:
        username = user.get_username()
    event = AuditEvent.objects.create(
        kind=kind,
        user=user,
        username=username[:150],
        client_id=client_id or (request_client_id(request) if request is not None else ""),
        ip_address=client_ip(request),
        # force_login and signals may pass a bare HttpRequest with no method or path.
        method=(getattr(request, "method", None) or "")[:10],
        path=(request.get_full_path() if getattr(request, "path", "") else "")[:500],
        detail=str(detail)[:500],
    )
    security_log.info(
        "%s user=%s client=%s ip=%s %s %s %s",
        kind,
        username or "-",
        event.client_id or "-",
        event.ip_address or "-",
        event.method,
        event.path,
        event.detail,
    )
    return event


@transaction.atomic
def integration_create(*, name: str, scopes: list[str]) -> dict:
    """Create an OAuth2 client-credentials application limited to `scopes`.

    Returns the client id and the plain secret; the secret is stored hashed
    and cannot be shown again.
    """
    from django.conf import settings
    from oauth2_provider.models import Application

    name = name.strip()
    if not name:
        raise IntegrationError("name: must not be empty")
    known = settings.OAUTH2_PROVIDER["SCOPES"]
    unknown = sorted(set(scopes) - set(known))
    if unknown:
        raise IntegrationError(
            f"scopes: unknown {', '.join(unknown)}; choose from {', '.join(sorted(known))}"
        )
    if not scopes:
        raise IntegrationError("scopes: give at least one scope")
    if Application.objects.filter(name=name).exists():
        raise IntegrationError(f"name: an integration called {name!r} exists already")

    # A service user carries the integration's name into the history of
    # everything it changes.
    User = get_user_model()
    user = User.objects.create(
        username=f"integration-{secrets.token_hex(4)}",
        first_name=name[:150],
        is_active=True,
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])

    secret = secrets.token_urlsafe(48)
    application = Application.objects.create(
        name=name,
        user=user,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
    )
    IntegrationClient.objects.create(application=application, scopes=" ".join(sorted(set(scopes))))
    return {
        "name": name,
        "client_id": application.client_id,
        "client_secret": secret,
        "scopes": sorted(set(scopes)),
        "token_url": "/o/token/",
    }


def json_dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


@transaction.atomic
def staff_user_create(
    *,
    username: str,
    password: str,
    roles: list[str],
    first_name: str = "",
    last_name: str = "",
    email: str = "",
):
    """Create a staff user holding the given roles (admin also opens the back office)."""
    from django.contrib.auth.models import Group

    from erp.core.roles import Role

    unknown = set(roles) - set(Role.values)
    if unknown:
        raise IntegrationError(f"roles: unknown {', '.join(sorted(unknown))}")
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise IntegrationError(f"username: {username!r} exists already")
    user = User.objects.create(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_staff=Role.ADMIN in roles,
    )
    user.set_password(password)
    user.save(update_fields=["password"])
    user.groups.set(Group.objects.filter(name__in=roles))
    return user


def acting_person(actor):
    """The user to record as having done something: a signed-in user, or
    None for the system and anonymous callers."""
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None

"""Audit of authentication: every login, logout, failure and lockout."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from oauth2_provider.signals import app_authorized

from erp.core.models import AuditEvent
from erp.core.services import audit_event_record


@receiver(user_logged_in, dispatch_uid="core.audit_login")
def _logged_in(sender, request, user, **kwargs):
    audit_event_record(kind=AuditEvent.Kind.LOGIN, request=request, user=user)


@receiver(user_logged_out, dispatch_uid="core.audit_logout")
def _logged_out(sender, request, user, **kwargs):
    audit_event_record(kind=AuditEvent.Kind.LOGOUT, request=request, user=user)


@receiver(user_login_failed, dispatch_uid="core.audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    audit_event_record(
        kind=AuditEvent.Kind.LOGIN_FAILED,
        request=request,
        username=str(credentials.get("username", "")),
    )


@receiver(user_locked_out, dispatch_uid="core.audit_locked_out")
def _locked_out(sender, request, username, ip_address, **kwargs):
    audit_event_record(
        kind=AuditEvent.Kind.LOCKED_OUT,
        request=request,
        username=username or "",
        detail=f"ip={ip_address}",
    )


@receiver(app_authorized, dispatch_uid="core.audit_token_issued")
def _token_issued(sender, request, token, **kwargs):
    audit_event_record(
        kind=AuditEvent.Kind.TOKEN_ISSUED,
        request=request,
        user=token.application.user,
        username=token.application.name,
        client_id=token.application.client_id,
        detail=f"scope={token.scope}",
    )

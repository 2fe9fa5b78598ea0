"""One error format for every 4xx the API gives:

    {"error": {"code": "invalid", "message": "...", "fields": {"lines[0].sku": ["..."]}}}

`code` is stable for machines, `message` is for people (in the request's
language), `fields` names each offending input with its reasons.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from erp.core.errors import DomainError
from erp.core.models import AuditEvent
from erp.core.services import audit_event_record


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into {"a.b[0].c": ["message", ...]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int):  # a list serializer's errors, by index
                name = f"{prefix}[{key}]"
            elif key == "non_field_errors" and prefix:  # about the nested object itself
                name = prefix
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            out.update(flatten_errors(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:  # skip list entries that had no error
                    out.update(flatten_errors(item, f"{prefix}[{index}]"))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def _validation_message(fields: dict[str, list[str]]) -> str:
    if not fields:
        return _("Invalid input.")
    name, reasons = next(iter(fields.items()))
    if name == "non_field_errors":
        return reasons[0]
    return _("Invalid input: %(field)s: %(reason)s") % {"field": name, "reason": reasons[0]}


def exception_handler(exc, context):
    request = context.get("request")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, DomainError):
        set_rollback()
        fields = {exc.field: [exc.message]} if exc.field else {}
        return Response(error_body(exc.code, exc.message, fields), status=exc.status_code)

    if not isinstance(exc, exceptions.APIException):
        return None  # a real 500: Django's handler and logging take it

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_errors(exc.detail)
        body = error_body("invalid", _validation_message(fields), fields)
    else:
        code = exc.get_codes() if isinstance(exc.detail, str) else exc.default_code
        body = error_body(str(code), str(exc.detail))

    if request is not None and exc.status_code in (status.HTTP_401_UNAUTHORIZED, 403):
        kind = (
            AuditEvent.Kind.UNAUTHENTICATED
            if exc.status_code == status.HTTP_401_UNAUTHORIZED
            else AuditEvent.Kind.DENIED
        )
        audit_event_record(kind=kind, request=request, detail=str(exc.detail))

    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)

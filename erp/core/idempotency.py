"""`Idempotency-Key` for POST requests (IETF httpapi idempotency-key draft).

- The first request with a key claims it (a unique row, committed at once) and
  its response is stored when it finishes.
- The same key with the same body replays that response
  (header `Idempotent-Replayed: true`).
- The same key with a different body is refused with 422.
- The same key while the first request is still running is refused with 409.
- Keys are scoped per client (OAuth2 application, or staff user) and kept for
  IDEMPOTENCY_KEY_TTL (24 hours); a 5xx frees the key so the client may retry,
  and a key still "in flight" after IDEMPOTENCY_IN_FLIGHT_TIMEOUT (its process
  died) is taken over by the next retry.
"""

import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http.request import RawPostDataException
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.models import AbstractAccessToken
from rest_framework.renderers import JSONRenderer

from erp.core.errors import DomainError
from erp.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class IdempotencyKeyInvalid(DomainError):
    status_code = 400
    code = "invalid"


class IdempotencyKeyReused(DomainError):
    status_code = 422
    code = "idempotency_key_reused"


class IdempotencyKeyInFlight(DomainError):
    status_code = 409
    code = "idempotency_key_in_flight"


@dataclass
class Replay:
    status_code: int
    body: object
    headers: dict


def request_scope(request) -> str:
    token = getattr(request, "auth", None)
    if isinstance(token, AbstractAccessToken) and token.application_id:
        return f"client:{token.application_id}"
    return f"user:{request.user.pk}"


def _form_payload(django_request) -> bytes:
    """A multipart body already parsed into fields and files: its fields and
    each file's name, size and SHA-256, in a fixed order."""
    post = django_request.POST
    fields = sorted((key, value) for key in post for value in post.getlist(key))
    files = []
    for name in sorted(django_request.FILES):
        for upload in django_request.FILES.getlist(name):
            digest = hashlib.sha256()
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
            files.append((name, upload.name, upload.size, digest.hexdigest()))
    return json.dumps({"fields": fields, "files": files}, sort_keys=True).encode()


def request_fingerprint(request) -> str:
    django_request = getattr(request, "_request", request)
    try:
        raw = django_request.body
    except RawPostDataException:
        # A multipart body is streamed, not kept: once parsed (the OAuth2
        # check reads the form) only its fields and files are left.
        raw = None
    if raw is None:
        payload = _form_payload(django_request)
    else:
        try:
            canonical = json.dumps(
                json.loads(raw or b"null"), sort_keys=True, separators=(",", ":")
            )
            payload = canonical.encode()
        except (ValueError, UnicodeDecodeError):
            payload = raw
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\n")
    digest.update(request.path.encode())
    digest.update(b"\n")
    digest.update(payload)
    return digest.hexdigest()


def idempotency_claim(*, scope: str, key: str, fingerprint: str) -> IdempotencyKey | Replay:
    """Claim `key` for a new request, or return the stored response to replay."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii():
        raise IdempotencyKeyInvalid(
            _("The Idempotency-Key header must be 1 to 255 ASCII characters."), field=HEADER
        )
    now = timezone.now()
    IdempotencyKey.objects.filter(scope=scope, key=key, expires_at__lte=now).delete()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    scope=scope,
                    key=key,
                    fingerprint=fingerprint,
                    expires_at=now + settings.IDEMPOTENCY_KEY_TTL,
                )
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(scope=scope, key=key).first()
            if existing is None:
                continue  # the first request failed and freed the key meanwhile
            if existing.fingerprint != fingerprint:
                raise IdempotencyKeyReused(
                    _("This Idempotency-Key was used with a different request body."),
                    field=HEADER,
                ) from None
            if existing.state == IdempotencyKey.State.IN_FLIGHT:
                # A first request whose process died never finishes; after the
                # longest a request may run, a retry takes its key over.
                stale_before = timezone.now() - settings.IDEMPOTENCY_IN_FLIGHT_TIMEOUT
                taken_over, _kinds = IdempotencyKey.objects.filter(
                    pk=existing.pk,
                    state=IdempotencyKey.State.IN_FLIGHT,
                    created_at__lt=stale_before,
                ).delete()
                if taken_over:
                    continue
                raise IdempotencyKeyInFlight(
                    _("A request with this Idempotency-Key is still being processed; retry later."),
                    field=HEADER,
                ) from None
            return Replay(existing.status_code, existing.response_body, existing.response_headers)
    raise IdempotencyKeyInFlight(
        _("A request with this Idempotency-Key is still being processed; retry later."),
        field=HEADER,
    )


NOT_KEPT = "(not kept: shown only in the first answer)"


def idempotency_complete(*, claim: IdempotencyKey, response, redact=()) -> None:
    """Store the response of a claimed request; a server error frees the key.
    Top-level fields named in `redact` (secrets) are not stored: a replay
    answers them with NOT_KEPT."""
    if (
        response.status_code >= 500
        or not hasattr(response, "data")
        or _error_code(response.data) in RETRYABLE_CODES
    ):
        # A server error or a busy lock may succeed on retry; a non-DRF response
        # (a file, a redirect) cannot be replayed faithfully: free the key.
        idempotency_release(claim=claim)
        return
    data = response.data
    body = json.loads(JSONRenderer().render(data)) if data is not None else None
    if isinstance(body, dict):
        body = {k: (NOT_KEPT if k in redact and v else v) for k, v in body.items()}
    headers = {name: response[name] for name in ("Location",) if response.has_header(name)}
    claim.state = IdempotencyKey.State.COMPLETED
    claim.status_code = response.status_code
    claim.response_body = body
    claim.response_headers = headers
    claim.save(update_fields=["state", "status_code", "response_body", "response_headers"])


RETRYABLE_CODES = {"lock_timeout"}


def _error_code(data) -> str | None:
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return data["error"].get("code")
    return None


def idempotency_release(*, claim: IdempotencyKey) -> None:
    IdempotencyKey.objects.filter(pk=claim.pk).delete()


def idempotency_keys_purge(*, now=None) -> int:
    """Forget keys older than their time to live. Safe to run twice."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted

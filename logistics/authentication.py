"""Tracking devices authenticate with their own token:

    Authorization: Device <token>

The token is compared by its SHA-256 digest (we never store it). A device
has no user: the request's user is anonymous and `request.auth` is the
TrackingDevice. A wrong token or an inactive device is answered 401, which
the API's error handler writes to the audit log like every other 401.

Authentication runs before any throttle, so wrong tokens are counted here,
per client address: after DEVICE_AUTH_FAILURES of them within
DEVICE_AUTH_WINDOW seconds the address is answered 429 - with any token -
until the window is over, so guessing tokens does not pay.
"""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.permissions import BasePermission
from rest_framework.throttling import SimpleRateThrottle

from erp.core.services import client_ip
from logistics.models import TrackingDevice, device_token_digest

KEYWORD = "Device"
# Wrong device tokens allowed per client address within the window (seconds);
# settings TRACKING_DEVICE_AUTH_FAILURES and TRACKING_DEVICE_AUTH_WINDOW, if
# present, override them.
DEVICE_AUTH_FAILURES = 30
DEVICE_AUTH_WINDOW = 600


def _limits() -> tuple[int, int]:
    return (
        getattr(settings, "TRACKING_DEVICE_AUTH_FAILURES", DEVICE_AUTH_FAILURES),
        getattr(settings, "TRACKING_DEVICE_AUTH_WINDOW", DEVICE_AUTH_WINDOW),
    )


def _failures_key(request) -> str:
    return f"device-auth-failures:{client_ip(request) or 'unknown'}"


def _failures_check(request) -> None:
    """429 while this address has used up its wrong tokens."""
    limit, window = _limits()
    if cache.get(_failures_key(request), 0) >= limit:
        raise exceptions.Throttled(
            wait=window,
            detail=_("Too many wrong device tokens from this address; try again later."),
        )


def _failure_count(request) -> None:
    key, (_limit, window) = _failures_key(request), _limits()
    # add() starts the window only once; incr() is atomic in Redis and locmem.
    cache.add(key, 0, timeout=window)
    try:
        cache.incr(key)
    except ValueError:  # the window ended between add() and incr()
        cache.add(key, 1, timeout=window)


class DeviceTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        # Before the token is looked at: a right guess must not get through
        # either, or the 429 would tell nothing.
        _failures_check(request)
        if len(parts) != 2:
            _failure_count(request)
            raise exceptions.AuthenticationFailed(
                _("Send the device token as: Authorization: Device <token>.")
            )
        try:
            token = parts[1].decode()
        except UnicodeError:
            _failure_count(request)
            raise exceptions.AuthenticationFailed(_("The device token is not valid.")) from None
        device = (
            TrackingDevice.objects.filter(token_digest=device_token_digest(token))
            .select_related("shipment")
            .first()
        )
        if device is None:
            _failure_count(request)
            raise exceptions.AuthenticationFailed(_("The device token is not valid."))
        if not device.active:
            raise exceptions.AuthenticationFailed(
                _("Device %(id)s is switched off in the system.") % {"id": device.device_id}
            )
        return AnonymousUser(), device

    def authenticate_header(self, request):
        return f'{KEYWORD} realm="api"'


class IsDevice(BasePermission):
    """The request carries a valid device token."""

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, TrackingDevice)


class DeviceRateThrottle(SimpleRateThrottle):
    """One budget per device (TRACKING_DEVICE_THROTTLE); calls without a
    device are counted per address."""

    scope = "device"

    def get_rate(self):
        from django.conf import settings

        return settings.TRACKING_DEVICE_THROTTLE

    def get_cache_key(self, request, view):
        if isinstance(request.auth, TrackingDevice):
            ident = f"device-{request.auth.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "logistics.authentication.DeviceTokenAuthentication"
    name = "deviceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Device <token>`: the token shown once when the device was "
            "registered (POST /api/v1/tracking-devices/).",
        }

from oauth2_provider.models import AbstractAccessToken
from rest_framework.throttling import SimpleRateThrottle


class ClientRateThrottle(SimpleRateThrottle):
    """One budget per integration client (token's application) or per staff user."""

    scope = "client"

    def get_cache_key(self, request, view):
        token = request.auth
        if isinstance(token, AbstractAccessToken) and token.application_id:
            ident = f"app-{token.application_id}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None  # anonymous calls are AnonRateThrottle's business
        return self.cache_format % {"scope": self.scope, "ident": ident}

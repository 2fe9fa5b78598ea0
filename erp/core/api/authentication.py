"""OAuth2 bearer authentication for integrators."""

from oauth2_provider.contrib.rest_framework import OAuth2Authentication


class IntegrationAuthentication(OAuth2Authentication):
    """A client-credentials token has no user of its own; the request then
    acts as the integration's service user so that permissions, throttles and
    history all see who did it."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        if user is None and token.application is not None:
            user = token.application.user
        if user is None or not user.is_active:
            return None
        return user, token

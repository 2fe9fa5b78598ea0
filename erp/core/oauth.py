"""OAuth2 scopes: a client is granted only the scopes it was created with."""

from oauth2_provider.scopes import SettingsScopes


class IntegrationScopes(SettingsScopes):
    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        allowed = self._allowed(application)
        return [s for s in super().get_available_scopes(application, request) if s in allowed]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        # A token request without a scope gets everything the client may have.
        return self.get_available_scopes(application, request)

    @staticmethod
    def _allowed(application) -> set[str]:
        integration = getattr(application, "integration", None) if application else None
        return set(integration.scope_list) if integration else set()

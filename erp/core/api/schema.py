"""OpenAPI description of our authentication: OAuth2 client credentials,
with the scope each operation needs."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.permissions import SAFE_METHODS


class IntegrationAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "erp.core.api.authentication.IntegrationAuthentication"
    name = "oauth2"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "description": "Client credentials from `manage.py create_integration`.",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/o/token/",
                    "scopes": dict(settings.OAUTH2_PROVIDER["SCOPES"]),
                }
            },
        }

    def get_security_requirement(self, auto_schema):
        domain = getattr(auto_schema.view, "scope_domain", None)
        if domain is None:
            return {self.name: []}
        access = "read" if auto_schema.method in SAFE_METHODS else "write"
        return {self.name: [f"{domain}:{access}"]}

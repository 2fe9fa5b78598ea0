"""Who may call an API view.

An integrator's token must carry the view's domain scope (`crm:read` for
reads, `crm:write` for writes). A staff user signed in through the browser
must hold the model permission of their role (view/add/change/delete).
"""

from django.utils.translation import gettext as _
from oauth2_provider.models import AbstractAccessToken
from rest_framework.permissions import SAFE_METHODS, BasePermission

_METHOD_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


def required_scope(view, request) -> str | None:
    domain = getattr(view, "scope_domain", None)
    if domain is None:
        return None
    return f"{domain}:{'read' if request.method in SAFE_METHODS else 'write'}"


def required_permissions(view, request) -> list[str]:
    """Model permissions a signed-in user needs; a view may name its own per
    action in `action_permissions` (e.g. {"confirm": ["orders.change_order"]})."""
    custom = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
    if custom is not None:
        return list(custom)
    queryset = getattr(view, "queryset", None)
    if queryset is None and hasattr(view, "get_queryset"):
        queryset = view.get_queryset()
    if queryset is None:
        return []
    opts = queryset.model._meta
    action = _METHOD_ACTIONS.get(request.method, "change")
    return [f"{opts.app_label}.{action}_{opts.model_name}"]


class ScopeOrModelPermission(BasePermission):
    message = "You do not have permission to perform this action."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        token = request.auth
        if isinstance(token, AbstractAccessToken):
            scope = required_scope(view, request)
            if scope is None or not token.allow_scopes([scope]):
                self.message = _("This client's token lacks the scope %(scope)s.") % {
                    "scope": scope or "-"
                }
                return False
            return True
        perms = required_permissions(view, request)
        # No permission named means nothing was declared: refuse rather than allow.
        if not perms or not user.has_perms(perms):
            self.message = _("Your role does not allow this action.")
            return False
        return True

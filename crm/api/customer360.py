"""GET /api/v1/customers/{code}/360/: the customer 360 over the API.

Served beside the customers viewset (not as one of its actions) so the 360
stays in its own module. A staff user sees the sections their role allows,
each narrowed by its app's own visibility rules, as on the page. An
integrator's token sees a section when it carries the read scope of the app
that owns it (crm:read for the profile, orders:read for the orders,
logistics:read, aftersales:read), and then all of its rows, as the apps' own
APIs show tokens all rows."""

from django.shortcuts import get_object_or_404
from django.urls import re_path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from oauth2_provider.models import AbstractAccessToken
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.selectors import customer_360, customer_360_detail
from crm.serializers.customer360 import Customer360Serializer
from erp.core.api.views import ThrottleFirstMixin


class TokenViewer:
    """The viewer of a 360 asked for with an integrator's token: may see what
    the token's scopes cover (a permission "orders.view_order" needs
    "orders:read"), and every row of it. Anything else is the service user's."""

    is_superuser = True  # the apps' visibility rules: tokens see every row

    def __init__(self, user, token):
        self._user = user
        self._token = token

    def has_perm(self, perm: str, obj=None) -> bool:
        app_label = perm.split(".", 1)[0]
        return self._token.allow_scopes([f"{app_label}:read"])

    def has_perms(self, perms, obj=None) -> bool:
        return all(self.has_perm(perm) for perm in perms)

    def __getattr__(self, name):
        return getattr(self._user, name)


CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="customer code"
)


class Customer360View(ThrottleFirstMixin, APIView):
    scope_domain = "crm"
    action = "retrieve"
    action_permissions = {"retrieve": ["crm.view_customer"]}

    @extend_schema(
        operation_id="customers_360",
        summary="A customer's 360",
        description="The customer, KPI cards, the 7P analysis and every section the caller "
        "may see (profile, scores and tier, orders, shipments, tickets, returns, repairs, "
        "feedback, interactions, care tasks, campaigns), each with its latest rows and "
        "totals. Loaded in a fixed number of queries however long the customer's history.",
        tags=["customers"],
        parameters=[CODE],
        responses={200: Customer360Serializer},
    )
    def get(self, request, code):
        customer = get_object_or_404(customer_360_detail(), code=code)
        viewer = request.user
        if isinstance(request.auth, AbstractAccessToken):
            viewer = TokenViewer(request.user, request.auth)
        return Response(Customer360Serializer(customer_360(customer, viewer)).data)


urlpatterns = [
    re_path(r"^customers/(?P<code>[^/]+)/360/?$", Customer360View.as_view(), name="customer-360"),
]


def register(router) -> None:
    """The 360 is a plain view in `urlpatterns`; nothing goes on the router."""

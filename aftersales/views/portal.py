"""The old "contact us about this order" page (/aftersales/help/<token>/):
customers now write from the order-tracking portal, where complaints,
questions, returns and repairs are filed (erp.portal.views.selfservice).
Links already sent keep working: they lead to the portal's page. A path, not
a reverse(): after-sales does not import the portal above it."""

from urllib.parse import quote

from django.http import HttpResponseRedirect
from django.urls import get_script_prefix, path


def portal_ticket(request, token: str):
    return HttpResponseRedirect(f"{get_script_prefix()}track/{quote(token, safe='')}/complaint/")


urlpatterns = [
    path("help/<str:token>/", portal_ticket, name="portal-ticket"),
]

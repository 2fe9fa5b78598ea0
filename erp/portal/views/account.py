"""Portal: optional customer sign-in with a one-time code, and "My orders".

/track/account/sign-in/  e-mail or mobile number -> a code is sent (if known)
/track/account/code/     the code -> signed in (a portal session, not a user)
/track/account/          the customer's orders, tickets, returns and repairs
/track/account/sign-out/ POST: signed out
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from erp.portal.access import portal_language, portal_page
from erp.portal.account_forms import CodeForm, SignInForm
from erp.portal.account_selectors import (
    account_orders,
    account_repairs,
    account_returns,
    account_tickets,
    order_row,
    repair_row,
    return_row,
    ticket_row,
)
from erp.portal.otp import (
    SESSION_PENDING,
    SignInExpired,
    SignInThrottled,
    SignInWrongCode,
    address_masked,
    portal_account,
    portal_sign_in,
    portal_sign_out,
    signin_code_request,
    signin_code_verify,
)
from erp.portal.views.selfservice import SESSION_PROVEN

ORDERS_PER_PAGE = 10
REQUESTS_PER_PAGE = 10


def _in_customer_language(request, customer) -> None:
    language = portal_language(request, customer)
    translation.activate(language)
    request.LANGUAGE_CODE = language


def signed_in(view):
    """The view gets request.portal_account; visitors not signed in (or whose
    portal session ran out) go to the sign-in page."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        account = portal_account(request)
        if account is None:
            return redirect("portal:account-login")
        request.portal_account = account
        _in_customer_language(request, account.customer)
        return view(request, *args, **kwargs)

    return wrapped


@portal_page
@csrf_protect
@require_http_methods(["GET", "POST"])
def account_login(request):
    if portal_account(request) is not None:
        return redirect("portal:account-home")
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pending = signin_code_request(address=form.cleaned_data["address"], request=request)
        except SignInThrottled as error:
            form.add_error(None, error.message)
        else:
            request.session[SESSION_PENDING] = pending.for_session()
            return redirect("portal:account-code")
    return render(request, "portal/account/login.html", {"form": form})


@portal_page
@csrf_protect
@require_http_methods(["GET", "POST"])
def account_code(request):
    pending = request.session.get(SESSION_PENDING)
    if not pending:
        return redirect("portal:account-login")
    form = CodeForm()
    if request.method == "POST" and "resend" in request.POST:
        try:
            renewed = signin_code_request(address=pending["address"], request=request)
        except SignInThrottled as error:
            messages.error(request, error.message)
        else:
            request.session[SESSION_PENDING] = renewed.for_session()
            if renewed.issued:
                messages.success(request, _("A new code is on its way."))
            else:
                messages.info(request, _("A code was sent a moment ago; please wait a minute."))
        return redirect("portal:account-code")
    if request.method == "POST":
        form = CodeForm(request.POST)
        if form.is_valid():
            try:
                account = signin_code_verify(
                    pending=pending, code=form.cleaned_data["code"], request=request
                )
            except SignInExpired as error:
                request.session.pop(SESSION_PENDING, None)
                messages.error(request, error.message)
                return redirect("portal:account-login")
            except (SignInWrongCode, SignInThrottled) as error:
                form.add_error("code", error.message)
            else:
                portal_sign_in(request, account)
                return redirect("portal:account-home")
    context = {
        "form": form,
        "address": address_masked(pending["channel"], pending["address"]),
        "by_sms": pending["channel"] == "sms",
        "minutes": max(1, settings.PORTAL_SIGNIN_CODE_SECONDS // 60),
    }
    return render(request, "portal/account/code.html", context)


def _page(request, queryset, row, param: str, per_page: int):
    """One page of `queryset` by the query parameter `param`, as rows, with
    links to the pages before and after that keep the other lists where
    they are."""
    page = Paginator(queryset, per_page).get_page(request.GET.get(param))
    page.rows = [row(item) for item in page.object_list]

    def link(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return f"?{query.urlencode()}"

    page.previous_url = link(page.previous_page_number()) if page.has_previous() else ""
    page.next_url = link(page.next_page_number()) if page.has_next() else ""
    return page


@portal_page
@signed_in
@require_http_methods(["GET"])
def account_home(request):
    account = request.portal_account
    customer = account.customer
    lists = {
        "orders": (account_orders, order_row, "page", ORDERS_PER_PAGE),
        "tickets": (account_tickets, ticket_row, "tickets_page", REQUESTS_PER_PAGE),
        "returns": (account_returns, return_row, "returns_page", REQUESTS_PER_PAGE),
        "repairs": (account_repairs, repair_row, "repairs_page", REQUESTS_PER_PAGE),
    }
    context = {
        name: _page(request, query(customer=customer), row, param, per_page)
        for name, (query, row, param, per_page) in lists.items()
    }
    context["account"] = account
    return render(request, "portal/account/home.html", context)


@portal_page
@csrf_protect
@require_http_methods(["GET", "POST"])
def account_logout(request):
    if request.method == "POST":
        if portal_account(request) is not None:
            messages.success(request, _("You are signed out."))
        portal_sign_out(request)
        # The orders proven by the self-service check go with the sign-in.
        request.session.pop(SESSION_PROVEN, None)
        return redirect("portal:account-login")
    return redirect("portal:account-home")


urlpatterns = [
    path("account/", account_home, name="account-home"),
    path("account/sign-in/", account_login, name="account-login"),
    path("account/code/", account_code, name="account-code"),
    path("account/sign-out/", account_logout, name="account-logout"),
]

"""Demand forecast pages: the panel on inventory's product page (registered in
inventory.hooks from AnalyticsConfig.ready()), the reorder suggestion list,
and applying a suggestion to its product."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from analytics.filters import ALL_WAREHOUSES, ReorderSuggestionFilter
from analytics.models import ForecastRun, Granularity, ReorderSuggestion
from analytics.selectors.forecasts import (
    GRANULARITIES,
    demand_history,
    forecast_run_list,
    reorder_suggestion_list,
)
from analytics.services.forecasting import reorder_suggestion_apply
from erp.core.errors import DomainError
from erp.core.views import StaffListView

VIEW_FORECAST = "analytics.view_forecastrun"
VIEW_SUGGESTION = "analytics.view_reordersuggestion"
CHANGE_PRODUCT = "inventory.change_product"


def may_apply(user) -> bool:
    return user.has_perm(VIEW_SUGGESTION) and user.has_perm(CHANGE_PRODUCT)


def _periods_text(count: int, granularity: str) -> str:
    if granularity == Granularity.MONTH:
        return ngettext("%(count)s month", "%(count)s months", count) % {"count": count}
    if granularity == Granularity.WEEK:
        return ngettext("%(count)s week", "%(count)s weeks", count) % {"count": count}
    return ngettext("%(count)s day", "%(count)s days", count) % {"count": count}


def run_caption(run: ForecastRun) -> str:
    """How the forecast was made and how it did, in one line."""
    parts = [run.model_label]
    if run.method == ForecastRun.Method.SEASONAL_NAIVE:
        parts[0] = gettext("%(model)s (too little history for a model)") % {
            "model": run.model_label
        }
    if run.mase is not None:
        parts.append(
            gettext("backtest MASE %(mase)s (seasonal naive %(naive)s)")
            % {"mase": f"{run.mase:.2f}", "naive": f"{run.naive_mase:.2f}"}
        )
    parts.append(
        gettext("%(periods)s of history from %(start)s")
        % {
            "periods": _periods_text(run.history_periods, run.granularity),
            "start": run.history_start.isoformat(),
        }
    )
    parts.append(
        gettext("fitted %(when)s")
        % {"when": timezone.localtime(run.generated_at).strftime("%Y-%m-%d %H:%M")}
    )
    return " · ".join(parts)


def _key(warehouse) -> str:
    return warehouse.code if warehouse is not None else ALL_WAREHOUSES


def forecast_chart_data(runs: list[ForecastRun]) -> dict:
    """What the chart script (static/js/product-forecast.js) draws: per
    warehouse key ("all" or a code) and granularity, the recent history, the
    forecast with its interval and the caption."""
    history = demand_history(sorted({(run.product_id, run.warehouse_id) for run in runs}, key=str))
    series: dict = {}
    warehouses: dict = {}
    for run in runs:
        key = _key(run.warehouse)
        warehouses[key] = (
            gettext("all warehouses")
            if run.warehouse is None
            else f"{run.warehouse.code} {run.warehouse.name}"
        )
        series.setdefault(key, {})[run.granularity] = {
            "history": [
                [start.isoformat(), units]
                for start, units in history[((run.product_id, run.warehouse_id), run.granularity)]
                if start >= run.history_start  # not the empty periods before the first order
            ],
            "forecast": [
                [p.period_start.isoformat(), float(p.quantity), float(p.lower), float(p.upper)]
                for p in run.points.all()
            ],
            "caption": run_caption(run),
        }
    order = sorted(warehouses, key=lambda k: (k != ALL_WAREHOUSES, k))
    first = series[order[0]] if order else {}
    return {
        "warehouses": [{"key": key, "label": warehouses[key]} for key in order],
        "granularities": [{"key": g, "label": Granularity(g).label} for g in GRANULARITIES],
        "default": {
            "warehouse": order[0] if order else ALL_WAREHOUSES,
            "granularity": next(
                (g for g in (Granularity.WEEK, Granularity.MONTH, Granularity.DAY) if g in first),
                Granularity.WEEK,
            ),
        },
        "labels": {
            "history": gettext("units ordered"),
            "forecast": gettext("forecast"),
            "interval": gettext("prediction interval"),
            "none": gettext("No forecast at this level."),
        },
        "series": series,
    }


def product_forecast_panel(request, product) -> dict:
    """Context of the forecast panel of a product page (analytics/_product_forecast.html)."""
    runs = list(forecast_run_list().filter(product=product))
    suggestions = list(reorder_suggestion_list().filter(product=product))
    return {
        "has_forecast": bool(runs),
        "chart": forecast_chart_data(runs) if runs else None,
        "suggestions": suggestions,
        "service_level": f"{float(suggestions[0].service_level):.0%}" if suggestions else "",
        "may_apply": may_apply(request.user),
        "next": request.get_full_path(),
    }


def panel_visible(user) -> bool:
    return user.has_perm(VIEW_FORECAST)


class ReorderSuggestionListView(StaffListView):
    """Suggested reorder points and quantities next to the products' current ones."""

    permission_required = VIEW_SUGGESTION
    filterset_class = ReorderSuggestionFilter
    template_name = "analytics/reorder_list.html"
    title = _("Reorder suggestions")
    columns = [
        ("product.sku", _("SKU"), "sku"),
        ("product.name", _("name")),
        ("product.category", _("category")),
        ("warehouse_label", _("warehouse"), "warehouse"),
        ("lead_time_days", _("lead time (days)")),
        ("daily_demand", _("daily demand"), "daily_demand"),
        ("lead_time_demand", _("demand over lead time")),
        ("safety_stock", _("safety stock")),
        ("reorder_point", _("suggested reorder point"), "reorder_point"),
        ("product.reorder_point", _("current reorder point")),
        ("reorder_quantity", _("suggested reorder quantity")),
        ("product.reorder_quantity", _("current reorder quantity")),
        ("run.model_label", _("model")),
        ("run.mase", _("MASE")),
        ("run.naive_mase", _("seasonal-naive MASE")),
        ("generated_at", _("generated at")),
    ]
    empty_message = _("No reorder suggestions match these filters.")

    def get_queryset(self):
        return reorder_suggestion_list()

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["may_apply"] = may_apply(self.request.user)
        ctx["next"] = self.request.get_full_path()
        return ctx


@login_required
@require_POST
def reorder_suggestion_apply_view(request, pk: int):
    """Set the product's reorder point, safety stock and quantity to the
    suggestion's; back to the page it was applied from."""
    if not may_apply(request.user):
        raise PermissionDenied
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("analytics:reorder-list")
    suggestion = ReorderSuggestion.objects.filter(pk=pk).select_related("product").first()
    if suggestion is None:
        messages.error(
            request, gettext("This suggestion was replaced by a newer forecast; reload the page.")
        )
        return redirect(target)
    try:
        product = reorder_suggestion_apply(suggestion=suggestion, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            gettext(
                "%(sku)s: reorder point %(point)s, safety stock %(safety)s, reorder quantity "
                "%(quantity)s."
            )
            % {
                "sku": product.sku,
                "point": product.reorder_point,
                "safety": product.safety_stock,
                "quantity": product.reorder_quantity,
            },
        )
    return redirect(target)

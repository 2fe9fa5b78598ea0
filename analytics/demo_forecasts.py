"""Demo: the demand forecasts and reorder suggestions of the demo catalogue
(the nightly job run once), and the stock-out estimates redone with them."""


def seed(ctx) -> None:
    from analytics.models import ForecastRun, ReorderSuggestion
    from analytics.services.forecasting import forecast_refresh
    from analytics.services.scans import stockout_scan

    counts = forecast_refresh()
    stockout_scan()
    ctx.report(
        f"demand forecasts ({counts['models']} fitted models, {counts['seconds']} s)",
        ForecastRun.objects.count(),
    )
    ctx.report("reorder suggestions", ReorderSuggestion.objects.count())

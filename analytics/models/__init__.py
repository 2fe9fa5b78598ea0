"""Analytics models, one module per area: alerts and targets, the daily
rollups behind the KPIs, demand forecasts, and reports."""

from analytics.models.alerts import Alert, AlertEvent, KpiTarget
from analytics.models.forecasts import *  # noqa: F403
from analytics.models.kpis import *  # noqa: F403
from analytics.models.reports import *  # noqa: F403

__all__ = ["Alert", "AlertEvent", "KpiTarget"]

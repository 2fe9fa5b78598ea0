"""REST endpoints of analytics, one module per area (registered in erp/api.py)."""

from analytics.api.alerts import AlertViewSet, KpiTargetViewSet

__all__ = ["AlertViewSet", "KpiTargetViewSet"]

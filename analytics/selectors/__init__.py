"""Reads shared by views, the API, tasks and reports, one module per area."""

from analytics.selectors.alerts import (
    alert_events,
    alert_list,
    alert_scope,
    alerts_visible_to,
    target_list,
)

__all__ = ["alert_events", "alert_list", "alert_scope", "alerts_visible_to", "target_list"]

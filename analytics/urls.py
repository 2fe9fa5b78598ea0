from django.urls import path

from analytics import dashboard_views, forecast_views, report_views, timeline_views, views

app_name = "analytics"
urlpatterns = [
    path("targets/", views.KpiTargetListView.as_view(), name="target-list"),
    path("alerts/", views.AlertListView.as_view(), name="alert-list"),
    path("alerts/<str:key>/", views.alert_detail_view, name="alert-detail"),
    path("alerts/<str:key>/<str:action>/", views.alert_action, name="alert-action"),
    path("dashboards/", dashboard_views.dashboard_index, name="dashboard-home"),
    path("dashboards/drill/", dashboard_views.dashboard_drill, name="dashboard-drill"),
    path("dashboards/<str:group>/", dashboard_views.dashboard_view, name="dashboard"),
    path(
        "dashboards/<str:group>/series/",
        dashboard_views.dashboard_series,
        name="dashboard-series",
    ),
    path("timeline/", timeline_views.timeline_view, name="timeline"),
    path("reports/", report_views.ReportListView.as_view(), name="report-list"),
    path("reports/new/", report_views.report_new_view, name="report-new"),
    path("reports/<int:pk>/", report_views.report_detail_view, name="report-detail"),
    path("reports/<int:pk>/progress/", report_views.report_progress_view, name="report-progress"),
    path("reports/<int:pk>/download/", report_views.report_download_view, name="report-download"),
    path(
        "reports/schedules/",
        report_views.ReportScheduleListView.as_view(),
        name="report-schedule-list",
    ),
    path(
        "reports/schedules/new/",
        report_views.report_schedule_new_view,
        name="report-schedule-new",
    ),
    path(
        "reports/schedules/<int:pk>/",
        report_views.report_schedule_edit_view,
        name="report-schedule-edit",
    ),
    path(
        "reports/schedules/<int:pk>/toggle/",
        report_views.report_schedule_toggle_view,
        name="report-schedule-toggle",
    ),
    path("reorder/", forecast_views.ReorderSuggestionListView.as_view(), name="reorder-list"),
    path(
        "reorder/<int:pk>/apply/",
        forecast_views.reorder_suggestion_apply_view,
        name="reorder-apply",
    ),
]

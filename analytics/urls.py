from django.urls import path

from analytics import views

app_name = "analytics"
urlpatterns = [
    path("targets/", views.KpiTargetListView.as_view(), name="target-list"),
    path("alerts/", views.AlertListView.as_view(), name="alert-list"),
    path("alerts/<str:key>/", views.alert_detail_view, name="alert-detail"),
    path("alerts/<str:key>/<str:action>/", views.alert_action, name="alert-action"),
]

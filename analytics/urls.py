from django.urls import path

from analytics import views

app_name = "analytics"
urlpatterns = [
    path("targets/", views.KpiTargetListView.as_view(), name="target-list"),
]

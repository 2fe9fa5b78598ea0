from django.urls import path

from aftersales import views

app_name = "aftersales"
urlpatterns = [
    path("teams/", views.ServiceTeamListView.as_view(), name="team-list"),
]

from django.urls import path

from logistics import views

app_name = "logistics"
urlpatterns = [
    path("carriers/", views.CarrierListView.as_view(), name="carrier-list"),
    path("vehicles/", views.VehicleListView.as_view(), name="vehicle-list"),
]

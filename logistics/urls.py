from django.urls import path

from logistics.views import fleet

app_name = "logistics"
urlpatterns = [
    path("carriers/", fleet.CarrierListView.as_view(), name="carrier-list"),
    path("vehicles/", fleet.VehicleListView.as_view(), name="vehicle-list"),
]

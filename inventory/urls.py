from django.urls import path

from inventory import views

app_name = "inventory"
urlpatterns = [
    path("products/", views.ProductListView.as_view(), name="product-list"),
    path("warehouses/", views.WarehouseListView.as_view(), name="warehouse-list"),
]

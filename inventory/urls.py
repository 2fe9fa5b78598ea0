from django.urls import path

from inventory import views

app_name = "inventory"
urlpatterns = [
    path("products/", views.ProductListView.as_view(), name="product-list"),
    path("products/<str:sku>/", views.product_detail, name="product-detail"),
    path("warehouses/", views.WarehouseListView.as_view(), name="warehouse-list"),
    path("stock/", views.StockLevelListView.as_view(), name="stock-list"),
    path("moves/", views.StockMoveListView.as_view(), name="move-list"),
    path("receive/", views.ReceiveView.as_view(), name="receive"),
    path("transfer/", views.TransferView.as_view(), name="transfer"),
    path("counts/", views.StockCountListView.as_view(), name="count-list"),
    path("counts/new/", views.StockCountOpenView.as_view(), name="count-create"),
    path("counts/<str:number>/", views.stock_count_detail, name="count-detail"),
    path("counts/<str:number>/<str:action>/", views.stock_count_action, name="count-action"),
]

from django.urls import path

from orders import views, views_inbound

app_name = "orders"
urlpatterns = [
    path("channels/", views.SalesChannelListView.as_view(), name="channel-list"),
    path("inbound/", views_inbound.InboundMessageListView.as_view(), name="inbound-list"),
    path("inbound/<int:pk>/", views_inbound.inbound_detail_view, name="inbound-detail"),
    path("inbound/<int:pk>/retry/", views_inbound.inbound_retry_view, name="inbound-retry"),
    path("orders/", views.OrderListView.as_view(), name="order-list"),
    path("orders/new/", views.OrderCreateView.as_view(), name="order-create"),
    path("orders/<str:number>/", views.order_detail_view, name="order-detail"),
    path(
        "orders/<str:number>/<str:action>/",
        views.order_action,
        name="order-action",
    ),
]

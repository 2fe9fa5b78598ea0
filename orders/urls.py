from django.urls import path

from orders import views

app_name = "orders"
urlpatterns = [
    path("channels/", views.SalesChannelListView.as_view(), name="channel-list"),
]

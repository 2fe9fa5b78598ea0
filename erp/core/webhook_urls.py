"""/integrations/webhooks/: the staff pages of webhooks (erp.core.webhook_views)."""

from django.urls import path

from erp.core import webhook_views as views

app_name = "webhooks"

urlpatterns = [
    path("", views.WebhookListView.as_view(), name="list"),
    path("new/", views.WebhookCreateView.as_view(), name="create"),
    path("<int:pk>/", views.WebhookDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.WebhookEditView.as_view(), name="edit"),
    path("<int:pk>/<slug:action>/", views.WebhookActionView.as_view(), name="action"),
    path("deliveries/<int:pk>/", views.DeliveryDetailView.as_view(), name="delivery"),
    path("deliveries/<int:pk>/replay/", views.DeliveryReplayView.as_view(), name="delivery-replay"),
]

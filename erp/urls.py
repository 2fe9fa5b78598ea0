from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from oauth2_provider import views as oauth_views

from erp import imports, views
from erp.core import views as core_views
from erp.portal.views import staff as portal_staff

handler400 = core_views.bad_request
handler403 = core_views.permission_denied
handler404 = core_views.page_not_found
handler500 = core_views.server_error

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("audit/", views.AuditLogView.as_view(), name="audit-log"),
    path(
        "notifications/",
        portal_staff.CustomerNotificationListView.as_view(),
        name="customer-notifications",
    ),
    # Bulk import and export jobs (before "imports/<kind>/", which would take "jobs").
    path("imports/jobs/", imports.TransferJobListView.as_view(), name="transfer-list"),
    path("imports/jobs/<int:pk>/", imports.transfer_detail, name="transfer-detail"),
    path(
        "imports/jobs/<int:pk>/import/",
        imports.transfer_import_for_real,
        name="transfer-import",
    ),
    path(
        "imports/jobs/<int:pk>/<str:which>/",
        imports.transfer_download,
        name="transfer-download",
    ),
    path("exports/", imports.export_page, name="export"),
    path("imports/<str:kind>/", imports.import_page, name="import"),
    path("imports/<str:kind>/template.csv", imports.import_template, name="import-template"),
    path("orders/", include("orders.urls")),
    path("inventory/", include("inventory.urls")),
    path("logistics/", include("logistics.urls")),
    path("aftersales/", include("aftersales.urls")),
    path("crm/", include("crm.urls")),
    path("analytics/", include("analytics.urls")),
    path("integrations/webhooks/", include("erp.core.webhook_urls")),
    path("track/", include("erp.portal.urls")),
    path("admin/", admin.site.urls),
    # Only the client-credentials endpoints: no authorisation pages, no
    # self-service application management.
    path("o/token/", oauth_views.TokenView.as_view(), name="oauth-token"),
    path("o/revoke_token/", oauth_views.RevokeTokenView.as_view(), name="oauth-revoke-token"),
    path("api/v1/", include("erp.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/", core_views.ApiRoot.as_view(), name="api-root"),
]

admin.site.site_header = settings.SITE_NAME
admin.site.site_title = settings.SITE_NAME

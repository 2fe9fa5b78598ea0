from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self):
        from analytics import forecast_views
        from inventory.hooks import register_product_panel

        # The demand forecast and reorder suggestion on the product page.
        register_product_panel(
            "forecast",
            "analytics/_product_forecast.html",
            forecast_views.product_forecast_panel,
            forecast_views.panel_visible,
        )

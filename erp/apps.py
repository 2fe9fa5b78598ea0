from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The project itself: holds the commands that span every app (seed_demo)
    and connects the portal's receivers of the lower apps' signals."""

    name = "erp"
    label = "erp_site"
    verbose_name = "ERP"

    def ready(self) -> None:
        from erp.portal import (
            notifications,  # noqa: F401  (customer messages on order, shipment, ticket events)
        )

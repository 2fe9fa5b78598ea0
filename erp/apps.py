from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The project itself: holds the commands that span every app (seed_demo)."""

    name = "erp"
    label = "erp_site"
    verbose_name = "ERP"

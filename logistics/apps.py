from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogisticsConfig(AppConfig):
    name = "logistics"
    verbose_name = _("Logistics")

    def ready(self) -> None:
        from logistics import (
            crm_hooks,  # noqa: F401  (scores, care rules, 360 sections)
            receivers,  # noqa: F401  (a cancelled order's shipments are cancelled)
        )

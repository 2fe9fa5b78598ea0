from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AftersalesConfig(AppConfig):
    name = "aftersales"
    verbose_name = _("After-sales")

    def ready(self) -> None:
        from aftersales import (
            crm_hooks,  # noqa: F401  (scores, care rules, 360 sections)
            receivers,  # noqa: F401  (a ticket for each shipment exception)
        )

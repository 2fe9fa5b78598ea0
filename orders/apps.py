from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from orders import (
            crm_hooks,  # noqa: F401  (scores, care rules, 360 sections)
            receivers,  # noqa: F401  (backorders filled when stock arrives)
        )

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from crm import crm_hooks  # noqa: F401  (win-back rule, 360 sections)
        from crm.services.config import crm_defaults_sync

        # After every migrate (and every test flush): a CareRule row for every
        # registered rule and the default tier thresholds, where missing.
        post_migrate.connect(crm_defaults_sync, sender=self, dispatch_uid="crm.defaults")

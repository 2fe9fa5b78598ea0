from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "erp.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from erp.core import (
            receivers,  # noqa: F401  (auth and denial audit)
            webhooks,  # noqa: F401  (registers the outbox handler)
        )
        from erp.core.api import schema  # noqa: F401  (OpenAPI auth extension)
        from erp.core.roles import sync_role_permissions

        # After every migrate (and every test flush) each role group holds
        # exactly the permissions ROLE_PERMISSIONS gives it, including those
        # of models added later.
        post_migrate.connect(sync_role_permissions, dispatch_uid="core.sync_roles")

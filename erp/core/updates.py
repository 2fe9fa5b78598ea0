"""Shared pieces of update and delete services."""

from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from erp.core.errors import DomainError


class NotEditable(DomainError):
    status_code = 400
    code = "invalid"


class InUse(DomainError):
    status_code = 409
    code = "in_use"


def fields_update(instance: models.Model, changes: dict, *, allowed: set[str]) -> models.Model:
    """Set the allowed fields that changed and save only those (history records who)."""
    unknown = set(changes) - allowed
    if unknown:
        raise NotEditable(
            _("These fields cannot be changed: %(fields)s")
            % {"fields": ", ".join(sorted(unknown))},
            field=sorted(unknown)[0],
        )
    changed = [name for name, value in changes.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, changes[name])
    if changed:
        instance.save(update_fields=[*changed, "updated_at"])
    return instance


@transaction.atomic
def delete_unused(instance: models.Model) -> None:
    """Delete a record nothing refers to; otherwise 409 (deactivate it instead)."""
    try:
        with transaction.atomic():
            instance.delete()
    except (ProtectedError, IntegrityError):
        raise InUse(
            _("%(object)s is in use and cannot be deleted; set it inactive instead.")
            % {"object": instance}
        ) from None

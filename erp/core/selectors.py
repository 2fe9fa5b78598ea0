from django.db.models import QuerySet

from erp.core.models import AuditEvent


def audit_event_list() -> QuerySet[AuditEvent]:
    return AuditEvent.objects.select_related("user")

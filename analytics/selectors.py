from django.db.models import QuerySet

from analytics.models import KpiTarget


def target_list() -> QuerySet[KpiTarget]:
    return KpiTarget.objects.all()

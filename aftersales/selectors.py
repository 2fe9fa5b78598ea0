from django.db.models import Count, QuerySet

from aftersales.models import ServiceTeam


def team_list() -> QuerySet[ServiceTeam]:
    return ServiceTeam.objects.annotate(member_count=Count("members")).order_by("code")

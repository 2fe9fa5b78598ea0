from django.db.models import QuerySet

from crm.models import Customer


def customer_list() -> QuerySet[Customer]:
    return Customer.objects.select_related("default_address", "account_manager")

from erp.portal.views import account, order, selfservice

app_name = "portal"
# account first: its fixed paths (/track/account/...) must win over /track/<token>/.
urlpatterns = [*account.urlpatterns, *selfservice.urlpatterns, *order.urlpatterns]

from crm.views import (
    campaigns,
    care,
    customer360,
    customers,
    interactions,
    merge,
    segments,
    tiers,
)

app_name = "crm"

# Each page module lists its own urlpatterns.
urlpatterns = [
    *customers.urlpatterns,
    *customer360.urlpatterns,
    *merge.urlpatterns,
    *interactions.urlpatterns,
    *care.urlpatterns,
    *tiers.urlpatterns,
    *segments.urlpatterns,
    *campaigns.urlpatterns,
]

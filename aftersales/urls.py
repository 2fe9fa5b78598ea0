from aftersales.views import feedback, portal, repairs, returns, sla, teams, tickets

app_name = "aftersales"

# Each page module lists its own urlpatterns.
urlpatterns = [
    *teams.urlpatterns,
    *tickets.urlpatterns,
    *returns.urlpatterns,
    *repairs.urlpatterns,
    *feedback.urlpatterns,
    *sla.urlpatterns,
    *portal.urlpatterns,
]

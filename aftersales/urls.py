from importlib import import_module

from aftersales.views import teams

app_name = "aftersales"

# Each page module lists its own urlpatterns.
AREAS = ["tickets", "returns", "repairs", "feedback", "sla"]

urlpatterns = [*teams.urlpatterns]
for _area in AREAS:
    try:
        urlpatterns += import_module(f"aftersales.views.{_area}").urlpatterns
    except ModuleNotFoundError as exc:
        if exc.name != f"aftersales.views.{_area}":
            raise

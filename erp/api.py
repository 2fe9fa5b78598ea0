"""The REST API at /api/v1/: every app's viewsets on one router."""

from rest_framework.routers import DefaultRouter

from aftersales.api import ServiceTeamViewSet
from analytics.api import KpiTargetViewSet
from crm.api import CustomerViewSet
from inventory.api import (
    ProductViewSet,
    StockCountViewSet,
    StockLevelViewSet,
    StockMoveViewSet,
    WarehouseViewSet,
)
from logistics.api.fleet import CarrierViewSet, VehicleViewSet
from orders.api import OrderViewSet, SalesChannelViewSet


class Router(DefaultRouter):
    include_root_view = False

    def __init__(self):
        super().__init__()
        # The trailing slash is optional: a POST to /api/v1/customers must not
        # be answered with a redirect that drops its body.
        self.trailing_slash = "/?"


router = Router()
router.register("customers", CustomerViewSet, basename="customer")
router.register("products", ProductViewSet, basename="product")
router.register("warehouses", WarehouseViewSet, basename="warehouse")
router.register("stock-levels", StockLevelViewSet, basename="stock-level")
router.register("stock-moves", StockMoveViewSet, basename="stock-move")
router.register("stock-counts", StockCountViewSet, basename="stock-count")
router.register("channels", SalesChannelViewSet, basename="channel")
router.register("orders", OrderViewSet, basename="order")
router.register("carriers", CarrierViewSet, basename="carrier")
router.register("vehicles", VehicleViewSet, basename="vehicle")
router.register("aftersales/teams", ServiceTeamViewSet, basename="team")
router.register("analytics/targets", KpiTargetViewSet, basename="target")

urlpatterns = router.urls

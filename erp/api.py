"""The REST API at /api/v1/: every app's viewsets on one router."""

from django.urls import re_path
from rest_framework.routers import DefaultRouter

from aftersales.api import register as register_aftersales
from analytics.api import AlertViewSet, KpiTargetViewSet
from analytics.api.forecasts import ForecastViewSet, ReorderSuggestionViewSet
from analytics.api.kpis import urlpatterns as kpi_urlpatterns
from analytics.api.reports import ReportViewSet
from crm.api import register as register_crm
from erp.core.api.transfers import register as register_transfers
from erp.core.api.webhooks import WebhookDeliveryViewSet, WebhookSubscriptionViewSet
from inventory.api import (
    ProductViewSet,
    StockCountViewSet,
    StockLevelViewSet,
    StockMoveViewSet,
    WarehouseViewSet,
)
from logistics.api.dispatch import DispatchPlanViewSet
from logistics.api.fleet import CarrierViewSet, VehicleViewSet
from logistics.api.picking import (
    PackingSlipView,
    PickWaveViewSet,
    ShipmentPackView,
    ShippingLabelView,
)
from logistics.api.shipments import ShipmentViewSet
from logistics.api.tracking import (
    ShipmentExceptionViewSet,
    TrackingDeviceViewSet,
)
from logistics.api.tracking import urlpatterns as tracking_urlpatterns
from orders.api import OrderViewSet, SalesChannelViewSet
from orders.api_inbound import ChannelInboundView


class Router(DefaultRouter):
    include_root_view = False

    def __init__(self):
        super().__init__()
        # The trailing slash is optional: a POST to /api/v1/customers must not
        # be answered with a redirect that drops its body.
        self.trailing_slash = "/?"


router = Router()
crm_urlpatterns = register_crm(router)
router.register("products", ProductViewSet, basename="product")
router.register("warehouses", WarehouseViewSet, basename="warehouse")
router.register("stock-levels", StockLevelViewSet, basename="stock-level")
router.register("stock-moves", StockMoveViewSet, basename="stock-move")
router.register("stock-counts", StockCountViewSet, basename="stock-count")
router.register("channels", SalesChannelViewSet, basename="channel")
router.register("orders", OrderViewSet, basename="order")
router.register("carriers", CarrierViewSet, basename="carrier")
router.register("vehicles", VehicleViewSet, basename="vehicle")
router.register("dispatch-plans", DispatchPlanViewSet, basename="dispatch-plan")
router.register("shipments", ShipmentViewSet, basename="shipment")
router.register("pick-waves", PickWaveViewSet, basename="pick-wave")
router.register("shipment-exceptions", ShipmentExceptionViewSet, basename="shipment-exception")
router.register("tracking-devices", TrackingDeviceViewSet, basename="tracking-device")
aftersales_urlpatterns = register_aftersales(router)
router.register("analytics/targets", KpiTargetViewSet, basename="target")
router.register("alerts", AlertViewSet, basename="alert")
router.register("forecasts", ForecastViewSet, basename="forecast")
router.register("reorder-suggestions", ReorderSuggestionViewSet, basename="reorder-suggestion")
router.register("reports", ReportViewSet, basename="report")
register_transfers(router)  # /imports/ and /exports/: bulk jobs
router.register("webhooks", WebhookSubscriptionViewSet, basename="webhook")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = [
    *router.urls,
    *kpi_urlpatterns,
    *crm_urlpatterns,
    *aftersales_urlpatterns,
    # Carrier events (/shipments/{number}/events/) and device telemetry.
    *tracking_urlpatterns,
    # Sales channels push their own order messages (orders.connectors).
    re_path(
        r"^channels/(?P<code>[^/.]+)/inbound/?$",
        ChannelInboundView.as_view(),
        name="channel-inbound",
    ),
    # Shipment actions served outside the shipment viewset (pick and pack).
    re_path(
        r"^shipments/(?P<number>[^/.]+)/pack/?$",
        ShipmentPackView.as_view(),
        name="shipment-pack-scan",
    ),
    re_path(
        r"^shipments/(?P<number>[^/.]+)/label\.pdf$",
        ShippingLabelView.as_view(),
        name="shipment-label-pdf",
    ),
    re_path(
        r"^shipments/(?P<number>[^/.]+)/slip\.pdf$",
        PackingSlipView.as_view(),
        name="shipment-slip-pdf",
    ),
]

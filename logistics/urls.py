from django.urls import path, re_path

from logistics.views import dispatch, fleet, picking, shipments

app_name = "logistics"
urlpatterns = [
    path("carriers/", fleet.CarrierListView.as_view(), name="carrier-list"),
    path("carriers/new/", fleet.CarrierCreateView.as_view(), name="carrier-create"),
    path("carriers/<str:code>/", fleet.carrier_detail, name="carrier-detail"),
    path("carriers/<str:code>/edit/", fleet.CarrierEditView.as_view(), name="carrier-edit"),
    path("vehicles/", fleet.VehicleListView.as_view(), name="vehicle-list"),
    path("dispatch-plans/", dispatch.DispatchPlanListView.as_view(), name="dispatch-plan-list"),
    path(
        "dispatch-plans/new/",
        dispatch.DispatchPlanCreateView.as_view(),
        name="dispatch-plan-create",
    ),
    path(
        "dispatch-plans/<str:number>/",
        dispatch.dispatch_plan_detail_view,
        name="dispatch-plan-detail",
    ),
    re_path(
        r"^dispatch-plans/(?P<number>[^/]+)/(?P<action>solve|release|cancel)/$",
        dispatch.dispatch_plan_action,
        name="dispatch-plan-action",
    ),
    path("shipments/", shipments.ShipmentListView.as_view(), name="shipment-list"),
    path("shipments/board/", shipments.shipment_board, name="shipment-board"),
    path("shipments/carbon/", shipments.carbon_report, name="carbon-report"),
    path(
        "exceptions/<int:pk>/resolve/",
        shipments.exception_resolve_view,
        name="exception-resolve",
    ),
    path(
        "shipments/new/<str:order_number>/",
        shipments.shipment_create_view,
        name="shipment-create",
    ),
    path("shipments/<str:number>/", shipments.shipment_detail_view, name="shipment-detail"),
    re_path(
        r"^shipments/(?P<number>[^/]+)/(?P<action>dispatch|deliver|transition|cancel|problem)/$",
        shipments.shipment_action,
        name="shipment-action",
    ),
    path("shipments/<str:number>/pack/", picking.pack_view, name="shipment-pack"),
    path("shipments/<str:number>/label.pdf", picking.shipment_label_view, name="shipment-label"),
    path("shipments/<str:number>/slip.pdf", picking.shipment_slip_view, name="shipment-slip"),
    path("waves/", picking.PickWaveListView.as_view(), name="wave-list"),
    path("waves/new/", picking.WaveCreateView.as_view(), name="wave-create"),
    path("waves/<str:number>/", picking.wave_detail_view, name="wave-detail"),
    path("waves/<str:number>/lines/<int:line_id>/pick/", picking.wave_pick, name="wave-pick"),
    re_path(
        r"^waves/(?P<number>[^/]+)/(?P<action>close|cancel)/$",
        picking.wave_action,
        name="wave-action",
    ),
]

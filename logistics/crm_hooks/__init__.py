"""What logistics gives crm (crm/hooks.py): care rules on shipment exceptions
and the shipments part of the customer 360 page. Imported from
LogisticsConfig.ready()."""

from logistics.crm_hooks import care, sections  # noqa: F401

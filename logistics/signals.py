"""Signals logistics sends, always after the transaction that caused them has
committed (so a receiver sees the saved rows, and a rolled-back change sends
nothing). Higher apps (after-sales, analytics) connect receivers in their
AppConfig.ready(); logistics imports neither.

shipment_status_changed(sender=Shipment, shipment_id, order_id, from_status, to_status)
    Every status change made by logistics.services.shipment_transition.

shipment_exception_raised(sender=ShipmentException, exception_id, shipment_id,
                          order_id, kind)
    A new exception (a new episode of a watched condition, or a reported
    problem). Sent once per exception: a repeated reading or event of an open
    episode sends nothing.

shipment_exception_resolved(sender=ShipmentException, exception_id, shipment_id, kind)
    Somebody closed an exception with a resolution.
"""

from django.dispatch import Signal

shipment_status_changed = Signal()
shipment_exception_raised = Signal()
shipment_exception_resolved = Signal()

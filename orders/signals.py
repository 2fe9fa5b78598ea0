"""Signals orders sends, after commit.

order_status_changed(sender, order_id, from_status, to_status)
    Every status change made by orders.services.lifecycle.order_transition.
"""

from django.dispatch import Signal

order_status_changed = Signal()

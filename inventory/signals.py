"""Signals inventory sends, after commit, for higher apps to react to.

stock_received(sender, warehouse_id, product_id, quantity)
    Units arrived in a warehouse (receipt, transfer in, return). Orders use it
    to fill backorders.
"""

from django.dispatch import Signal

stock_received = Signal()

"""Inbound channel connectors: one mapping per family of channel payloads.

Importing this package registers every connector (orders.connectors.base.CONNECTORS).
"""

from orders.connectors import marketplace, webstore  # noqa: F401  (registers them)
from orders.connectors.base import (
    CONNECTORS,
    Connector,
    InboundInvalid,
    InboundUnauthorised,
    connector_for,
)

__all__ = ["CONNECTORS", "Connector", "InboundInvalid", "InboundUnauthorised", "connector_for"]

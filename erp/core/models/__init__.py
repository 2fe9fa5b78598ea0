"""Shared kernel models. Nothing here imports a domain app."""

from erp.core.models.base import (
    AuditEvent,
    IdempotencyKey,
    IntegrationClient,
    Notification,
    TimeStampedModel,
)
from erp.core.models.outbox import OutboxEvent
from erp.core.models.transfers import *  # noqa: F403
from erp.core.models.webhooks import *  # noqa: F403

__all__ = [
    "AuditEvent",
    "IdempotencyKey",
    "IntegrationClient",
    "Notification",
    "OutboxEvent",
    "TimeStampedModel",
]

"""Outbound webhooks: subscriptions, signed deliveries, retries and replay.

Importing this package registers the outbox handler that turns committed
domain events into deliveries (erp.core.webhooks.services); CoreConfig.ready
imports it.
"""

from erp.core.webhooks.events import EVENT_TYPES
from erp.core.webhooks.services import (
    WebhookConflict,
    WebhookInvalid,
    delivery_body,
    webhook_deliver,
    webhook_outbox_handler,
    webhook_replay,
    webhook_replay_bulk,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_enable,
    webhook_subscription_pause,
    webhook_subscription_rotate_secret,
    webhook_subscription_update,
    webhook_sweep,
)
from erp.core.webhooks.signing import signature_header, signature_verify

__all__ = [
    "EVENT_TYPES",
    "WebhookConflict",
    "WebhookInvalid",
    "delivery_body",
    "signature_header",
    "signature_verify",
    "webhook_deliver",
    "webhook_outbox_handler",
    "webhook_replay",
    "webhook_replay_bulk",
    "webhook_subscription_create",
    "webhook_subscription_delete",
    "webhook_subscription_enable",
    "webhook_subscription_pause",
    "webhook_subscription_rotate_secret",
    "webhook_subscription_update",
    "webhook_sweep",
]

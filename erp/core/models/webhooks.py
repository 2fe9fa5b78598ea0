"""Webhook subscriptions and their deliveries (erp.core.webhooks)."""

__all__: list[str] = []

"""The transactional outbox (erp.core.outbox)."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxEvent(models.Model):
    """A domain event written in the same transaction as the change it
    describes (erp.core.outbox). The relay hands unpublished rows to the
    registered handlers and marks them published; a rolled-back change leaves
    no row, a crash after commit only delays delivery. `event_id` is what
    receivers deduplicate by."""

    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=60, db_index=True)
    aggregate_type = models.CharField(_("aggregate type"), max_length=60)
    aggregate_id = models.CharField(_("aggregate id"), max_length=64)
    payload = models.JSONField(_("payload"), default=dict)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    # After a handler failed: not relayed again before this time (backoff).
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        indexes = [
            models.Index(
                fields=["id"],
                name="core_outbox_unpublished",
                condition=models.Q(published_at__isnull=True),
            ),
            models.Index(fields=["aggregate_type", "aggregate_id"], name="core_outbox_aggregate"),
        ]

    def __str__(self):
        return f"{self.type} {self.aggregate_type}:{self.aggregate_id}"

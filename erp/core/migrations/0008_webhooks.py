"""Webhooks (erp.core.webhooks) and the outbox's retry backoff."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_outbox"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxevent",
            name="next_attempt_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="next attempt"),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("login", "login"),
                    ("logout", "logout"),
                    ("login_failed", "login failed"),
                    ("locked_out", "locked out"),
                    ("denied", "access denied"),
                    ("unauthenticated", "not authenticated"),
                    ("token_issued", "token issued"),
                    ("export", "export"),
                    ("webhook_disabled", "webhook disabled"),
                ],
                db_index=True,
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.CreateModel(
            name="WebhookSubscription",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        auto_now_add=True, db_index=True, verbose_name="created at"
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                ("url", models.URLField(max_length=500, verbose_name="URL")),
                ("event_types", models.JSONField(default=list, verbose_name="event types")),
                ("secret", models.CharField(max_length=100, verbose_name="secret")),
                (
                    "description",
                    models.CharField(blank=True, max_length=300, verbose_name="description"),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("active", "active"),
                            ("paused", "paused"),
                            ("disabled", "disabled"),
                        ],
                        db_index=True,
                        default="active",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                (
                    "consecutive_failures",
                    models.PositiveIntegerField(default=0, verbose_name="consecutive failures"),
                ),
                (
                    "disabled_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="disabled at"),
                ),
                (
                    "disabled_reason",
                    models.CharField(blank=True, max_length=300, verbose_name="disabled because"),
                ),
                (
                    "last_delivery_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="last delivery"),
                ),
                (
                    "last_status_code",
                    models.PositiveSmallIntegerField(
                        blank=True, null=True, verbose_name="last status code"
                    ),
                ),
                (
                    "secret_rotated_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="secret rotated at"),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="created by",
                    ),
                ),
            ],
            options={
                "verbose_name": "webhook subscription",
                "verbose_name_plural": "webhook subscriptions",
                "ordering": ["name", "id"],
            },
        ),
        migrations.CreateModel(
            name="WebhookDelivery",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("event_id", models.UUIDField(verbose_name="event id")),
                (
                    "event_type",
                    models.CharField(db_index=True, max_length=60, verbose_name="event type"),
                ),
                ("body", models.TextField(verbose_name="body")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "pending"),
                            ("sending", "sending"),
                            ("succeeded", "succeeded"),
                            ("failed", "failed"),
                        ],
                        db_index=True,
                        default="pending",
                        max_length=10,
                        verbose_name="status",
                    ),
                ),
                ("attempts", models.PositiveIntegerField(default=0, verbose_name="attempts")),
                (
                    "next_attempt_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="next attempt"),
                ),
                ("give_up_at", models.DateTimeField(verbose_name="give up at")),
                (
                    "last_status_code",
                    models.PositiveSmallIntegerField(
                        blank=True, null=True, verbose_name="last status code"
                    ),
                ),
                (
                    "last_duration_ms",
                    models.PositiveIntegerField(null=True, verbose_name="last response time (ms)"),
                ),
                (
                    "last_error",
                    models.CharField(blank=True, max_length=500, verbose_name="last error"),
                ),
                (
                    "delivered_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="delivered at"),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        auto_now_add=True, db_index=True, verbose_name="created at"
                    ),
                ),
                (
                    "subscription",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="core.webhooksubscription",
                        verbose_name="subscription",
                    ),
                ),
            ],
            options={
                "verbose_name": "webhook delivery",
                "verbose_name_plural": "webhook deliveries",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="WebhookAttempt",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveIntegerField(verbose_name="attempt")),
                ("started_at", models.DateTimeField(verbose_name="time")),
                (
                    "status_code",
                    models.PositiveSmallIntegerField(
                        blank=True, null=True, verbose_name="status code"
                    ),
                ),
                (
                    "duration_ms",
                    models.PositiveIntegerField(default=0, verbose_name="response time (ms)"),
                ),
                ("success", models.BooleanField(default=False, verbose_name="success")),
                ("error", models.CharField(blank=True, max_length=500, verbose_name="error")),
                (
                    "response_excerpt",
                    models.CharField(blank=True, max_length=500, verbose_name="response"),
                ),
                (
                    "delivery",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="attempt_log",
                        to="core.webhookdelivery",
                        verbose_name="delivery",
                    ),
                ),
            ],
            options={
                "verbose_name": "webhook attempt",
                "verbose_name_plural": "webhook attempts",
                "ordering": ["delivery_id", "number"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("delivery", "number"), name="core_webhook_attempt_no"
                    )
                ],
            },
        ),
        migrations.AddIndex(
            model_name="webhookdelivery",
            index=models.Index(
                condition=models.Q(("status__in", ["pending", "sending"])),
                fields=["next_attempt_at"],
                name="core_webhook_delivery_due",
            ),
        ),
        migrations.AddConstraint(
            model_name="webhookdelivery",
            constraint=models.UniqueConstraint(
                fields=("subscription", "event_id"), name="core_webhook_delivery_once"
            ),
        ),
    ]

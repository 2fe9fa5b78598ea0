"""Service teams and the notices sent to customers about their deliveries.
Tickets, SLAs, returns and repairs follow with the after-sales capability."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from erp.core.models import TimeStampedModel


class ServiceTeam(TimeStampedModel):
    """A group of after-sales agents that tickets are assigned to."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("members"),
        blank=True,
        related_name="service_teams",
    )
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords(m2m_fields=[members])

    class Meta:
        ordering = ["code"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class CustomerNotice(TimeStampedModel):
    """A message to the customer about their delivery, sent because of
    something logistics reported (a failed attempt, damage, loss, a delay).
    One per exception: a repeated signal or task sends nothing twice."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("notice", "pending")
        SENT = "sent", pgettext_lazy("notice", "sent")
        SKIPPED = "skipped", pgettext_lazy("notice", "skipped")  # no e-mail address

    exception = models.OneToOneField(
        "logistics.ShipmentException",
        verbose_name=_("exception"),
        on_delete=models.CASCADE,
        related_name="customer_notice",
    )
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="notices",
    )
    to = models.CharField(_("to"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("customer notice")
        verbose_name_plural = _("customer notices")

    def __str__(self) -> str:
        return self.subject

"""Notices to customers about shipment exceptions that change their delivery."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales.models import CustomerNotice

# Exceptions the customer hears about: what changes their delivery. Watched
# conditions inside the network (cold chain, no movement) are handled by staff.
NOTICE_KINDS = ("failed_attempt", "damaged", "lost", "late")


def _notice_text(exception) -> tuple[str, str]:
    shipment, order = exception.shipment, exception.shipment.order
    subject = _("About your order %(order)s") % {"order": order.number}
    lines = {
        "failed_attempt": _(
            "We could not deliver shipment %(shipment)s today. The courier will try again; "
            "reply to this message if another time or address suits you better."
        ),
        "damaged": _(
            "Shipment %(shipment)s was damaged on its way. Our after-sales team is arranging "
            "a replacement and will contact you."
        ),
        "lost": _(
            "Shipment %(shipment)s was lost by the carrier. Our after-sales team is arranging "
            "a replacement or a refund and will contact you."
        ),
        "late": _(
            "Shipment %(shipment)s is running late; we now expect to deliver it on %(eta)s. "
            "We are sorry for the wait."
        ),
    }
    eta = timezone.localtime(shipment.eta).strftime("%Y-%m-%d %H:%M") if shipment.eta else "-"
    body = lines[exception.kind] % {"shipment": shipment.number, "eta": eta}
    if shipment.tracking_url:
        body += "\n\n" + _("Track it: %(url)s") % {"url": shipment.tracking_url}
    return subject, body


@transaction.atomic
def exception_notice_send(*, exception_id: int):
    """Tell the customer about a shipment exception that changes their
    delivery, by e-mail. At most once per exception: the notice row is
    claimed under a lock, so a repeated signal or a retried task sends nothing
    more. Returns the notice, or None for kinds the customer is not told of."""
    from logistics.models import ShipmentException

    exception = ShipmentException.objects.select_related(
        "shipment__order__customer", "shipment__carrier"
    ).get(pk=exception_id)
    if exception.kind not in NOTICE_KINDS:
        return None
    customer = exception.shipment.order.customer
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = _notice_text(exception)
    notice, _created = CustomerNotice.objects.get_or_create(
        exception=exception,
        defaults={"customer": customer, "to": customer.email, "subject": subject, "body": body},
    )
    notice = CustomerNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.status != CustomerNotice.Status.PENDING:
        return notice
    if not notice.to:
        notice.status = CustomerNotice.Status.SKIPPED
    else:
        send_mail(notice.subject, notice.body, settings.DEFAULT_FROM_EMAIL, [notice.to])
        notice.status, notice.sent_at = CustomerNotice.Status.SENT, timezone.now()
    notice.save(update_fields=["status", "sent_at", "updated_at"])
    return notice

"""Staff page about the portal's messages: the customer notifications sent
(or skipped, or failed) with their status. Mounted outside /track/ by
erp/urls.py (name "customer-notifications"); it is not a customer page."""

from django.db.models import Case, CharField, Value, When
from django.utils.translation import gettext_lazy as _

from erp.core.models import Notification
from erp.core.views import StaffListView
from erp.portal.filters import (
    EVENT_CHOICES,
    CustomerNotificationFilter,
    customer_notifications_q,
    event_prefix,
)


class CustomerNotificationListView(StaffListView):
    """Recent messages to customers - the subject, never the body, which can
    hold a ticket conversation the viewer may not be allowed to read."""

    permission_required = "core.view_notification"
    filterset_class = CustomerNotificationFilter
    title = _("Customer notifications")
    paginate_by = 50
    columns = [
        ("created_at", _("time"), "created_at"),
        ("event_label", _("event")),
        ("channel", _("channel")),
        ("recipient", _("recipient")),
        ("subject", _("subject")),
        ("status", _("status"), "status"),
        ("sent_at", _("sent at"), "sent_at"),
        ("error", _("error")),
    ]
    empty_message = _("No customer notifications match these filters.")

    def get_queryset(self):
        # The event is the first part of the key; its label in the viewer's language.
        label = Case(
            *(
                When(key__startswith=event_prefix(value), then=Value(str(text)))
                for value, text in EVENT_CHOICES
            ),
            default=Value(""),
            output_field=CharField(),
        )
        return (
            Notification.objects.filter(customer_notifications_q())
            .annotate(event_label=label)
            .order_by("-created_at", "-id")
        )

"""crm's own care rule: win back a VIP whose churn risk rose to high (the
nightly scoring sets CustomerScore.churn_rose_at when the level goes up)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.hooks import CareCause, CareRuleSpec, register_care_rule
from crm.models import Customer, CustomerScore


def vip_win_back_causes(rule, since, until):
    scores = (
        CustomerScore.objects.filter(
            churn_level=CustomerScore.ChurnLevel.HIGH,
            churn_rose_at__gte=since,
            churn_rose_at__lt=until,
            customer__tier=Customer.Tier.VIP,
            customer__merged_into__isnull=True,
        )
        .select_related("customer")
        .order_by("churn_rose_at", "customer_id")
    )
    for score in scores:
        last = score.last_order_at
        yield CareCause(
            customer_id=score.customer_id,
            # One task per rise: a VIP who comes back and drifts away again
            # is won back again.
            key=f"churn:{score.customer_id}:{timezone.localdate(score.churn_rose_at):%Y%m%d}",
            occurred_at=score.churn_rose_at,
            reference=score.customer.code,
            detail=_("Last order %(date)s, usually every %(days)s days.")
            % {
                "date": timezone.localdate(last).isoformat() if last else "-",
                "days": score.interval_days if score.interval_days is not None else "-",
            },
            priority="high",
        )


register_care_rule(
    CareRuleSpec(
        code="vip_win_back",
        name=gettext_lazy("Win back a VIP customer"),
        description=gettext_lazy(
            "A VIP customer's churn risk rose to high (nightly scoring): call them "
            "before they are lost."
        ),
        find=vip_win_back_causes,
        default_delay_days=0,
        order=40,
    )
)

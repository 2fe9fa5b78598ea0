"""The forms of the report pages: request a report, and create or edit a
schedule. The rules are the services' (analytics.services.reports); these
forms only offer the choices the user has."""

from datetime import time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from analytics.models import Report, ReportSchedule
from analytics.models.reports import WEEKDAY_NAMES
from analytics.reports.kinds import kinds_for
from erp.core.widgets import style_form

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

WEEKDAYS = [(str(day), name) for day, name in enumerate(WEEKDAY_NAMES)]


def _code_choices(model, empty_label) -> list[tuple[str, str]]:
    rows = model.objects.filter(active=True).order_by("code").values_list("code", "name")
    return [("", empty_label), *((code, f"{code} {name}") for code, name in rows)]


class _KindMixin:
    def _limit_kinds(self, user, current: str | None = None):
        allowed = [(spec.key, spec.label) for spec in kinds_for(user)]
        if current and current not in {key for key, _label in allowed}:
            # Kept visible on an existing schedule; the service refuses it if chosen.
            allowed.append((current, Report.Kind(current).label))
        self.fields["kind"].choices = allowed
        self.kind_help = {spec.key: spec.description for spec in kinds_for(user)}

    def _place_choices(self):
        from inventory.models import Warehouse
        from orders.models import SalesChannel

        self.fields["channel"].choices = _code_choices(SalesChannel, _("all channels"))
        self.fields["warehouse"].choices = _code_choices(Warehouse, _("all warehouses"))


class ReportRequestForm(_KindMixin, forms.Form):
    kind = forms.ChoiceField(label=_("kind"))
    format = forms.ChoiceField(label=_("format"), choices=Report.Format.choices, initial="xlsx")
    date_from = forms.DateField(label=_("from"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("to"), required=False, widget=DATE)
    channel = forms.ChoiceField(label=_("sales channel"), required=False)
    warehouse = forms.ChoiceField(label=_("warehouse"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self._limit_kinds(user)
        self._place_choices()
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("date_from", today - timedelta(days=30))
            self.initial.setdefault("date_to", today - timedelta(days=1))
        style_form(self)


class ReportScheduleForm(_KindMixin, forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    kind = forms.ChoiceField(label=_("kind"))
    format = forms.ChoiceField(label=_("format"), choices=Report.Format.choices, initial="xlsx")
    period = forms.ChoiceField(
        label=_("period"),
        choices=ReportSchedule.Period.choices,
        initial=ReportSchedule.Period.LAST_7_DAYS,
        help_text=_("The days the report covers, counted back from the day it runs."),
    )
    channel = forms.ChoiceField(label=_("sales channel"), required=False)
    warehouse = forms.ChoiceField(label=_("warehouse"), required=False)
    frequency = forms.ChoiceField(
        label=_("frequency"),
        choices=ReportSchedule.Frequency.choices,
        initial=ReportSchedule.Frequency.WEEKLY,
    )
    at_time = forms.TimeField(
        label=_("at (local time)"),
        initial=time(7, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    weekday = forms.ChoiceField(
        label=_("weekday"),
        choices=[("", "—"), *WEEKDAYS],
        required=False,
        help_text=_("For weekly schedules."),
    )
    month_day = forms.IntegerField(
        label=_("day of the month"),
        min_value=1,
        max_value=28,
        required=False,
        help_text=_("For monthly schedules (1 to 28)."),
    )
    recipients = forms.CharField(
        label=_("mail to"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("E-mail addresses, one per line or separated by commas."),
    )

    def __init__(self, *args, user, schedule: ReportSchedule | None = None, **kwargs):
        if schedule is not None and not args and "data" not in kwargs:
            kwargs["initial"] = {
                "name": schedule.name,
                "kind": schedule.kind,
                "format": schedule.format,
                "period": schedule.period,
                "channel": schedule.parameters.get("channel", ""),
                "warehouse": schedule.parameters.get("warehouse", ""),
                "frequency": schedule.frequency,
                "at_time": schedule.at_time,
                "weekday": "" if schedule.weekday is None else str(schedule.weekday),
                "month_day": schedule.month_day,
                "recipients": "\n".join(schedule.recipients),
            }
        super().__init__(*args, **kwargs)
        self._limit_kinds(user, schedule.kind if schedule else None)
        self._place_choices()
        style_form(self)

"""Staff pages of SLA policies and service calendars: lists, forms, and a
calendar's holidays and make-up working days. After-sales staff may look;
changing them takes the change permissions (admins)."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.generic import TemplateView, View

from aftersales.filters.sla import BusinessCalendarFilter, SlaPolicyFilter
from aftersales.models import BusinessCalendar, Priority, SlaPolicy
from aftersales.selectors import calendar_list, sla_policy_list
from aftersales.services.sla_admin import (
    calendar_create,
    calendar_day_add,
    calendar_day_remove,
    calendar_update,
    sla_policy_create,
    sla_policy_update,
)
from crm.models import Customer
from erp.core.errors import DomainError
from erp.core.forms import ServiceFormView
from erp.core.views import StaffListView, StaffPageMixin
from erp.core.widgets import style_form

WEEKDAYS = [
    (1, _("Monday")),
    (2, _("Tuesday")),
    (3, _("Wednesday")),
    (4, _("Thursday")),
    (5, _("Friday")),
    (6, _("Saturday")),
    (7, _("Sunday")),
]
WEEKDAY_SHORT = {
    1: _("Mon"),
    2: _("Tue"),
    3: _("Wed"),
    4: _("Thu"),
    5: _("Fri"),
    6: _("Sat"),
    7: _("Sun"),
}


def weekdays_text(days) -> str:
    return ", ".join(
        str(WEEKDAY_SHORT[int(d)]) for d in sorted(days or ()) if int(d) in WEEKDAY_SHORT
    )


def minutes_text(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return str(_("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest})
    if hours:
        return str(_("%(hours)d h") % {"hours": hours})
    return str(_("%(minutes)d min") % {"minutes": rest})


# --- Forms ------------------------------------------------------------------------------


class SlaPolicyForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    priority = forms.ChoiceField(label=_("priority"), choices=Priority.choices)
    customer_tier = forms.ChoiceField(
        label=_("customer tier"),
        choices=[("", _("any tier")), *Customer.Tier.choices],
        required=False,
    )
    first_response_minutes = forms.IntegerField(
        label=_("first response (minutes)"), min_value=1, max_value=525_600
    )
    resolution_minutes = forms.IntegerField(
        label=_("resolution (minutes)"), min_value=1, max_value=525_600
    )
    warn_at_percent = forms.IntegerField(
        # xgettext:no-python-format
        label=_("warn at (% of target)"),
        min_value=1,
        max_value=99,
        initial=80,
    )
    calendar = forms.ModelChoiceField(
        label=_("calendar"),
        queryset=BusinessCalendar.objects.order_by("code"),
        to_field_name="code",
    )
    active = forms.BooleanField(label=_("active"), required=False, initial=True)


class BusinessCalendarForm(forms.Form):
    code = forms.CharField(label=_("code"), max_length=20)
    name = forms.CharField(label=_("name"), max_length=100)
    always_open = forms.BooleanField(
        label=_("24x7"), required=False, help_text=_("Every minute counts; the days are ignored.")
    )
    working_days = forms.TypedMultipleChoiceField(
        label=_("working days"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        initial=[1, 2, 3, 4, 5],
        widget=forms.CheckboxSelectMultiple,
    )
    day_start = forms.TimeField(
        label=_("day starts"), initial="09:00", widget=forms.TimeInput(attrs={"type": "time"})
    )
    day_end = forms.TimeField(
        label=_("day ends"), initial="18:00", widget=forms.TimeInput(attrs={"type": "time"})
    )


class CalendarDayForm(forms.Form):
    date = forms.DateField(label=_("date"), widget=forms.DateInput(attrs={"type": "date"}))
    working = forms.TypedChoiceField(
        label=_("kind"),
        choices=[("0", _("holiday (closed)")), ("1", _("make-up working day"))],
        coerce=lambda value: value == "1",
        initial="0",
    )
    name = forms.CharField(label=_("name"), max_length=100, required=False)


def _style(form: forms.Form, *, styled: bool = True) -> forms.Form:
    """Bootstrap classes (`styled`: the form view has added them already);
    the weekday boxes are check boxes, not text inputs."""
    if not styled:
        style_form(form)
    if "working_days" in form.fields:  # check boxes, drawn by calendar_form.html
        form.fields["working_days"].widget.attrs.pop("class", None)
    return form


# --- SLA policies -------------------------------------------------------------------------


class SlaPolicyListView(StaffListView):
    permission_required = "aftersales.view_slapolicy"
    filterset_class = SlaPolicyFilter
    queryset = sla_policy_list()
    title = _("SLA policies")
    columns = [
        ("name", _("name"), "name"),
        ("priority", _("priority"), "priority_rank"),
        ("tier_text", _("customer tier")),
        ("first_response_text", _("first response"), "first_response_minutes"),
        ("resolution_text", pgettext_lazy("sla", "resolution"), "resolution_minutes"),
        # xgettext:no-python-format
        ("warn_at_percent", _("warn at (% of target)")),
        ("calendar.name", _("calendar")),
        ("active", _("active")),
    ]
    create_url_name = "aftersales:sla-policy-create"
    create_permission = "aftersales.add_slapolicy"
    empty_message = _("No SLA policies match these filters.")

    def paginate_queryset(self, queryset, page_size):
        paginator, page, object_list, is_paginated = super().paginate_queryset(queryset, page_size)
        for policy in object_list:
            _describe_policy(policy)
        return paginator, page, object_list, is_paginated

    def export(self, fmt: str, queryset):
        rows = [_describe_policy(policy) for policy in queryset[: self.export_limit]]
        return super().export(fmt, rows)

    def row_url(self, obj) -> str | None:
        if self.request.user.has_perm("aftersales.change_slapolicy"):
            return reverse("aftersales:sla-policy-edit", args=[obj.pk])
        return None


def _describe_policy(policy: SlaPolicy) -> SlaPolicy:
    policy.first_response_text = minutes_text(policy.first_response_minutes)
    policy.resolution_text = minutes_text(policy.resolution_minutes)
    policy.tier_text = policy.get_customer_tier_display() or _("any tier")
    return policy


class SlaPolicyCreateView(ServiceFormView):
    permission_required = "aftersales.add_slapolicy"
    form_class = SlaPolicyForm
    title = _("New SLA policy")
    success_message = _("SLA policy %(object)s saved.")
    cancel_url_name = "aftersales:sla-policy-list"

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        del form.fields["active"]  # a new policy starts active
        return _style(form)

    def perform(self, form):
        return sla_policy_create(**form.cleaned_data)

    def get_success_url_for(self, obj) -> str:
        return reverse("aftersales:sla-policy-list")


class SlaPolicyEditView(ServiceFormView):
    permission_required = "aftersales.change_slapolicy"
    form_class = SlaPolicyForm
    success_message = _("SLA policy %(object)s saved.")
    cancel_url_name = "aftersales:sla-policy-list"
    hint = _("Open tickets keep their due times until their clock is resumed or recomputed.")

    def dispatch(self, request, *args, **kwargs):
        self.policy = get_object_or_404(
            SlaPolicy.objects.select_related("calendar"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    @property
    def title(self):
        return _("Edit SLA policy %(name)s") % {"name": self.policy.name}

    def get_initial(self):
        policy = self.policy
        return {
            "name": policy.name,
            "priority": policy.priority,
            "customer_tier": policy.customer_tier,
            "first_response_minutes": policy.first_response_minutes,
            "resolution_minutes": policy.resolution_minutes,
            "warn_at_percent": policy.warn_at_percent,
            "calendar": policy.calendar.code,
            "active": policy.active,
        }

    def get_form(self, form_class=None):
        return _style(super().get_form(form_class))

    def perform(self, form):
        return sla_policy_update(policy=self.policy, **form.cleaned_data)

    def get_success_url_for(self, obj) -> str:
        return reverse("aftersales:sla-policy-list")


# --- Service calendars ----------------------------------------------------------------------


class BusinessCalendarListView(StaffListView):
    permission_required = "aftersales.view_businesscalendar"
    filterset_class = BusinessCalendarFilter
    queryset = calendar_list()
    title = _("Service calendars")
    columns = [
        ("code", _("code"), "code"),
        ("name", _("name"), "name"),
        ("always_open", _("24x7")),
        ("week_text", _("working days")),
        ("hours_text", _("hours")),
        ("holiday_count", _("holidays")),
        ("makeup_count", _("make-up working days")),
        ("policy_count", _("SLA policies")),
    ]
    create_url_name = "aftersales:calendar-create"
    create_permission = "aftersales.add_businesscalendar"
    empty_message = _("No calendars match these filters.")

    def paginate_queryset(self, queryset, page_size):
        paginator, page, object_list, is_paginated = super().paginate_queryset(queryset, page_size)
        for calendar in object_list:
            _describe(calendar)
        return paginator, page, object_list, is_paginated

    def export(self, fmt: str, queryset):
        return super().export(fmt, [_describe(c) for c in queryset[: self.export_limit]])

    def row_url(self, obj) -> str | None:
        return reverse("aftersales:calendar-detail", args=[obj.code])


def _describe(calendar: BusinessCalendar) -> BusinessCalendar:
    if calendar.always_open:
        calendar.week_text, calendar.hours_text = _("every day"), _("around the clock")
    else:
        calendar.week_text = weekdays_text(calendar.working_days)
        calendar.hours_text = f"{calendar.day_start:%H:%M}–{calendar.day_end:%H:%M}"
    return calendar


class BusinessCalendarCreateView(ServiceFormView):
    permission_required = "aftersales.add_businesscalendar"
    form_class = BusinessCalendarForm
    template_name = "aftersales/sla/calendar_form.html"
    title = _("New service calendar")
    success_message = _("Calendar %(object)s saved.")
    cancel_url_name = "aftersales:calendar-list"

    def get_form(self, form_class=None):
        return _style(super().get_form(form_class))

    def perform(self, form):
        return calendar_create(**form.cleaned_data)

    def get_success_url_for(self, obj) -> str:
        return reverse("aftersales:calendar-detail", args=[obj.code])


class BusinessCalendarEditView(ServiceFormView):
    permission_required = "aftersales.change_businesscalendar"
    form_class = BusinessCalendarForm
    template_name = "aftersales/sla/calendar_form.html"
    success_message = _("Calendar %(object)s saved.")
    cancel_url_name = "aftersales:calendar-list"
    hint = _("Open tickets keep their due times until their clock is resumed or recomputed.")

    def dispatch(self, request, *args, **kwargs):
        self.calendar = get_object_or_404(BusinessCalendar, code=kwargs["code"])
        return super().dispatch(request, *args, **kwargs)

    @property
    def title(self):
        return _("Edit calendar %(name)s") % {"name": self.calendar.name}

    def get_initial(self):
        calendar = self.calendar
        return {
            "code": calendar.code,
            "name": calendar.name,
            "always_open": calendar.always_open,
            "working_days": calendar.working_days,
            "day_start": calendar.day_start,
            "day_end": calendar.day_end,
        }

    def get_form(self, form_class=None):
        form = _style(super().get_form(form_class))
        form.fields["code"].disabled = True  # the key never changes
        return form

    def perform(self, form):
        changes = dict(form.cleaned_data)
        changes.pop("code")
        return calendar_update(calendar=self.calendar, **changes)

    def get_success_url_for(self, obj) -> str:
        return reverse("aftersales:calendar-detail", args=[obj.code])


class BusinessCalendarDetailView(StaffPageMixin, TemplateView):
    """A calendar's week and hours, its holidays and make-up days, and (for
    those who may change it) a form to add one. POST adds a day."""

    template_name = "aftersales/sla/calendar_detail.html"

    def get_permission_required(self):
        if self.request.method == "POST":
            return ["aftersales.change_businesscalendar"]
        return ["aftersales.view_businesscalendar"]

    def dispatch(self, request, *args, **kwargs):
        self.calendar = get_object_or_404(calendar_list(), code=kwargs["code"])
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        form = _style(CalendarDayForm(request.POST), styled=False)
        if form.is_valid():
            try:
                day = calendar_day_add(calendar=self.calendar, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request,
                    _("%(date)s added to %(calendar)s.")
                    % {"date": day.date.isoformat(), "calendar": self.calendar.name},
                )
                return redirect("aftersales:calendar-detail", self.calendar.code)
        return self.render_to_response(self.get_context_data(day_form=form))

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        calendar = _describe(self.calendar)
        days = list(calendar.days.all())
        for day in days:
            day.weekday_text = WEEKDAY_SHORT[day.date.isoweekday()]
        can_change = self.request.user.has_perm("aftersales.change_businesscalendar")
        ctx.update(
            calendar=calendar,
            holidays=[d for d in days if not d.working],
            makeup_days=[d for d in days if d.working],
            policies=list(calendar.policies.order_by("priority", "customer_tier")),
            can_change=can_change,
        )
        if can_change and not calendar.always_open:
            ctx.setdefault("day_form", _style(CalendarDayForm(), styled=False))
        return ctx


class CalendarDayRemoveView(StaffPageMixin, View):
    permission_required = "aftersales.change_businesscalendar"
    http_method_names = ["post"]

    def post(self, request, code, date):
        calendar = get_object_or_404(BusinessCalendar, code=code)
        day = forms.DateField().clean(date)
        try:
            calendar_day_remove(calendar=calendar, date=day)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(date)s removed.") % {"date": day.isoformat()})
        return redirect("aftersales:calendar-detail", calendar.code)


urlpatterns = [
    path("sla-policies/", SlaPolicyListView.as_view(), name="sla-policy-list"),
    path("sla-policies/new/", SlaPolicyCreateView.as_view(), name="sla-policy-create"),
    path("sla-policies/<int:pk>/edit/", SlaPolicyEditView.as_view(), name="sla-policy-edit"),
    path("calendars/", BusinessCalendarListView.as_view(), name="calendar-list"),
    path("calendars/new/", BusinessCalendarCreateView.as_view(), name="calendar-create"),
    path("calendars/<str:code>/", BusinessCalendarDetailView.as_view(), name="calendar-detail"),
    path("calendars/<str:code>/edit/", BusinessCalendarEditView.as_view(), name="calendar-edit"),
    path(
        "calendars/<str:code>/days/<str:date>/remove/",
        CalendarDayRemoveView.as_view(),
        name="calendar-day-remove",
    ),
]

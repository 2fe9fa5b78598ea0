"""Forms of the care task pages."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from crm.models import CareTask, Interaction
from crm.services.care import care_assignee_choices
from erp.core.templatetags.erp_tags import person_name

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class AssigneeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = person_name(obj)
        return name if name == obj.get_username() else f"{name} ({obj.get_username()})"


class _AssigneeMixin:
    def _set_assignees(self, actor, required: bool):
        field = self.fields["assignee"]
        field.queryset = care_assignee_choices(actor).order_by("username")
        field.required = required


class CareTaskCreateForm(_AssigneeMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    detail = forms.CharField(
        label=_("detail"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    due_at = forms.DateTimeField(
        label=_("due"), widget=DATETIME, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    priority = forms.ChoiceField(
        label=_("priority"), choices=CareTask.Priority.choices, initial=CareTask.Priority.NORMAL
    )
    assignee = AssigneeChoiceField(
        label=_("assignee"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_("Empty: the customer's account manager."),
    )
    reference = forms.CharField(label=_("reference"), max_length=100, required=False)

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_assignees(actor, required=False)


class CareTaskCompleteForm(forms.Form):
    outcome = forms.CharField(
        label=_("outcome"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    reached_by = forms.ChoiceField(
        label=_("reached the customer by"),
        choices=[("", _("— not reached / no contact to log —")), *Interaction.Kind.choices],
        required=False,
        help_text=_("Logs the contact as an interaction linked to the task."),
    )


class CareTaskCancelForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=1000)


class CareTaskReassignForm(_AssigneeMixin, forms.Form):
    assignee = AssigneeChoiceField(label=_("assignee"), queryset=get_user_model().objects.none())

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_assignees(actor, required=True)


class CareRuleForm(forms.Form):
    enabled = forms.BooleanField(label=_("on"), required=False)
    delay_days = forms.IntegerField(label=_("days after the cause"), min_value=0, max_value=365)
    threshold = forms.DecimalField(
        label=_("threshold"), required=False, min_value=0, max_digits=14, decimal_places=2
    )

"""Bootstrap classes for Django form widgets, so templates stay plain."""

from django import forms


def style_form(form: forms.Form, *, small: bool = False) -> forms.Form:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):  # and checkbox lists
            css = "form-check-input"
        elif isinstance(widget, forms.Select | forms.NullBooleanSelect):
            css = "form-select" + (" form-select-sm" if small else "")
        else:
            css = "form-control" + (" form-control-sm" if small else "")
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
    return form

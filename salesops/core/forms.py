"""Form rendering shared by every app: Tabler classes on each widget, set once here."""

from __future__ import annotations

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils.text import capfirst


class TablerBoundField(forms.BoundField):
    """Renders inputs with the toolkit's classes, marked invalid when the field has errors,
    so templates can print ``{{ field }}`` without per-widget markup. A field the service
    requires (``service_required``) is marked required although the form lets it through,
    so the service can report every missing field at once."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        kind = getattr(widget, "input_type", "")
        if isinstance(widget, forms.Select):
            kind = "select"
        base = {"select": "form-select", "checkbox": "form-check-input"}.get(kind, "form-control")
        classes = [attrs.get("class", ""), base, "is-invalid" if self.errors else ""]
        attrs["class"] = " ".join(dict.fromkeys(c for c in classes if c))
        if getattr(self.field, "service_required", False):
            attrs["required"] = True
        return attrs

    @property
    def marked_required(self) -> bool:
        """Whether the label gets the "required" mark (checked by the form or the service)."""
        return self.field.required or getattr(self.field, "service_required", False)


class TablerFormMixin:
    """Use :class:`TablerBoundField` for every field of the form."""

    bound_field_class = TablerBoundField


class ServiceModelForm(forms.ModelForm):
    """A ModelForm that only parses: the service validates and writes (pages, API and feed
    share one set of rules), so the form skips building the instance and ``full_clean``."""

    def _post_clean(self):
        pass

    def service_data(self) -> dict:
        return dict(self.cleaned_data)


def attach_service_errors(form, exc: ValidationError) -> None:
    """Each error a service raised on its form field; errors about fields the form does not
    show, or about the whole record, on top of the form, named by the field's label."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        if field in form.fields:
            form.add_error(field, errors)
        elif field == "__all__" or field.startswith("custom."):
            form.add_error(None, errors)  # a custom field's messages name it
        else:
            label = field
            model = getattr(getattr(form, "_meta", None), "model", None)
            if model is not None:
                try:
                    label = capfirst(model._meta.get_field(field).verbose_name)
                except FieldDoesNotExist:  # not a model field: the key as it came
                    pass
            form.add_error(None, [f"{label}: {e}" for e in errors])

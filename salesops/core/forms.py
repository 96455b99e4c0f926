"""Form rendering shared by every app: Tabler classes on each widget, set once here."""

from __future__ import annotations

from django import forms


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

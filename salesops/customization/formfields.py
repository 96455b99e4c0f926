"""Custom fields and form layouts in an entity's Django form.

An entity form (``customers.forms.AccountForm`` …) mixes in :class:`CustomFieldsFormMixin`
and calls :meth:`~CustomFieldsFormMixin.init_custom_fields` at the end of ``__init__``.
The form fields only parse what the browser sent; the values are checked by the entity's
service (``clean_custom``), which reports every problem at once, named ``custom.<key>`` —
the name of the form field, so each error lands under its input.
"""

from __future__ import annotations

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from salesops.core.forms import TablerBoundField

from . import selectors, types
from .models import FieldType, FormLayout
from .selectors import custom_entity
from .services import CUSTOM_PREFIX


class RawListField(forms.Field):
    """A multiple select whose values the service checks (a form-level check would stop
    at the first bad field and hide the others)."""

    widget = forms.SelectMultiple

    def to_python(self, value):
        if not value:
            return []
        return [str(v) for v in value]


def formfield_for(definition) -> forms.Field:
    """A form field for one custom field, with a widget that suits its type (date picker,
    decimal keypad on phones, select for choices and users)."""
    kind = definition.type
    options = {"label": definition.label, "help_text": definition.help_text, "required": False}
    empty = [("", "—")]
    if kind == FieldType.LONG_TEXT:
        field = forms.CharField(
            widget=forms.Textarea(attrs={"rows": 3, "maxlength": types.LONG_TEXT_MAX}), **options
        )
    elif kind in (FieldType.NUMBER, FieldType.MONEY):
        # Text with a decimal keypad rather than type=number: a browser sends an empty
        # value for "1,200" in a number input, and the record would silently lose it.
        attrs = {"inputmode": "decimal", "autocomplete": "off"}
        if kind == FieldType.MONEY:
            attrs["placeholder"] = "0.00"
        field = forms.CharField(widget=forms.TextInput(attrs=attrs), **options)
    elif kind == FieldType.DATE:
        field = forms.CharField(
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **options
        )
    elif kind == FieldType.DATETIME:
        field = forms.CharField(
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            **options,
        )
    elif kind == FieldType.CHOICE:
        choices = [(c["value"], c.get("label") or c["value"]) for c in definition.choices]
        field = forms.CharField(widget=forms.Select(choices=empty + choices), **options)
    elif kind == FieldType.MULTI_CHOICE:
        choices = [(c["value"], c.get("label") or c["value"]) for c in definition.choices]
        field = RawListField(widget=forms.SelectMultiple(choices=choices), **options)
    elif kind == FieldType.USER:
        field = forms.CharField(
            widget=forms.Select(choices=empty + types.user_choices()), **options
        )
    elif kind == FieldType.BOOLEAN:
        widget = forms.NullBooleanSelect()
        widget.choices = [("unknown", "—"), ("true", _("Yes")), ("false", _("No"))]
        field = forms.NullBooleanField(widget=widget, **options)
    else:
        field = forms.CharField(
            widget=forms.TextInput(attrs={"maxlength": types.TEXT_MAX}), **options
        )
    field.service_required = definition.required
    field.custom_definition = definition
    return field


class CustomFieldsFormMixin:
    """Adds a form field per active custom field of ``custom_entity`` and applies the
    entity's form layout (order, which fields, which are required)."""

    custom_entity: str = ""

    def init_custom_fields(self, layout: str | None = FormLayout.DEFAULT) -> None:
        self.custom_definitions = selectors.definitions(self.custom_entity)
        stored = (self.instance.custom or {}) if self.instance.pk else {}
        for definition in self.custom_definitions:
            self.fields[definition.path] = formfield_for(definition)
            value = stored.get(definition.key) if self.instance.pk else definition.default
            if value is not None:
                self.initial.setdefault(definition.path, types.form_value(definition, value))
        self.layout = selectors.layout_get(self.custom_entity, layout) if layout else None
        self.layout_required: list[str] = []
        if self.layout is not None:
            self._apply_layout(self.layout)

    def _apply_layout(self, layout: FormLayout) -> None:
        model = custom_entity(self.custom_entity).model
        order = [name for name in layout.field_names if name in self.fields]
        # Fields a record cannot be saved without stay on the form even if a layout made
        # before they became required leaves them out.
        always = [n for n in model.layout_required if n in self.fields]
        always += [d.path for d in self.custom_definitions if d.required]
        for name in always:
            if name in order:
                continue
            if name in model.layout_required:
                order.insert(0, name)
            else:
                order.append(name)
        self.fields = {name: self.fields[name] for name in order}
        for name in layout.required_names:
            if name in self.fields:
                self.fields[name].service_required = True
                self.layout_required.append(name)

    @property
    def custom_bound_fields(self) -> list:
        """The custom fields' bound fields, for the "More fields" part of a form."""
        return [self[d.path] for d in self.custom_definitions if d.path in self.fields]

    def service_data(self) -> dict:
        data = super().service_data()
        custom = {}
        for name in list(data):
            if name.startswith(CUSTOM_PREFIX):
                custom[name.removeprefix(CUSTOM_PREFIX)] = data.pop(name)
        data["custom"] = custom
        if self.layout_required:
            data["required_fields"] = list(self.layout_required)
        return data


class PreviewForm(forms.Form):
    """A read-only rendering of a layout on the admin page: how the entry form will look."""

    bound_field_class = TablerBoundField

    def __init__(self, entity_key: str, items: list[dict]):
        super().__init__()
        entity = custom_entity(entity_key)
        definitions = {d.path: d for d in selectors.definitions(entity_key)}
        required = {item["field"] for item in items if item.get("required")}
        for item in items:
            name = item["field"]
            if name in definitions:
                field = formfield_for(definitions[name])
            else:
                model_field = entity.model._meta.get_field(name)
                if model_field.is_relation:
                    # Not the real options: a picker of every account would be huge.
                    field = forms.CharField(
                        label=capfirst(model_field.verbose_name),
                        widget=forms.Select(choices=[("", "—")]),
                    )
                else:
                    field = model_field.formfield()
                field.service_required = not model_field.blank
            if name in required:
                field.service_required = True
            field.required = False
            field.disabled = True
            self.fields[name] = field

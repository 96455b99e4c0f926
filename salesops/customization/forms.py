"""Forms of the admin pages: a custom field definition, and reading a layout editor's POST.

As elsewhere, the forms parse and the services validate (``validation.check_definition``).
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesops.core.forms import TablerBoundField

from .models import CHOICE_TYPES, CustomFieldDefinition, FieldType
from .selectors import custom_entities, custom_entity, definitions, layout_choices
from .validation import COMPATIBLE_TYPES


def choices_to_text(choices: list[dict]) -> str:
    lines = []
    for c in choices or []:
        label = c.get("label") or c["value"]
        lines.append(c["value"] if label == c["value"] else f"{c['value']} | {label}")
    return "\n".join(lines)


def text_to_choices(text: str) -> list[dict]:
    """One choice per line, ``value | label`` or just ``label`` (then also the value)."""
    out = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        value, _sep, label = line.partition("|")
        out.append({"value": value.strip(), "label": label.strip() or value.strip()})
    return out


def default_to_text(definition: CustomFieldDefinition) -> str:
    value = definition.default
    if value is None:
        return ""
    if definition.type == FieldType.MULTI_CHOICE and isinstance(value, list):
        return ", ".join(value)
    if definition.type == FieldType.BOOLEAN:
        return "yes" if value else "no"
    if definition.type == FieldType.DATETIME and isinstance(value, str):
        try:
            return timezone.localtime(dt.datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    return str(value)


class DefinitionForm(forms.Form):
    bound_field_class = TablerBoundField

    entity = forms.ChoiceField(label=_("Entity"))
    key = forms.CharField(
        label=_("Key"),
        max_length=40,
        required=False,
        help_text=CustomFieldDefinition._meta.get_field("key").help_text,
    )
    label_zh = forms.CharField(label=_("Label (Chinese)"), max_length=100, required=False)
    label_en = forms.CharField(label=_("Label (English)"), max_length=100, required=False)
    type = forms.ChoiceField(label=_("Type"), choices=FieldType.choices)
    required = forms.BooleanField(label=_("Required"), required=False)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("For choice fields: one per line, “value | label” or just the label."),
    )
    default = forms.CharField(
        label=_("Default value"),
        required=False,
        help_text=_(
            "Filled in on new records. Dates as YYYY-MM-DD, yes/no as “yes” or “no”, "
            "several choices separated by commas, a user by id."
        ),
    )
    help_zh = forms.CharField(label=_("Help text (Chinese)"), max_length=300, required=False)
    help_en = forms.CharField(label=_("Help text (English)"), max_length=300, required=False)
    order = forms.IntegerField(
        label=_("Order"),
        required=False,
        help_text=_("Smaller numbers come first; leave empty to add at the end."),
    )
    show_in_list = forms.BooleanField(
        label=_("Show in lists"),
        required=False,
        help_text=_("A column and a filter on the list page."),
    )

    def __init__(self, *args, instance: CustomFieldDefinition | None = None, **kwargs):
        self.instance = instance
        if instance is not None:
            kwargs["initial"] = {
                **(kwargs.get("initial") or {}),
                **{
                    "entity": instance.entity,
                    "key": instance.key,
                    "label_zh": instance.label_zh,
                    "label_en": instance.label_en,
                    "type": instance.type,
                    "required": instance.required,
                    "choices": choices_to_text(instance.choices),
                    "default": default_to_text(instance),
                    "help_zh": instance.help_zh,
                    "help_en": instance.help_en,
                    "order": instance.order,
                    "show_in_list": instance.show_in_list,
                },
            }
        super().__init__(*args, **kwargs)
        self.fields["entity"].choices = [(e.key, e.label) for e in custom_entities()]
        self.fields["type"].widget.attrs["x-model"] = "type"  # shows "choices" for choice types
        self.fields["key"].service_required = instance is None
        if instance is not None:
            # The key and entity are fixed once records may hold values under them, and
            # the type may only change to one whose values fit (text ↔ long text …).
            self.fields["entity"].disabled = True
            self.fields["key"].disabled = True
            group = next((g for g in COMPATIBLE_TYPES if instance.type in g), {instance.type})
            self.fields["type"].choices = [(v, lbl) for v, lbl in FieldType.choices if v in group]

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        kind = data.get("type")
        data["choices"] = text_to_choices(data.get("choices", "")) if kind in CHOICE_TYPES else []
        default = (data.get("default") or "").strip()
        if not default:
            data["default"] = None
        elif kind == FieldType.MULTI_CHOICE:
            data["default"] = [
                v.strip() for v in default.replace("，", ",").split(",") if v.strip()
            ]
        else:
            data["default"] = default
        if self.instance is not None:
            data.pop("entity", None)
            data.pop("key", None)
        return data


def layout_rows(entity_key: str, layout) -> list[dict]:
    """The layout editor's rows: the layout's fields in its order, then the fields it
    leaves out; each with whether it is shown, required, and locked (always required)."""
    entity = custom_entity(entity_key)
    labels = dict(layout_choices(entity_key))
    locked = set(entity.model.layout_required)
    locked |= {d.path for d in definitions(entity_key) if d.required}
    if layout is not None:
        order = [n for n in layout.field_names if n in labels]
        order += [n for n in labels if n not in order]
        shown = set(layout.field_names)
        required = layout.required_names
    else:
        order, shown, required = list(labels), set(labels), set()
    return [
        {
            "name": name,
            "label": labels[name],
            "custom": name.startswith("custom."),
            "shown": name in shown or name in locked,
            "required": name in required or name in locked,
            "locked": name in locked,
        }
        for name in order
    ]


def layout_items_from_post(data) -> list[dict]:
    """``[{"field", "required"}]`` from the editor's POST: rows in page order (``field``),
    ticked ``show`` and ``required`` boxes."""
    shown = set(data.getlist("show"))
    required = set(data.getlist("required"))
    return [
        {"field": name, "required": name in required}
        for name in data.getlist("field")
        if name in shown
    ]

"""Reads of custom field definitions and form layouts, used by forms, filters, pages,
exports, the API and rule conditions."""

from __future__ import annotations

from django.utils.text import capfirst

from salesops.core import entities
from salesops.core.configcache import ConfigCache

from . import types
from .models import CustomFieldDefinition, CustomFieldsModel, FieldType, FormLayout

# Every lead intake validates custom fields and hands them to routing conditions: the
# definitions are read once per process and age limit, not once per record.
definitions_cache = ConfigCache("custom-fields")


def definitions(entity_key: str, *, include_inactive: bool = False) -> list[CustomFieldDefinition]:
    """The entity's custom fields in display order (active ones unless asked). Callers
    share the instances: read them, never change them."""

    def build():
        qs = CustomFieldDefinition.objects.filter(entity=entity_key)
        if not include_inactive:
            qs = qs.filter(active=True)
        return tuple(qs.order_by("order", "id"))

    return list(definitions_cache.get((entity_key, include_inactive), build))


def custom_entities() -> list[entities.Entity]:
    """The registered entities whose model carries custom fields."""
    return [e for e in entities.all_entities() if issubclass(e.model, CustomFieldsModel)]


def custom_entity(key: str) -> entities.Entity | None:
    return next((e for e in custom_entities() if e.key == key), None)


def layout_choices(entity_key: str) -> list[tuple[str, str]]:
    """``(name, label)`` of every field a layout of this entity may show: the model's
    form fields, then the active custom fields."""
    entity = custom_entity(entity_key)
    if entity is None:
        return []
    model = entity.model
    out = []
    for name in model.form_field_names():
        out.append((name, capfirst(str(model._meta.get_field(name).verbose_name))))
    for definition in definitions(entity_key):
        out.append((definition.path, definition.label))
    return out


def definition_get(pk: int) -> CustomFieldDefinition:
    return CustomFieldDefinition.objects.get(pk=pk)


def layouts(entity_key: str) -> list[FormLayout]:
    return list(FormLayout.objects.filter(entity=entity_key).order_by("name"))


def layout_get(entity_key: str, name: str = FormLayout.DEFAULT) -> FormLayout | None:
    return FormLayout.objects.filter(entity=entity_key, name=name).first()


def display_rows(entity_key: str, instance) -> list[dict]:
    """``[{"key", "label", "value", "type"}]`` of the active custom fields for a detail
    page; ``value`` is "" when the record has none."""
    stored = getattr(instance, "custom", None) or {}
    return [
        {
            "key": d.key,
            "label": d.label,
            "type": d.type,
            "value": types.display(d, stored.get(d.key)),
        }
        for d in definitions(entity_key)
    ]


def list_columns(entity_key: str) -> list[CustomFieldDefinition]:
    """Custom fields an admin chose to show as list columns and filters."""
    return [d for d in definitions(entity_key) if d.show_in_list]


def export_columns(entity_key: str) -> list[tuple[str, object]]:
    """One ``(header, accessor)`` export column per active custom field (core.exports)."""
    return [(d.label, _export_getter(d)) for d in definitions(entity_key)]


def _export_getter(definition):
    if definition.type != FieldType.USER:
        return lambda obj: types.export_value(definition, (obj.custom or {}).get(definition.key))
    labels: dict = {}  # one query per distinct user, not per row

    def get(obj):
        pk = (obj.custom or {}).get(definition.key)
        if pk is None:
            return None
        if pk not in labels:
            labels[pk] = types.user_label(pk)
        return labels[pk]

    return get

"""Writes of custom field definitions and form layouts, and the validation of custom field
values that every entity's services run (``clean_custom`` / ``merge_custom``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from salesops.core.history import save_with_history

from . import types
from .models import CHOICE_TYPES, CustomFieldDefinition, FormLayout
from .selectors import definitions

CUSTOM_PREFIX = "custom."


def _labelled(definition, messages: Iterable[str]) -> list[str]:
    return [
        _("%(label)s: %(problem)s") % {"label": definition.label, "problem": m} for m in messages
    ]


def _required_message(definition) -> str:
    if definition.type in CHOICE_TYPES:
        return _("%(label)s is required; choose one of: %(choices)s.") % {
            "label": definition.label,
            "choices": ", ".join(definition.choice_labels.values()),
        }
    return _("%(label)s is required; please fill it in.") % {"label": definition.label}


def clean_custom(
    entity_key: str,
    data: dict | None,
    *,
    partial: bool = False,
    required: Iterable[str] = (),
) -> dict[str, Any]:
    """Convert and check custom field values for one record of ``entity_key``.

    Returns the stored form of every key given (``None`` meaning "clear it"), plus, unless
    ``partial`` (an update), the defaults of fields not given. ``required`` names further
    keys a form layout requires. Raises one ``ValidationError`` keyed ``custom.<key>``
    listing every problem, each message naming the field and what to enter.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationError(
            {"custom": _("Send the custom fields as an object of {key: value}.")},
            code="invalid",
        )
    every = definitions(entity_key, include_inactive=True)
    by_key = {d.key: d for d in every}
    active = [d for d in every if d.active]
    required = {k.removeprefix(CUSTOM_PREFIX) for k in required}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for key, value in data.items():
        definition = by_key.get(key)
        if definition is None:
            known = ", ".join(d.key for d in active) or _("none")
            errors[f"{CUSTOM_PREFIX}{key}"] = [
                _("Unknown custom field “%(key)s”. Known custom fields: %(known)s.")
                % {"key": key, "known": known}
            ]
            continue
        if not definition.active:
            errors[definition.path] = [
                _("The custom field “%(label)s” is switched off; leave it out.")
                % {"label": definition.label}
            ]
            continue
        try:
            cleaned[key] = types.to_storage(definition, value)
        except ValidationError as exc:
            errors[definition.path] = _labelled(definition, exc.messages)
    for definition in active:
        if definition.path in errors:
            continue
        given = definition.key in data
        if not given and not partial and definition.default is not None:
            try:
                cleaned[definition.key] = types.to_storage(definition, definition.default)
            except ValidationError:
                # The choices changed since the default was set; better no value than a
                # wrong one, and the admin page shows the problem when the field is edited.
                cleaned[definition.key] = None
        must = definition.required or definition.key in required
        if must and (given or not partial) and cleaned.get(definition.key) is None:
            errors[definition.path] = [_required_message(definition)]
    if errors:
        raise ValidationError(errors)
    return cleaned


def merge_custom(
    instance,
    entity_key: str,
    data: dict | None,
    *,
    partial: bool,
    required: Iterable[str] = (),
) -> dict[str, list[str]]:
    """Validate ``data`` and put the result into ``instance.custom`` (kept values stay on
    an update; cleared ones are removed). Returns the errors instead of raising, so the
    entity's service reports them together with its own fields'."""
    try:
        cleaned = clean_custom(entity_key, data, partial=partial, required=required)
    except ValidationError as exc:
        return exc.message_dict
    merged = dict(instance.custom or {}) if partial else {}
    merged.update(cleaned)
    instance.custom = {k: v for k, v in merged.items() if v is not None}
    return {}


def changed_keys(before: dict, after: dict) -> list[str]:
    """``custom.<key>`` for every custom value that differs (for ``*.updated`` events)."""
    before, after = before or {}, after or {}
    return [
        f"{CUSTOM_PREFIX}{k}"
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k)
    ]


def required_model_fields(instance, names: Iterable[str]) -> dict[str, list[str]]:
    """Errors for model fields a form layout requires but that are empty."""
    errors = {}
    for name in names:
        if name.startswith(CUSTOM_PREFIX):
            continue
        try:
            field = instance._meta.get_field(name)
        except FieldDoesNotExist:
            errors[name] = [_("Unknown field.")]
            continue
        if types.is_empty(getattr(instance, field.attname, None)):
            errors[name] = [_("This field is required on this form.")]
    return errors


# --- definitions -------------------------------------------------------------------------

DEFINITION_FIELDS = (
    "key",
    "label_zh",
    "label_en",
    "type",
    "required",
    "default",
    "help_zh",
    "help_en",
    "order",
    "choices",
    "show_in_list",
    "active",
)


def normalise_choices(choices) -> list:
    """``["A", {"value": "b", "label": "B"}]`` → ``[{"value": "A", "label": "A"}, …]``;
    anything else is kept as given for ``check_definition`` to report."""
    if not choices:
        return []
    if not isinstance(choices, (list, tuple)):
        return choices
    out = []
    for choice in choices:
        if isinstance(choice, str):
            choice = {"value": choice.strip(), "label": choice.strip()}
        elif isinstance(choice, dict):
            value = choice.get("value")
            label = choice.get("label")
            value = value.strip() if isinstance(value, str) else value
            label = label.strip() if isinstance(label, str) else label
            choice = {"value": value, "label": label or value}
        out.append(choice)
    return out


def can_manage(user) -> bool:
    """Sales-ops admins define custom fields and form layouts (pages and API alike)."""
    return bool(
        user is not None and user.is_authenticated and user.is_active and user.is_admin_role
    )


def require_admin(actor) -> None:
    if not can_manage(actor):
        raise PermissionDenied(_("Only sales-ops admins may change custom fields and forms."))


def _full_clean(instance) -> None:
    instance.full_clean(validate_constraints=False, validate_unique=False)


def _set(definition, data: dict) -> None:
    unknown = set(data) - set(DEFINITION_FIELDS)
    if unknown:
        raise ValidationError({f: _("Unknown field.") for f in sorted(unknown)})
    for name, value in data.items():
        if name == "order" and value is None:
            continue  # "put it at the end" on create; unchanged on update
        if isinstance(value, str) and name != "default":
            value = value.strip()
        if name == "choices":
            value = normalise_choices(value)
        setattr(definition, name, value)
    if definition.type not in CHOICE_TYPES and "choices" not in data:
        # Switching a choice field to, say, text: its options no longer apply.
        definition.choices = []


@transaction.atomic
def definition_create(*, actor, entity: str, **data) -> CustomFieldDefinition:
    require_admin(actor)
    definition = CustomFieldDefinition(created_by=actor, entity=(entity or "").strip())
    _set(definition, data)
    if data.get("order") is None:
        top = CustomFieldDefinition.objects.filter(entity=definition.entity).aggregate(
            m=Max("order")
        )["m"]
        definition.order = (top or 0) + 10
    _full_clean(definition)
    save_with_history(definition, actor, "created")
    return definition


@transaction.atomic
def definition_update(*, actor, definition: CustomFieldDefinition, **data):
    require_admin(actor)
    definition = CustomFieldDefinition.objects.select_for_update().get(pk=definition.pk)
    _set(definition, data)
    _full_clean(definition)
    save_with_history(definition, actor, "updated")
    return definition


def definition_deactivate(*, actor, definition: CustomFieldDefinition):
    """Hide the field everywhere; the values already entered are kept."""
    return definition_update(actor=actor, definition=definition, active=False)


def definition_activate(*, actor, definition: CustomFieldDefinition):
    return definition_update(actor=actor, definition=definition, active=True)


# --- layouts -----------------------------------------------------------------------------


@transaction.atomic
def layout_save(*, actor, entity: str, name: str = FormLayout.DEFAULT, fields: list) -> FormLayout:
    """Create or replace the layout ``name`` of ``entity``."""
    require_admin(actor)
    layout = FormLayout.objects.select_for_update().filter(
        entity=entity, name=name
    ).first() or FormLayout(entity=entity, name=(name or "").strip(), created_by=actor)
    created = layout.pk is None
    layout.fields = fields
    _full_clean(layout)
    save_with_history(layout, actor, "created" if created else "updated")
    return layout


@transaction.atomic
def layout_delete(*, actor, layout: FormLayout) -> None:
    require_admin(actor)
    layout._history_user = actor
    layout.delete()

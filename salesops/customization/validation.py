"""The rules a custom field definition and a form layout must follow.

Run by the models' ``clean()`` (registered in customization/apps.py: this module reads the
models, so they cannot import it), so the services (which run ``full_clean``) and the
Django admin check the same things. Every problem is collected and raised at once, keyed
by the field it is about.
"""

from __future__ import annotations

import keyword
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from salesops.core.expressions import CONSTANTS, FUNCTIONS

from . import types
from .models import CHOICE_TYPES, CustomFieldDefinition, FieldType
from .selectors import custom_entities, custom_entity, definitions, layout_choices

KEY_MAX = 40
KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
CHOICE_VALUE_MAX = 100
CHOICES_MAX = 200
# A type may change only within these groups: the stored values stay valid.
COMPATIBLE_TYPES = [
    {FieldType.TEXT, FieldType.LONG_TEXT},
    {FieldType.NUMBER, FieldType.MONEY},
    {FieldType.CHOICE},
    {FieldType.MULTI_CHOICE},
    {FieldType.DATE},
    {FieldType.DATETIME},
    {FieldType.USER},
    {FieldType.BOOLEAN},
]
# Names with a meaning of their own in conditions and filters.
RESERVED = {"custom", "id", "pk", "page", "page_size", "sort", "q", "changed"}


def _model_names(model) -> set[str]:
    names = set()
    for f in model._meta.get_fields():
        names.add(f.name)
        if getattr(f, "attname", None):
            names.add(f.attname)
    return names


def _check_choices(definition, errors: dict) -> None:
    choices = definition.choices or []
    if definition.type not in CHOICE_TYPES:
        if choices:
            errors.setdefault("choices", []).append(
                _("Only choice fields have choices; clear them or pick a choice type.")
            )
        return
    if not isinstance(choices, list) or not choices:
        errors.setdefault("choices", []).append(_("Add at least one choice (a value and a label)."))
        return
    if len(choices) > CHOICES_MAX:
        errors.setdefault("choices", []).append(_("At most %(n)d choices.") % {"n": CHOICES_MAX})
    seen = set()
    for n, choice in enumerate(choices, start=1):
        value = choice.get("value") if isinstance(choice, dict) else None
        if not isinstance(value, str) or not value.strip():
            errors.setdefault("choices", []).append(_("Choice %(n)d has no value.") % {"n": n})
            continue
        if len(value) > CHOICE_VALUE_MAX:
            errors.setdefault("choices", []).append(
                _("Choice “%(value)s” is too long (at most %(max)d characters).")
                % {"value": value[:20] + "…", "max": CHOICE_VALUE_MAX}
            )
        if value in seen:
            errors.setdefault("choices", []).append(
                _("The value “%(value)s” appears twice; each choice needs its own value.")
                % {"value": value}
            )
        seen.add(value)
        label = choice.get("label", "")
        if not isinstance(label, str):
            errors.setdefault("choices", []).append(
                _("The label of choice “%(value)s” must be text.") % {"value": value}
            )


def check_definition(definition: CustomFieldDefinition) -> None:
    errors: dict[str, list] = {}
    entity = custom_entity(definition.entity)
    if entity is None:
        errors["entity"] = [
            _("Unknown entity “%(entity)s”. Choose one of: %(choices)s.")
            % {
                "entity": definition.entity,
                "choices": ", ".join(e.key for e in custom_entities()),
            }
        ]
    key = definition.key or ""
    if not key or len(key) > KEY_MAX:
        pass  # the model field reports "cannot be blank" / "at most 40 characters"
    elif not KEY_RE.match(key):
        errors.setdefault("key", []).append(
            _(
                "Use 1–40 lower-case letters, digits and underscores, starting with a "
                "letter (e.g. budget_2026)."
            )
        )
    elif keyword.iskeyword(key) or key in FUNCTIONS or key in CONSTANTS or key in RESERVED:
        errors.setdefault("key", []).append(
            _("“%(key)s” is a reserved word; choose another key.") % {"key": key}
        )
    elif entity is not None and key in _model_names(entity.model):
        errors.setdefault("key", []).append(
            _("“%(key)s” is already a built-in field of %(entity)s; choose another key.")
            % {"key": key, "entity": entity.label}
        )
    elif (
        CustomFieldDefinition.objects.filter(entity=definition.entity, key=key)
        .exclude(pk=definition.pk)
        .exists()
    ):
        errors.setdefault("key", []).append(
            _("%(entity)s already has a custom field with the key “%(key)s”.")
            % {"entity": entity.label if entity else definition.entity, "key": key}
        )
    if not (definition.label_zh or "").strip() and not (definition.label_en or "").strip():
        errors["label_zh"] = [_("Give the field a label in Chinese, English or both.")]
    if definition.pk:
        before = CustomFieldDefinition.objects.filter(pk=definition.pk).first()
        if before is not None:
            if before.key != definition.key:
                errors.setdefault("key", []).append(
                    _(
                        "The key cannot be changed once records may use it; add a new "
                        "field and switch this one off instead."
                    )
                )
            if before.entity != definition.entity:
                errors.setdefault("entity", []).append(
                    _("The entity of a field cannot be changed.")
                )
            compatible = next((g for g in COMPATIBLE_TYPES if before.type in g), {before.type})
            if definition.type != before.type and definition.type not in compatible:
                errors.setdefault("type", []).append(
                    _(
                        "A %(old)s field cannot become a %(new)s field: the stored values "
                        "would not fit. Add a new field instead."
                    )
                    % {
                        "old": FieldType(before.type).label,
                        "new": FieldType(definition.type).label
                        if definition.type in FieldType.values
                        else definition.type,
                    }
                )
    if definition.type in FieldType.values:
        _check_choices(definition, errors)
        if definition.default is not None and "choices" not in errors:
            try:
                definition.default = types.to_storage(definition, definition.default)
            except ValidationError as exc:
                errors.setdefault("default", []).append(
                    _("The default value does not fit the type: %(problem)s")
                    % {"problem": " ".join(exc.messages)}
                )
    if errors:
        raise ValidationError(errors)


def check_layout(layout) -> None:
    errors: dict[str, list] = {}
    entity = custom_entity(layout.entity)
    if entity is None:
        raise ValidationError(
            {
                "entity": _("Unknown entity “%(entity)s”. Choose one of: %(choices)s.")
                % {
                    "entity": layout.entity,
                    "choices": ", ".join(e.key for e in custom_entities()),
                }
            }
        )
    known = dict(layout_choices(layout.entity))
    items = layout.fields if isinstance(layout.fields, list) else None
    if items is None:
        raise ValidationError({"fields": _("Send a list of {field, required} entries.")})
    normalised, seen = [], set()
    problems = []
    for item in items:
        if isinstance(item, str):
            item = {"field": item}
        name = item.get("field") if isinstance(item, dict) else None
        if not isinstance(name, str) or name not in known:
            problems.append(
                _("“%(name)s” is not a field of this form (or its custom field is switched off).")
                % {"name": name}
            )
            continue
        if name in seen:
            problems.append(_("“%(name)s” is listed twice.") % {"name": known[name]})
            continue
        seen.add(name)
        normalised.append({"field": name, "required": bool(item.get("required", False))})
    must = [(n, known.get(n, n)) for n in entity.model.layout_required]
    must += [(d.path, d.label) for d in definitions(layout.entity) if d.required]
    missing = [label for name, label in must if name not in seen]
    if missing:
        problems.append(
            _("These fields are always required and must stay on the form: %(names)s.")
            % {"names": ", ".join(missing)}
        )
    if problems:
        errors["fields"] = problems
    if errors:
        raise ValidationError(errors)
    layout.fields = normalised

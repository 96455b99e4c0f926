"""Filtering lists by custom fields: ``?cf_<key>=value`` on a list page, the API and the
export, through the entity's one FilterSet.

Values are compared in their stored form (``types.to_storage``), so ``?cf_budget=1,200``
finds ``"1200"`` and ``?cf_vip=yes`` finds ``true``. Lookups go through JSON key
transforms that work on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
import json

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from . import selectors, types
from .models import FieldType

PREFIX = "cf_"


class CustomFilterField(forms.CharField):
    """Parses the filter value for one custom field into what the lookup compares."""

    def __init__(self, *args, definition, **kwargs):
        self.definition = definition
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        d = self.definition
        if d.type in (FieldType.TEXT, FieldType.LONG_TEXT):
            return value
        if d.type == FieldType.MULTI_CHOICE:
            # One value: records whose selection includes it.
            return types.to_storage(d, [value])[0]
        try:
            if d.type == FieldType.DATETIME:
                return types.as_date(value)
            return types.to_storage(d, value)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None


def _as_text(path: str):
    """The key's value as plain text. Cast, so comparisons are text comparisons: a bare
    ``KT()`` keeps the JSON key lookups, whose ``gte`` parses its argument as JSON."""
    return Cast(KT(path), output_field=TextField())


class CustomFieldFilter(django_filters.Filter):
    field_class = CustomFilterField

    def __init__(self, *args, definition, **kwargs):
        self.definition = definition
        kwargs.setdefault("label", definition.label)
        super().__init__(
            *args, field_name=f"custom__{definition.key}", definition=definition, **kwargs
        )

    def filter(self, qs, value):
        if value is None:
            return qs
        d = self.definition
        path = f"custom__{d.key}"
        alias = f"_cf_{d.key}"
        if d.type in (FieldType.TEXT, FieldType.LONG_TEXT):
            return qs.alias(**{alias: _as_text(path)}).filter(**{f"{alias}__iexact": value})
        if d.type == FieldType.MULTI_CHOICE:
            if connection.features.supports_json_field_contains:
                return qs.filter(**{f"{path}__contains": [value]})
            # SQLite: the array's JSON text holds the value JSON-encoded, as Django stored it.
            return qs.alias(**{alias: _as_text(path)}).filter(
                **{f"{alias}__contains": json.dumps(value)}
            )
        if d.type == FieldType.DATETIME:
            # A day in the organisation's time zone; stored instants are UTC ISO text, whose
            # order is the order of time.
            zone = timezone.get_default_timezone()
            start = dt.datetime.combine(value, dt.time.min, tzinfo=zone)
            end = start + dt.timedelta(days=1)
            iso = [m.astimezone(dt.UTC).isoformat() for m in (start, end)]
            return qs.alias(**{alias: _as_text(path)}).filter(
                **{f"{alias}__gte": iso[0], f"{alias}__lt": iso[1]}
            )
        # choice, number, money, date (text in storage), user (int), yes/no (bool)
        return qs.filter(**{path: value})


class CustomFieldFilterMixin:
    """Mix into an entity's FilterSet (before ``django_filters.FilterSet``) and set
    ``custom_entity``: every active custom field becomes a ``cf_<key>`` filter."""

    custom_entity: str = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.custom_definitions = selectors.definitions(self.custom_entity)
        for definition in self.custom_definitions:
            self.filters[f"{PREFIX}{definition.key}"] = CustomFieldFilter(definition=definition)

    @property
    def custom_filter_names(self) -> tuple[str, ...]:
        return tuple(f"{PREFIX}{d.key}" for d in self.custom_definitions)

    def custom_filter_controls(self, params) -> list[dict]:
        """The filter bar's controls for these custom fields (see :func:`filter_controls`);
        a method so a list page (core/listing.py) reaches them without importing this app."""
        return filter_controls(self, params)


def filter_controls(filterset, params) -> list[dict]:
    """What a list page's filter bar shows for the custom fields chosen for lists:
    ``{"name", "label", "kind": "select"|"text", "choices", "value", "error"}``."""
    errors = filterset.errors if filterset.is_bound and not filterset.is_valid() else {}
    controls = []
    for d in filterset.custom_definitions:
        if not d.show_in_list:
            continue
        name = f"{PREFIX}{d.key}"
        control = {
            "name": name,
            "label": d.label,
            "value": params.get(name, ""),
            "error": errors.get(name, []),
            "kind": "select",
            "choices": [],
        }
        if d.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
            control["choices"] = [(c["value"], c.get("label") or c["value"]) for c in d.choices]
        elif d.type == FieldType.BOOLEAN:
            control["choices"] = [("true", _("Yes")), ("false", _("No"))]
        elif d.type == FieldType.USER:
            control["choices"] = types.user_choices()
        else:
            control["kind"] = "date" if d.type in (FieldType.DATE, FieldType.DATETIME) else "text"
        controls.append(control)
    return controls

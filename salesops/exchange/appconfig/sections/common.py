"""Helpers the sections share: field checks that name the field, and "what differs"."""

from __future__ import annotations

import json

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

TEXT = "text"
BOOL = "bool"
INT = "int"
LIST = "list"
ANY = "any"


def _is(kind: str, value) -> bool:
    if kind == TEXT:
        return isinstance(value, str)
    if kind == BOOL:
        return isinstance(value, bool)
    if kind == INT:
        # JSON has one number type; bool is an int subclass in Python but not a number here.
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == LIST:
        return isinstance(value, list)
    return True


_KIND_NAMES = {
    TEXT: _l("text"),
    BOOL: _l("true or false"),
    INT: _l("a whole number"),
    LIST: _l("a list"),
}


def check_fields(item: dict, spec: dict[str, str], required: tuple[str, ...]) -> list[str]:
    """Messages for missing required fields, values of the wrong type and unknown fields;
    each names the field and what it should be."""
    messages = []
    for name in required:
        if item.get(name) in (None, ""):
            messages.append(_("“%(field)s” is missing; give it a value.") % {"field": name})
    for name, value in item.items():
        kind = spec.get(name)
        if kind is None:
            messages.append(
                _("“%(field)s” is not a field of this section; remove it (known: %(known)s).")
                % {"field": name, "known": ", ".join(sorted(spec))}
            )
        elif value is not None and not _is(kind, value):
            messages.append(
                _("“%(field)s” must be %(kind)s.") % {"field": name, "kind": _KIND_NAMES[kind]}
            )
    return messages


def same(a, b) -> bool:
    return json.dumps(a, sort_keys=True, ensure_ascii=False, default=str) == json.dumps(
        b, sort_keys=True, ensure_ascii=False, default=str
    )


def differences(current: dict, item: dict, fields) -> dict:
    """The fields of ``item`` (among ``fields``) whose value differs from ``current``:
    a field the item leaves out keeps its value."""
    return {
        name: item[name]
        for name in fields
        if name in item and not same(item[name], current.get(name))
    }

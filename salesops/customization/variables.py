"""Custom fields as variables of rule conditions (``core.entities`` variable provider).

A condition reads a custom field by its key (``budget > 100000``, ``"vip" in tags``);
the value is typed like the built-in fields: Decimal, date, aware datetime, bool, list of
choice values, user id, or text; ``None`` when the record has no value.
"""

from __future__ import annotations

from salesops.core import entities

from . import types
from .models import CustomFieldsModel
from .selectors import definitions


class CustomFieldVariables:
    def _applies(self, entity) -> bool:
        return issubclass(entity.model, CustomFieldsModel)

    def names(self, entity) -> list[str]:
        """What a new condition may use: the active custom fields."""
        if not self._applies(entity):
            return []
        return [d.key for d in definitions(entity.key)]

    def values(self, entity, instance) -> dict:
        """Switched-off fields are still given, so a rule written before an admin hid a
        field keeps evaluating instead of failing with an unknown name."""
        if not self._applies(entity):
            return {}
        stored = getattr(instance, "custom", None) or {}
        return {
            d.key: types.to_python(d, stored.get(d.key))
            for d in entities.batch_memo(
                ("custom_definitions", entity.key),
                lambda: definitions(entity.key, include_inactive=True),
            )
        }


provider = CustomFieldVariables()

"""Template helpers for custom fields: ``{{ record|custom_value:definition }}``."""

from django import template

from salesops.customization import types

register = template.Library()


@register.filter
def custom_value(record, definition) -> str:
    """The display value of one custom field of ``record`` ("" when it has none)."""
    stored = (getattr(record, "custom", None) or {}).get(definition.key)
    return types.display(definition, stored)

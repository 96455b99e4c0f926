"""Saving a one-row settings model whose values are bounded whole numbers (and on/off
switches): Settings · Import and export, · Offline field app, · Business licence."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .history import save_with_history


def set_bounded(policy, name: str, value, bounds: tuple[int, int], errors: dict) -> None:
    """Set ``policy.<name>`` to ``value`` as a whole number within ``bounds``, or record
    the field's message in ``errors`` (the row is left as it was)."""
    low, high = bounds
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[name] = [_("Enter a whole number.")]
        return
    if not low <= number <= high:
        errors[name] = [_("Enter a number from %(low)d to %(high)d.") % {"low": low, "high": high}]
        return
    setattr(policy, name, number)


def save_bounded(model, *, actor, data: dict, limits: dict, switches=()):
    """Every bad value at once, by field, and nothing saved; otherwise the row (created
    on first save) with its history. ``limits``: ``{name: (low, high)}``; ``switches``:
    boolean fields. Call inside the service's transaction, after its permission check."""
    policy = model.objects.select_for_update().order_by("pk").first() or model()
    errors = {}
    for name, value in data.items():
        if name in switches:
            setattr(policy, name, bool(value))
            continue
        if name not in limits:
            errors[name] = [_("Unknown setting.")]
            continue
        set_bounded(policy, name, value, limits[name], errors)
    if errors:
        raise ValidationError(errors)
    save_with_history(policy, actor, "changed" if policy.pk else "created")
    return policy

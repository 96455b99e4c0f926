"""Per-type conversion of custom field values.

Three forms of a value:

- *input*: what a form, the API, an import or an admin typed (text, JSON numbers,
  Python objects);
- *stored*: the canonical JSON-safe value in ``custom`` (see ``models`` module docstring);
- *python*: what rule conditions and exports work with (Decimal, date, aware datetime,
  bool, list, user id).

:func:`to_storage` raises :class:`django.core.exceptions.ValidationError` whose message
says what to enter (the caller adds the field's label).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from salesops.core.money import format_cny
from salesops.org.models import User

from .models import FieldType

TEXT_MAX = 255
LONG_TEXT_MAX = 5000
NUMBER_MAX_PLACES = 6
NUMBER_MAX_DIGITS = 18
CENT = Decimal("0.01")
_TRUE = {"true", "yes", "y", "1", "on", "是", "对"}
_FALSE = {"false", "no", "n", "0", "off", "否", "不是"}
# Thousands separators people type, in both scripts.
_GROUPING = re.compile(r"[,，\s_]")


def is_empty(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple)):
        return not value
    return False


def _text(value, limit: int) -> str:
    if not isinstance(value, (str, int, Decimal)) or isinstance(value, bool):
        raise ValidationError(_("Enter text."), code="invalid")
    text = str(value).strip().replace("\r\n", "\n")
    if len(text) > limit:
        raise ValidationError(
            _("Too long: at most %(max)d characters (now %(n)d).") % {"max": limit, "n": len(text)},
            code="max_length",
        )
    return text


def _decimal(value) -> Decimal:
    if isinstance(value, bool):
        raise ValidationError(_("Enter a number, e.g. 1200 or 99.5."), code="invalid")
    if isinstance(value, float):
        value = repr(value)  # 0.1 stays 0.1, not 0.1000000000000000055…
    if isinstance(value, str):
        value = _GROUPING.sub("", value)
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(_("Enter a number, e.g. 1200 or 99.5."), code="invalid") from None
    if not number.is_finite():
        raise ValidationError(_("Enter a number, e.g. 1200 or 99.5."), code="invalid")
    if number.adjusted() >= NUMBER_MAX_DIGITS:
        raise ValidationError(
            _("The number is too large: at most %(n)d digits before the decimal point.")
            % {"n": NUMBER_MAX_DIGITS},
            code="max_digits",
        )
    return number


def _number(value) -> str:
    number = _decimal(value)
    if -number.normalize().as_tuple().exponent > NUMBER_MAX_PLACES:
        raise ValidationError(
            _("Use at most %(n)d decimal places.") % {"n": NUMBER_MAX_PLACES},
            code="max_decimal_places",
        )
    # "100", "99.5", "-0.25": no exponent, no trailing zeros, so equal numbers are equal text.
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _money(value) -> str:
    amount = _decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    return str(amount)


def _date(value) -> str:
    if isinstance(value, dt.datetime):
        raise ValidationError(_("Enter a date as YYYY-MM-DD, e.g. 2026-03-31."), code="invalid")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip().replace("/", "-")
        try:
            parsed = dt.datetime.strptime(text, "%Y-%m-%d").date()  # noqa: DTZ007 - a date
        except ValueError:
            pass
        else:
            return parsed.isoformat()
    raise ValidationError(_("Enter a date as YYYY-MM-DD, e.g. 2026-03-31."), code="invalid")


def as_date(value) -> dt.date:
    """A date typed by a person (``2026-03-31`` or ``2026/3/31``)."""
    return dt.date.fromisoformat(_date(value))


def _datetime(value) -> str:
    moment = None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip().replace("/", "-")
        if len(text) > 10:  # a bare date is not an instant
            try:
                moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                moment = None
    if moment is None:
        raise ValidationError(
            _("Enter a date and time as YYYY-MM-DD HH:MM, e.g. 2026-03-31 14:30."),
            code="invalid",
        )
    if timezone.is_naive(moment):
        # Typed in a form: the organisation's clock on the wall.
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def _choices_text(definition) -> str:
    return ", ".join(f"{c.get('label') or c['value']}" for c in definition.choices or [])


def _choice(definition, value) -> str:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        text = str(value).strip()
        if text in definition.choice_labels:
            return text
        # A person may type the label rather than the stored value.
        for choice_value, label in definition.choice_labels.items():
            if text == label:
                return choice_value
    raise ValidationError(
        _("“%(value)s” is not one of the choices. Choose one of: %(choices)s.")
        % {"value": value, "choices": _choices_text(definition)},
        code="invalid_choice",
    )


def _multi_choice(definition, value) -> list[str]:
    if not isinstance(value, (list, tuple)):
        raise ValidationError(
            _("Send a list of choices, e.g. [“%(example)s”].")
            % {"example": next(iter(definition.choice_labels), "…")},
            code="invalid",
        )
    chosen = {_choice(definition, item) for item in value}
    # Kept in the definition's order, so equal selections are equal lists.
    return [v for v in definition.choice_labels if v in chosen]


def _user(value) -> int:
    pk = getattr(value, "pk", value)
    if isinstance(pk, str) and pk.strip().isdigit():
        pk = int(pk.strip())
    if not isinstance(pk, int) or isinstance(pk, bool):
        raise ValidationError(_("Pick a user (send their id)."), code="invalid")
    if not User.objects.filter(pk=pk, is_active=True).exists():
        raise ValidationError(
            _("There is no active user with id %(id)s; pick a current colleague.") % {"id": pk},
            code="invalid_user",
        )
    return pk


def _boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValidationError(_("Answer yes or no (true or false)."), code="invalid")


def to_storage(definition, value):
    """The canonical stored form of ``value``, or ``None`` for "no value"."""
    if is_empty(value):
        return None
    kind = definition.type
    if kind == FieldType.TEXT:
        return _text(value, TEXT_MAX)
    if kind == FieldType.LONG_TEXT:
        return _text(value, LONG_TEXT_MAX)
    if kind == FieldType.NUMBER:
        return _number(value)
    if kind == FieldType.MONEY:
        return _money(value)
    if kind == FieldType.DATE:
        return _date(value)
    if kind == FieldType.DATETIME:
        return _datetime(value)
    if kind == FieldType.CHOICE:
        return _choice(definition, value)
    if kind == FieldType.MULTI_CHOICE:
        return _multi_choice(definition, value) or None
    if kind == FieldType.USER:
        return _user(value)
    if kind == FieldType.BOOLEAN:
        return _boolean(value)
    raise ValidationError(_("Unknown field type “%(type)s”.") % {"type": kind})


def to_python(definition, stored):
    """The value a rule condition or an export works with. A stored value that no longer
    fits the type (the definition changed) comes back as it is rather than failing."""
    if stored is None:
        return None
    kind = definition.type
    try:
        if kind in (FieldType.NUMBER, FieldType.MONEY):
            return Decimal(str(stored))
        if kind == FieldType.DATE:
            return dt.date.fromisoformat(stored)
        if kind == FieldType.DATETIME:
            return dt.datetime.fromisoformat(stored)
        if kind == FieldType.BOOLEAN:
            return bool(stored)
        if kind == FieldType.MULTI_CHOICE:
            return list(stored) if isinstance(stored, (list, tuple)) else [stored]
        if kind == FieldType.USER:
            return int(stored)
    except (InvalidOperation, TypeError, ValueError):
        return stored
    return stored if isinstance(stored, str) else str(stored)


def user_label(pk) -> str:
    user = User._base_manager.filter(pk=pk).first()
    return user.label if user is not None else f"#{pk}"


def user_choices() -> list[tuple[str, str]]:
    """``(pk, label)`` of the active users, for a user field's picker and filter."""
    users = User.objects.filter(is_active=True).order_by("display_name", "username")
    return [(str(u.pk), u.label) for u in users]


def display(definition, stored) -> str:
    """The value as the pages show it (choice labels, local time, ¥ amounts)."""
    value = to_python(definition, stored)
    if value is None or value == [] or value == "":
        return ""
    kind = definition.type
    if kind == FieldType.MONEY and isinstance(value, Decimal):
        return format_cny(value)
    if kind == FieldType.NUMBER and isinstance(value, Decimal):
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    if kind == FieldType.DATE and isinstance(value, dt.date):
        return formats.date_format(value, "DATE_FORMAT")
    if kind == FieldType.DATETIME and isinstance(value, dt.datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if kind == FieldType.BOOLEAN:
        return _("Yes") if value else _("No")
    if kind == FieldType.CHOICE:
        return str(definition.choice_labels.get(value, value))
    if kind == FieldType.MULTI_CHOICE:
        labels = definition.choice_labels
        return ", ".join(str(labels.get(v, v)) for v in value)
    if kind == FieldType.USER:
        return user_label(value)
    return str(value)


def export_value(definition, stored):
    """A spreadsheet cell: numbers, dates and yes/no stay typed, the rest is text."""
    kind = definition.type
    value = to_python(definition, stored)
    if value is None:
        return None
    if kind in (FieldType.NUMBER, FieldType.MONEY, FieldType.DATE, FieldType.DATETIME):
        return value
    if kind == FieldType.BOOLEAN:
        return value
    return display(definition, stored)


def form_value(definition, stored):
    """A stored value as a form widget expects it (``datetime-local`` wants local time
    without a zone)."""
    if stored is None:
        return None
    if definition.type == FieldType.DATETIME:
        value = to_python(definition, stored)
        if isinstance(value, dt.datetime):
            return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")
    return stored

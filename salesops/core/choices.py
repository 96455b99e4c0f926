"""Enumerations as data (SPEC P2): industry, company size, account level, decision role,
lead invalid reason. Records store a :class:`~salesops.core.models.Choice`'s code; pages
show its label in the reader's language (a deactivated code still shows its label), forms
offer the active options, services and the API accept only active codes and say which.

Read through the organisation settings' ConfigCache, so a change is seen at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from .choice_seeds import LISTS as SEEDS
from .history import save_with_history
from .models import Choice, ChoiceList
from .orgsettings import cache

INDUSTRY = "industry"
COMPANY_SIZE = "company_size"
ACCOUNT_LEVEL = "account_level"
DECISION_ROLE = "decision_role"
LEAD_INVALID_REASON = "lead_invalid_reason"
PRODUCT_LINE = "product_line"
EVIDENCE_TYPE = "evidence_type"
DEAL_LOST_REASON = "deal_lost_reason"
CODE_MAX = 30


@dataclass(frozen=True)
class Option:
    code: str
    label_en: str
    label_zh: str
    order: int
    is_active: bool

    def label(self, language: str | None = None) -> str:
        language = (language or translation.get_language() or "zh-hans").lower()
        return self.label_zh if language.startswith("zh") else self.label_en


def _load() -> dict[str, tuple[Option, ...]]:
    """Every list's options in one query (there are a handful of short lists)."""
    by_list: dict[str, list[Option]] = {}
    rows = Choice.objects.order_by("order", "id").values_list(
        "choice_list__key", "code", "label_en", "label_zh", "order", "is_active"
    )
    for key, *values in rows:
        by_list.setdefault(key, []).append(Option(*values))
    return {key: tuple(values) for key, values in by_list.items()}


def options(key: str) -> tuple[Option, ...]:
    """Every option of the list, active or not, in its order (cached)."""
    return cache.get("choices", _load).get(key, ())


def active_codes(key: str) -> list[str]:
    return [o.code for o in options(key) if o.is_active]


def label(key: str, code: str | None, language: str | None = None) -> str:
    """The label of a stored code in the reader's language ("" for no code; the code
    itself if the list does not know it)."""
    if not code:
        return ""
    for option in options(key):
        if option.code == code:
            return option.label(language)
    return code


def choices(key: str, *, current: str | None = None, blank: bool = False) -> list:
    """``[(code, label)]`` of the active options, plus ``current`` (a record's stored code,
    kept even when deactivated so editing the record does not lose it)."""
    pairs = [("", "—")] if blank else []
    pairs += [(o.code, o.label()) for o in options(key) if o.is_active or o.code == current]
    return pairs


def check(key: str, field: str, value, errors: dict, *, current: str | None = None) -> None:
    """Add to ``errors[field]`` why ``value`` is not an active code of the list."""
    if value in (None, ""):
        return
    allowed = active_codes(key)
    if value in allowed or (current and value == current):
        return
    errors.setdefault(field, []).append(
        _("%(field)s: %(value)s is not one of the allowed codes: %(codes)s.")
        % {"field": field, "value": value, "codes": ", ".join(allowed)}
    )


def validate(key: str, field: str, value, *, current: str | None = None) -> None:
    errors: dict = {}
    check(key, field, value, errors, current=current)
    if errors:
        raise ValidationError(errors)


class ChoiceListField(forms.ChoiceField):
    """A form field offering a list's active options by label in the current language
    (the record's stored code too, when it was deactivated since)."""

    def __init__(self, key: str, *, current: str | None = None, **kwargs):
        self.list_key = key
        blank = not kwargs.get("required", True)
        kwargs["choices"] = partial(choices, key, current=current, blank=blank)
        super().__init__(**kwargs)


# --- editing --------------------------------------------------------------------------
def lists():
    return ChoiceList.objects.order_by("key")


@transaction.atomic
def choice_list_update(*, actor, choice_list: ChoiceList, rows: list[dict]) -> None:
    """Rename, reorder, (de)activate and add options of ``choice_list`` (admins). ``rows``:
    ``{"code", "label_en", "label_zh", "order", "is_active"}`` each; an existing code is
    updated, a new one added; options are never deleted (records keep their codes)."""
    if not (actor and actor.is_authenticated and actor.is_admin_role):
        raise PermissionDenied(_("Only a sales-ops admin changes the organisation settings."))
    existing = {c.code: c for c in choice_list.choices.select_for_update()}
    errors: dict[str, list] = {}
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        code = str(row.get("code") or "").strip()
        where = _("Row %(n)d") % {"n": number}
        if not code:
            errors.setdefault("code", []).append(_("%(row)s: enter a code.") % {"row": where})
            continue
        if len(code) > CODE_MAX or any(ch.isspace() for ch in code):
            errors.setdefault("code", []).append(
                _("%(row)s: a code has at most %(max)d characters and no spaces.")
                % {"row": where, "max": CODE_MAX}
            )
            continue
        if code in seen:
            errors.setdefault("code", []).append(
                _("%(row)s: the code %(code)s is used twice; each option needs its own code.")
                % {"row": where, "code": code}
            )
            continue
        seen.add(code)
        for name in ("label_en", "label_zh"):
            if not str(row.get(name) or "").strip():
                errors.setdefault(name, []).append(
                    _("%(row)s: enter the label in both languages.") % {"row": where}
                )
    if not errors and not any(r.get("is_active", True) for r in rows) and rows:
        errors["is_active"] = [_("Keep at least one option active.")]
    if errors:
        raise ValidationError(errors)
    for row in rows:
        code = str(row["code"]).strip()
        choice = existing.get(code) or Choice(choice_list=choice_list, code=code)
        values = {
            "label_en": str(row["label_en"]).strip()[:100],
            "label_zh": str(row["label_zh"]).strip()[:100],
            "order": int(row.get("order") or 0),
            "is_active": bool(row.get("is_active", True)),
        }
        if choice.pk and all(getattr(choice, k) == v for k, v in values.items()):
            continue
        for name, value in values.items():
            setattr(choice, name, value)
        save_with_history(choice, actor, "updated" if choice.pk else "added")
    cache.invalidate()


def ensure_seeded(**kwargs) -> None:
    """Create the seeded lists that are missing (post-migrate: a flushed test database)."""
    for key, (name_en, name_zh, seeded) in SEEDS.items():
        choice_list, created = ChoiceList.objects.get_or_create(
            key=key, defaults={"name_en": name_en, "name_zh": name_zh}
        )
        if created:
            Choice.objects.bulk_create(
                Choice(
                    choice_list=choice_list,
                    code=code,
                    label_en=label_en,
                    label_zh=label_zh,
                    order=order * 10,
                )
                for order, (code, label_en, label_zh) in enumerate(seeded, start=1)
            )


def display_method(field: str, key: str):
    """``get_<field>_display`` for a model whose ``field`` stores a code of list ``key``
    (the model field has no ``choices=``: the list is data)."""

    def get_display(self) -> str:
        return label(key, getattr(self, field))

    get_display.__name__ = f"get_{field}_display"
    # Which list the field's codes come from (the rule builder's value dropdowns).
    get_display.choice_list = key
    # How core.history shows a change of the field (it cannot import this module).
    get_display.label_of = partial(label, key)
    return get_display


def list_of(model, field: str) -> str | None:
    """The key of the list whose codes ``model.field`` stores, or None."""
    return getattr(getattr(model, f"get_{field}_display", None), "choice_list", None)


def all_choices(key: str) -> list:
    """``[(code, label)]`` of every option, deactivated ones too (list filters: records
    keep deactivated codes)."""
    return [(o.code, o.label()) for o in options(key)]


def use_lists(form, fields: dict[str, str], instance=None) -> None:
    """Turn each of ``form``'s fields named in ``fields`` (``{field: list key}``) into a
    :class:`ChoiceListField`, keeping its label, help text and whether it is required;
    ``instance``'s stored code stays selectable when it was deactivated since."""
    for name, key in fields.items():
        old = form.fields.get(name)
        if old is None:
            continue
        current = getattr(instance, name, None) if instance is not None else None
        form.fields[name] = ChoiceListField(
            key,
            current=current,
            required=old.required,
            label=old.label,
            help_text=old.help_text,
            initial=old.initial,
        )


def check_fields(instance, fields: dict[str, str], errors: dict, *, before: dict | None = None):
    """Check ``instance``'s list fields (``{field: list key}``). Creating (``before`` is
    None): every field. Changing: only the fields in ``before`` (the values they had),
    whose stored code stays allowed even if it was deactivated since."""
    for name, key in fields.items():
        if before is not None and name not in before:
            continue
        current = before.get(name) if before is not None else None
        check(key, name, getattr(instance, name), errors, current=current)
    return errors


def active_or_blank(key: str, code: str | None) -> str:
    """``code`` if it is an active option of the list, else ``""``."""
    return code if code and code in active_codes(key) else ""

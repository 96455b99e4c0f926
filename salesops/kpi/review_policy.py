"""Settings · KPI review (P2): what the compliance scan looks for
(:class:`CompliancePolicy`) and the five credibility-list thresholds of
:class:`GrowthPolicy`. Written only here; every bad value is reported at once by field;
each row's history records who changed what (audit); in force for the next computation.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import choices, clock
from salesops.core.history import save_with_history
from salesops.core.validators import merge_errors

from . import permissions
from .compliance_text import lines
from .models import CompliancePolicy, GrowthPolicy

COMPLIANCE_FIELDS = (
    "watermark_text",
    "quote_evidence_types",
    "approved_phrases",
    "forbidden_phrases",
    "core_parameters",
)
CREDIBILITY_FIELDS = (
    "red_min_accuracy",
    "red_max_days",
    "black_max_accuracy",
    "black_min_days",
    "credibility_min_leads",
)
FIELDS = COMPLIANCE_FIELDS + CREDIBILITY_FIELDS
LIST_FIELDS = ("approved_phrases", "forbidden_phrases", "core_parameters")
PHRASE_MAX = 200
LIST_MAX = 500
DAYS_MAX = 365


def _types(value, errors: dict) -> str | None:
    if isinstance(value, list | tuple):
        codes = [str(code).strip() for code in value]
    elif isinstance(value, str):
        codes = [code.strip() for code in value.split(",")]
    else:
        errors["quote_evidence_types"] = [_("Pick evidence types from the list.")]
        return None
    codes = list(dict.fromkeys(code for code in codes if code))
    known = [option.code for option in choices.options(choices.EVIDENCE_TYPE)]
    unknown = [code for code in codes if code not in known]
    if unknown:
        errors["quote_evidence_types"] = [
            _("Unknown evidence type: %(codes)s. Pick from: %(known)s.")
            % {"codes": ", ".join(unknown), "known": ", ".join(known)}
        ]
        return None
    if not codes:
        errors["quote_evidence_types"] = [_("Pick at least one evidence type that is a quote.")]
        return None
    return ",".join(codes)


def _phrases(name: str, value, errors: dict) -> str | None:
    if isinstance(value, list | tuple):
        value = "\n".join(str(v) for v in value)
    if not isinstance(value, str):
        errors[name] = [_("Enter one phrase per line.")]
        return None
    items = lines(value)
    too_long = [item for item in items if len(item) > PHRASE_MAX]
    if too_long:
        errors[name] = [
            _("Keep each line to %(max)d characters: “%(line)s…” is longer.")
            % {"max": PHRASE_MAX, "line": too_long[0][:30]}
        ]
        return None
    if len(items) > LIST_MAX:
        errors[name] = [_("At most %(max)d lines.") % {"max": LIST_MAX}]
        return None
    return "\n".join(items)


def _integer(name: str, value, low: int, high: int, errors: dict) -> int | None:
    try:
        number = int(str(value).strip())
        if str(value).strip() != str(number) and not isinstance(value, int):
            raise ValueError
    except (TypeError, ValueError):
        errors[name] = [_("Enter a whole number.")]
        return None
    if not low <= number <= high:
        errors[name] = [_("Enter a number from %(low)d to %(high)d.") % {"low": low, "high": high}]
        return None
    return number


def _cross_checks(growth: GrowthPolicy, errors: dict) -> None:
    if not {"black_max_accuracy", "red_min_accuracy"} & errors.keys():
        if growth.black_max_accuracy > growth.red_min_accuracy:
            errors["black_max_accuracy"] = [
                _(
                    "The black-list accuracy (below %(black)d%%) cannot be above the red-list "
                    "accuracy (at least %(red)d%%)."
                )
                % {"black": growth.black_max_accuracy, "red": growth.red_min_accuracy}
            ]
    if not {"black_min_days", "red_max_days"} & errors.keys():
        if growth.black_min_days <= growth.red_max_days:
            errors["black_min_days"] = [
                _(
                    "The black-list days (%(black)d or more) must be more than the red-list "
                    "days (%(red)d or fewer)."
                )
                % {"black": growth.black_min_days, "red": growth.red_max_days}
            ]


def _forward(row) -> dt.datetime:
    now = clock.now()
    if row.updated_at and now <= row.updated_at:
        now = row.updated_at + dt.timedelta(microseconds=1)
    return now


@transaction.atomic
def review_policy_update(*, actor, **data) -> tuple[CompliancePolicy, GrowthPolicy]:
    """Change the compliance settings and the credibility thresholds (configurers)."""
    if not permissions.can_configure(actor):
        raise PermissionDenied(_("Only a sales-ops admin or a director changes KPI settings."))
    CompliancePolicy.current()
    GrowthPolicy.current()
    compliance = CompliancePolicy.objects.select_for_update().order_by("pk").first()
    growth = GrowthPolicy.objects.select_for_update().order_by("pk").first()
    errors: dict = {}
    changed = {"compliance": False, "growth": False}
    for key, value in data.items():
        if key not in FIELDS:
            errors[key] = [_("Unknown field.")]
            continue
        if key == "watermark_text":
            text = str(value or "").strip()
            if not text:
                errors[key] = [_("Enter the watermark text every quote must carry.")]
            elif len(text) > 200:
                errors[key] = [_("Keep the watermark text to 200 characters.")]
            else:
                changed["compliance"] |= text != compliance.watermark_text
                compliance.watermark_text = text
        elif key == "quote_evidence_types":
            text = _types(value, errors)
            if text is not None:
                changed["compliance"] |= text != compliance.quote_evidence_types
                compliance.quote_evidence_types = text
        elif key in LIST_FIELDS:
            text = _phrases(key, value, errors)
            if text is not None:
                changed["compliance"] |= text != getattr(compliance, key)
                setattr(compliance, key, text)
        else:
            accuracy = key.endswith("accuracy")
            high = 100 if accuracy else (DAYS_MAX if key.endswith("days") else 10000)
            number = _integer(key, value, 0, high, errors)
            if number is not None:
                changed["growth"] |= number != getattr(growth, key)
                setattr(growth, key, number)
    _cross_checks(growth, errors)
    if errors:
        raise ValidationError(merge_errors(errors))
    for name, row in (("compliance", compliance), ("growth", growth)):
        if changed[name]:
            row.updated_at = _forward(row)
            row.updated_by = actor
            save_with_history(row, actor, "updated")
    return compliance, growth


def current() -> dict:
    """Every field's current value (the API's GET and the form's initial values)."""
    compliance, growth = CompliancePolicy.current(), GrowthPolicy.current()
    values = {name: getattr(compliance, name) for name in COMPLIANCE_FIELDS}
    values["quote_evidence_types"] = [
        c.strip() for c in compliance.quote_evidence_types.split(",") if c.strip()
    ]
    values.update({name: getattr(growth, name) for name in CREDIBILITY_FIELDS})
    values["updated_at"] = max(compliance.updated_at, growth.updated_at)
    return values

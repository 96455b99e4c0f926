"""Settings · KPI growth (P2): the voice, points, rewards and gap-alert numbers of the one
:class:`~.models.GrowthPolicy` row. Every K6–K8 figure reads it through
:meth:`GrowthPolicy.current`, so a change is in force at once; written only here, audited
through the row's history (who, when, before/after). The red/black-list fields of the same
row belong to the credibility settings (K9) and are not touched here.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.core.history import save_with_history
from salesops.core.validators import merge_errors

from . import permissions
from .models import GrowthPolicy, PointKind

POLICY_FIELDS = (
    "voice_sample_size",
    "voice_lookback_months",
    "voice_token_days",
    "service_actions",
    "point_values",
    "rewards",
    "gap_dimension",
    "gap_ratio",
    "gap_quarters",
)
EARNING_KINDS = (PointKind.COLLABORATION, PointKind.CASE_STUDY, PointKind.CERTIFICATION)
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
LABEL_MAX = 100
MIN_ACTIONS = 3
LIMITS = {
    "voice_sample_size": (1, 50),
    "voice_lookback_months": (1, 24),
    "voice_token_days": (1, 365),
    "gap_ratio": (1, 100),
    "gap_quarters": (1, 8),
}
POINTS_MAX = 100000


def label(row: dict) -> str:
    """A service action's or reward's label in the active language."""
    language = (translation.get_language() or "zh-hans").lower()
    if language.startswith("zh"):
        return row.get("label_zh") or row.get("label_en") or row.get("code", "")
    return row.get("label_en") or row.get("label_zh") or row.get("code", "")


def service_actions(policy: GrowthPolicy | None = None) -> list[dict]:
    policy = policy or GrowthPolicy.current()
    return [row for row in policy.service_actions or [] if isinstance(row, dict)]


def action_map(policy: GrowthPolicy | None = None) -> dict[str, dict]:
    return {row["code"]: row for row in service_actions(policy) if row.get("code")}


def reward_map(policy: GrowthPolicy | None = None) -> dict[str, dict]:
    policy = policy or GrowthPolicy.current()
    return {
        row["code"]: row
        for row in policy.rewards or []
        if isinstance(row, dict) and row.get("code")
    }


def point_value(kind: str, policy: GrowthPolicy | None = None) -> int | None:
    policy = policy or GrowthPolicy.current()
    value = (policy.point_values or {}).get(kind)
    return value if isinstance(value, int) and value > 0 else None


def _int(value, key: str, errors: dict, low: int, high: int) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors[key] = [_("Enter a whole number.")]
        return None
    if not low <= number <= high:
        errors[key] = [_("Enter a number from %(low)d to %(high)d.") % {"low": low, "high": high}]
        return None
    return number


def _rows(value, key: str, extra: str, errors: dict) -> list[dict] | None:
    """Rows of ``code, label_zh, label_en`` and ``extra`` (dimension or cost), checked."""
    if not isinstance(value, list | tuple):
        errors[key] = [_("Give a list of rows.")]
        return None
    rows, seen = [], set()
    for n, row in enumerate(value, start=1):
        name = f"{key}.{n}"
        if not isinstance(row, dict):
            errors[name] = [_("Row %(n)d: give the code and the labels.") % {"n": n}]
            continue
        unknown = set(row) - {"code", "label_zh", "label_en", extra}
        if unknown:
            errors[name] = [_("Unknown field: %(names)s.") % {"names": ", ".join(sorted(unknown))}]
            continue
        code = str(row.get("code") or "").strip()
        clean = {"code": code}
        if not CODE_RE.match(code):
            errors[f"{name}.code"] = [
                _("Row %(n)d: the code uses a-z, 0-9, _ and - (at most 50).") % {"n": n}
            ]
        elif code in seen:
            errors[f"{name}.code"] = [
                _("Row %(n)d: the code “%(code)s” is used twice.")
                % {
                    "n": n,
                    "code": code,
                }
            ]
        seen.add(code)
        for part in ("label_zh", "label_en"):
            text = str(row.get(part) or "").strip()
            if not text:
                errors[f"{name}.{part}"] = [_("Row %(n)d: the label is required.") % {"n": n}]
            elif len(text) > LABEL_MAX:
                errors[f"{name}.{part}"] = [
                    _("Row %(n)d: at most %(max)d characters.") % {"n": n, "max": LABEL_MAX}
                ]
            clean[part] = text
        if extra == "cost":
            cost = _int(row.get("cost"), f"{name}.cost", errors, 1, POINTS_MAX)
            if f"{name}.cost" in errors:
                errors[f"{name}.cost"] = [
                    _("Row %(n)d: the cost is a whole number of points above 0.") % {"n": n}
                ]
            clean["cost"] = cost
        else:
            dimension = str(row.get("dimension") or "").strip()
            if dimension and not CODE_RE.match(dimension):
                errors[f"{name}.dimension"] = [
                    _("Row %(n)d: the dimension is a code (a-z, 0-9, _ and -).") % {"n": n}
                ]
            clean["dimension"] = dimension
        rows.append(clean)
    return rows


def _point_values(value, errors: dict) -> dict | None:
    if not isinstance(value, dict):
        errors["point_values"] = [_("Give the points of each contribution.")]
        return None
    clean = {}
    for kind in EARNING_KINDS:
        points = _int(value.get(kind), f"point_values.{kind}", errors, 1, POINTS_MAX)
        if points is not None:
            clean[str(kind)] = points
    unknown = set(value) - {str(k) for k in EARNING_KINDS}
    if unknown:
        errors["point_values"] = [_("Unknown field: %(names)s.") % {"names": ", ".join(unknown)}]
    return clean


@transaction.atomic
def policy_update(*, actor, **data) -> GrowthPolicy:
    """Change the growth settings (configurers). Every bad value is reported at once, by
    field (rows as ``service_actions.<n>.<key>``); audited and in force at once."""
    if not permissions.can_configure(actor):
        raise PermissionDenied(_("Only a sales-ops admin or a director changes KPI settings."))
    GrowthPolicy.current()
    policy = GrowthPolicy.objects.select_for_update().order_by("pk").first()
    errors: dict = {}
    for key, value in data.items():
        if key not in POLICY_FIELDS:
            errors[key] = [_("Unknown field.")]
        elif key in LIMITS:
            number = _int(value, key, errors, *LIMITS[key])
            if number is not None:
                setattr(policy, key, number)
        elif key == "gap_dimension":
            code = str(value or "").strip()
            if not CODE_RE.match(code):
                errors[key] = [_("Enter a radar dimension code (a-z, 0-9, _ and -).")]
            else:
                policy.gap_dimension = code
        elif key == "service_actions":
            rows = _rows(value, key, "dimension", errors)
            if rows is not None and not any(k.startswith("service_actions") for k in errors):
                if len(rows) < MIN_ACTIONS:
                    errors[key] = [
                        _("Give at least %(n)d service actions: a customer picks 3.")
                        % {"n": MIN_ACTIONS}
                    ]
                else:
                    policy.service_actions = rows
        elif key == "rewards":
            rows = _rows(value, key, "cost", errors)
            if rows is not None and not any(k.startswith("rewards") for k in errors):
                policy.rewards = rows
        elif key == "point_values":
            values = _point_values(value, errors)
            if values is not None and not any(k.startswith("point_values") for k in errors):
                policy.point_values = values
    if errors:
        raise ValidationError(merge_errors(errors))
    now = clock.now()
    if policy.updated_at and now <= policy.updated_at:
        now = policy.updated_at + dt.timedelta(microseconds=1)
    policy.updated_at = now
    policy.updated_by = actor
    save_with_history(policy, actor, "updated")
    return policy

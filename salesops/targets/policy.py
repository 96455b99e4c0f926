"""Settings · Targets (P2): the one :class:`~.models.TargetPolicy` row a configurer edits;
every targets figure reads it through :meth:`TargetPolicy.current`, so a change is in force
at once. Written only here, audited through the row's history (who, when, before/after).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import choices, clock
from salesops.core.expressions import ExpressionError, compile_expression
from salesops.core.history import save_with_history
from salesops.core.validators import merge_errors

from . import permissions
from .models import Quadrant, TargetPolicy, default_quadrants

POOL_NAMES = frozenset({"historical", "market", "manpower"})
LABEL_MAX = 100
WEIGHT_MAX = Decimal("9999.9999")  # what an allocation's weight column holds
POLICY_FIELDS = (
    "fiscal_year_start_month",
    "default_measure",
    "pool_formula",
    "manpower_top_n",
    "manpower_utilisation",
    "key_account_levels",
    "matrix_months",
    "quadrants",
    "default_quadrant",
    "coverage_red",
    "coverage_amber",
    "snapshot_workday",
    "award_coverage",
    "award_months",
    "award_floor",
    "award_percent",
    "peers_see_targets",
    "survey_min_group",
)
QUADRANT_KEYS = ("label_zh", "label_en", "weight")


def key_account_levels(policy: TargetPolicy) -> list[str]:
    """The account levels that count as key accounts, as a list of codes."""
    return [code.strip() for code in policy.key_account_levels.split(",") if code.strip()]


def quadrant_rows(policy: TargetPolicy) -> dict[str, dict]:
    """The four quadrants' labels and weights, every code present (defaults fill a gap)."""
    stored = policy.quadrants if isinstance(policy.quadrants, dict) else {}
    rows = {}
    for code, default in default_quadrants().items():
        row = stored.get(str(code)) if isinstance(stored.get(str(code)), dict) else {}
        rows[str(code)] = {key: row.get(key, default[key]) for key in QUADRANT_KEYS}
    return rows


def _weight_text(weight: Decimal) -> str:
    places = Decimal("0.01") if weight == weight.quantize(Decimal("0.01")) else Decimal("0.0001")
    return str(weight.quantize(places))


def _levels(value, errors: dict) -> str | None:
    if isinstance(value, str):
        codes = [code.strip() for code in value.split(",")]
    elif isinstance(value, list | tuple):
        codes = [str(code).strip() for code in value]
    else:
        errors["key_account_levels"] = [_("Pick account levels from the list.")]
        return None
    codes = list(dict.fromkeys(code for code in codes if code))
    known = {option.code for option in choices.options(choices.ACCOUNT_LEVEL)}
    unknown = [code for code in codes if code not in known]
    if unknown:
        errors["key_account_levels"] = [
            _("Unknown account level: %(codes)s. Pick from: %(known)s.")
            % {"codes": ", ".join(unknown), "known": ", ".join(sorted(known))}
        ]
        return None
    if not codes:
        errors["key_account_levels"] = [_("Pick at least one account level.")]
        return None
    text = ",".join(codes)
    if len(text) > TargetPolicy._meta.get_field("key_account_levels").max_length:
        errors["key_account_levels"] = [_("Too many levels picked.")]
        return None
    return text


def _quadrants(policy: TargetPolicy, value, errors: dict) -> dict | None:
    """The stored quadrants with ``value``'s rows applied (a row may give some keys)."""
    if not isinstance(value, dict):
        errors["quadrants"] = [_("Give each quadrant's labels and weight.")]
        return None
    rows = quadrant_rows(policy)
    for code, row in value.items():
        if code not in rows:
            errors.setdefault("quadrants", []).append(
                _("Unknown quadrant “%(code)s”. Quadrants: %(codes)s.")
                % {"code": code, "codes": ", ".join(Quadrant.values)}
            )
            continue
        if not isinstance(row, dict):
            errors[f"quadrants.{code}"] = [_("Give the labels and the weight.")]
            continue
        for key, item in row.items():
            name = f"quadrants.{code}.{key}"
            if key not in QUADRANT_KEYS:
                errors[name] = [_("Unknown field.")]
            elif key == "weight":
                try:
                    weight = Decimal(str(item).strip())
                except (InvalidOperation, ValueError, TypeError):
                    weight = None
                if weight is None or not weight.is_finite():
                    errors[name] = [_("Enter a number, e.g. 1.2.")]
                elif weight < 0:
                    errors[name] = [_("A weight cannot be negative.")]
                elif weight > WEIGHT_MAX or weight != weight.quantize(Decimal("0.0001")):
                    errors[name] = [_("At most 9999.9999, with up to four decimal places.")]
                else:
                    rows[code]["weight"] = _weight_text(weight)
            else:
                label = str(item or "").strip()
                if not label:
                    errors[name] = [_("This field is required.")]
                elif len(label) > LABEL_MAX:
                    errors[name] = [_("At most %(max)d characters.") % {"max": LABEL_MAX}]
                else:
                    rows[code][key] = label
    weights_ok = not any(k.startswith("quadrants.") and k.endswith(".weight") for k in errors)
    if weights_ok and not any(Decimal(row["weight"]) > 0 for row in rows.values()):
        errors.setdefault("quadrants", []).append(
            _("At least one quadrant needs a weight above 0: the weights share out the pool.")
        )
    return rows


def _cross_checks(policy: TargetPolicy, errors: dict) -> None:
    """Rules between fields, for fields that are valid on their own."""
    if not {"coverage_red", "coverage_amber"} & errors.keys():
        if policy.coverage_amber < policy.coverage_red:
            errors["coverage_amber"] = [
                _("The amber line (%(amber)s) cannot be below the red line (%(red)s).")
                % {"amber": policy.coverage_amber, "red": policy.coverage_red}
            ]
    if not {"award_floor", "award_coverage"} & errors.keys():
        if policy.award_floor > policy.award_coverage:
            errors["award_floor"] = [
                _("The floor (%(floor)s) cannot be above the award coverage (%(cover)s).")
                % {"floor": policy.award_floor, "cover": policy.award_coverage}
            ]
    if "pool_formula" not in errors:
        try:
            compile_expression(policy.pool_formula, allowed_names=set(POOL_NAMES))
        except ExpressionError as exc:
            errors["pool_formula"] = [
                _("%(problem)s The formula may use historical, market and manpower.")
                % {"problem": exc.message}
            ]


@transaction.atomic
def policy_update(*, actor, **data) -> TargetPolicy:
    """Change the targets settings (configurers: sales-ops admins and directors). Every bad
    value is reported at once, by field; the change is audited and in force at once."""
    if not permissions.can_configure(actor):
        raise PermissionDenied(_("Only a sales-ops admin or a director changes target settings."))
    TargetPolicy.current()  # the row exists
    policy = TargetPolicy.objects.select_for_update().order_by("pk").first()
    errors: dict = {}
    for key, value in data.items():
        if key not in POLICY_FIELDS:
            errors[key] = [_("Unknown field.")]
        elif key == "key_account_levels":
            text = _levels(value, errors)
            if text is not None:
                policy.key_account_levels = text
        elif key == "quadrants":
            rows = _quadrants(policy, value, errors)
            if rows is not None:
                policy.quadrants = rows
        else:
            if key == "pool_formula" and isinstance(value, str):
                value = value.strip()
            setattr(policy, key, value)
    try:
        policy.clean_fields(
            exclude=["quadrants", "key_account_levels", "updated_at", "updated_by"]
            + [key for key in errors if key in POLICY_FIELDS]
        )
    except ValidationError as exc:
        errors = merge_errors(errors, exc.message_dict)
    _cross_checks(policy, errors)
    if errors:
        raise ValidationError(errors)
    now = clock.now()  # forward even with a frozen clock
    if policy.updated_at and now <= policy.updated_at:
        now = policy.updated_at + dt.timedelta(microseconds=1)
    policy.updated_at = now
    policy.updated_by = actor
    save_with_history(policy, actor, "updated")
    return policy

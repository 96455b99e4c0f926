"""Settings · Incentives (P2): the one :class:`~.models.IncentivePolicy` row a configurer
edits — the deferred-release tranches (I2), the customer-health coefficient (I3), the
customer-success points (I4), the mentor reward (I5) and the breakthrough award's hard
account levels (I1). Written only here, audited through the row's history; every reader
uses :meth:`IncentivePolicy.current`, so a change is in force at once. Every bad value is
reported at once, by field, and nothing is saved when there is one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.core.history import save_with_history
from salesops.customers.models import AccountLevel

from . import formulas, permissions
from .models import IncentivePolicy, PaymentRelease

HUNDRED = Decimal(100)
TRANCHE_FIELDS = ("payment_percent", "quality_percent", "renewal_percent")
PERCENT_FIELDS = (*TRANCHE_FIELDS, "mentor_first_percent", "mentor_next_percent")
COEFFICIENT_FIELDS = ("coefficient_min", "coefficient_max", "cs_cap")
HOUR_FIELDS = ("response_target_hours", "cs_hours_per_point")
# field: (least, most)
INTEGER_FIELDS = {
    "quality_months": (1, 60),
    "renewal_months": (1, 120),
    "renewal_grace_days": (0, 366),
    "cs_max_points": (1, 1000),
    "cs_cap_below": (0, 1000),
    "mentor_next_count": (0, 100),
}
POLICY_FIELDS = (
    *PERCENT_FIELDS,
    *COEFFICIENT_FIELDS,
    *HOUR_FIELDS,
    *INTEGER_FIELDS,
    "payment_release",
    "coefficient_formula",
    "mentor_deducts",
    "breakthrough_levels",
)
COEFFICIENT_MAX = Decimal("100")
HOURS_MAX = Decimal("10000")


def parse_decimal(value) -> Decimal | None:
    """``value`` as a finite Decimal, or ``None`` when it is not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def number_text(value: Decimal) -> str:
    """``1.300`` → ``1.3``, ``50.00`` → ``50``: a number as a person writes it."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _decimal(value, field, errors, *, low, high, places, low_open=False) -> Decimal | None:
    number = parse_decimal(value)
    if number is None:
        errors[field] = [
            _("Enter a number between %(low)s and %(high)s.")
            % {"low": number_text(low), "high": number_text(high)}
        ]
        return None
    too_low = number <= low if low_open else number < low
    if too_low or number > high:
        errors[field] = [
            (
                _("Enter a number above %(low)s and at most %(high)s (got %(n)s).")
                if low_open
                else _("Enter a number between %(low)s and %(high)s (got %(n)s).")
            )
            % {"low": number_text(low), "high": number_text(high), "n": number_text(number)}
        ]
        return None
    quantum = Decimal(1).scaleb(-places)
    if number != number.quantize(quantum):
        errors[field] = [_("At most %(n)d decimal places.") % {"n": places}]
        return None
    return number.quantize(quantum)


def _integer(value, field, errors, low, high) -> int | None:
    number = parse_decimal(value)
    if number is None or number != number.to_integral_value():
        errors[field] = [
            _("Enter a whole number between %(low)d and %(high)d.") % {"low": low, "high": high}
        ]
        return None
    if not low <= number <= high:
        errors[field] = [
            _("Enter a whole number between %(low)d and %(high)d (got %(n)s).")
            % {"low": low, "high": high, "n": number_text(number)}
        ]
        return None
    return int(number)


def _boolean(value, field, errors) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "on", "yes"):
        return True
    if text in ("0", "false", "off", "no", ""):
        return False
    errors[field] = [_("Enter true or false.")]
    return None


def _levels(value, errors) -> list[str] | None:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",")]
    if not isinstance(value, list | tuple):
        errors["breakthrough_levels"] = [
            _("Pick account levels from: %(choices)s.") % {"choices": ", ".join(AccountLevel)}
        ]
        return None
    levels = [str(v).strip() for v in value if str(v).strip()]
    unknown = [v for v in levels if v not in AccountLevel.values]
    if unknown:
        errors["breakthrough_levels"] = [
            _("Unknown account level: %(levels)s. Pick from: %(choices)s.")
            % {"levels": ", ".join(unknown), "choices": ", ".join(AccountLevel.values)}
        ]
        return None
    return list(dict.fromkeys(levels))


def _set(policy: IncentivePolicy, key: str, value, errors: dict) -> None:
    if key in PERCENT_FIELDS:
        parsed = _decimal(value, key, errors, low=Decimal(0), high=HUNDRED, places=2)
    elif key in COEFFICIENT_FIELDS:
        parsed = _decimal(
            value, key, errors, low=Decimal(0), high=COEFFICIENT_MAX, places=3, low_open=True
        )
    elif key in HOUR_FIELDS:
        parsed = _decimal(
            value, key, errors, low=Decimal(0), high=HOURS_MAX, places=2, low_open=True
        )
    elif key in INTEGER_FIELDS:
        parsed = _integer(value, key, errors, *INTEGER_FIELDS[key])
    elif key == "payment_release":
        parsed = value if value in PaymentRelease.values else None
        if parsed is None:
            errors[key] = [
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(PaymentRelease.values)}
            ]
    elif key == "mentor_deducts":
        parsed = _boolean(value, key, errors)
    elif key == "breakthrough_levels":
        parsed = _levels(value, errors)
    else:  # coefficient_formula
        parsed = str(value or "").strip()
        if not parsed:
            errors[key] = [_("Enter the coefficient formula.")]
        elif len(parsed) > 1000:
            errors[key] = [_("At most 1000 characters.")]
        else:
            problems = formulas.validate_coefficient(parsed)
            if problems:
                names = ", ".join(formulas.COEFFICIENT_VARIABLES)
                errors[key] = [
                    f"{p} " + _("The coefficient formula may use: %(names)s.") % {"names": names}
                    for p in problems
                ]
    if key not in errors:
        setattr(policy, key, parsed)


def _cross_checks(policy: IncentivePolicy, errors: dict) -> None:
    if not set(TRANCHE_FIELDS) & errors.keys():
        total = policy.payment_percent + policy.quality_percent + policy.renewal_percent
        if total != HUNDRED:
            errors["tranche_percents"] = [
                _(
                    "The three tranches (payment, quiet period, renewal) must add up to 100; "
                    "they add up to %(n)s."
                )
                % {"n": number_text(total)}
            ]
    if not {"coefficient_min", "coefficient_max"} & errors.keys():
        low, high = policy.coefficient_min, policy.coefficient_max
        if low > high:
            errors["coefficient_min"] = [
                _("The coefficient's minimum (%(low)s) is above its maximum (%(high)s).")
                % {"low": number_text(low), "high": number_text(high)}
            ]
        elif "cs_cap" not in errors and not low <= policy.cs_cap <= high:
            errors["cs_cap"] = [
                _(
                    "The capped coefficient (%(cap)s) must lie within the coefficient's range "
                    "%(low)s–%(high)s."
                )
                % {
                    "cap": number_text(policy.cs_cap),
                    "low": number_text(low),
                    "high": number_text(high),
                }
            ]
    if (
        not {"cs_cap_below", "cs_max_points"} & errors.keys()
        and policy.cs_cap_below > policy.cs_max_points
    ):
        errors["cs_cap_below"] = [
            _(
                "The cap applies below %(below)d points, but a month earns at most %(max)d: "
                "the cap would always apply. Lower it to %(max)d or less."
            )
            % {"below": policy.cs_cap_below, "max": policy.cs_max_points}
        ]


@transaction.atomic
def update(*, by, **fields) -> IncentivePolicy:
    """Change the incentive settings (configurers); audited (who, when, before/after)."""
    if not permissions.can_configure(by):
        raise PermissionDenied(
            _("Only a sales-ops admin or a director changes the incentive settings.")
        )
    IncentivePolicy.current()  # the row exists
    policy = IncentivePolicy.objects.select_for_update().order_by("pk").first()
    errors: dict = {}
    for key, value in fields.items():
        if key not in POLICY_FIELDS:
            errors[key] = [_("Unknown field.")]
        else:
            _set(policy, key, value, errors)
    _cross_checks(policy, errors)
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    if policy.updated_at and now <= policy.updated_at:
        now = policy.updated_at + dt.timedelta(microseconds=1)
    policy.updated_at = now
    policy.updated_by = by
    save_with_history(policy, by, "updated")
    return policy

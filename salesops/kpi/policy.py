"""Settings · KPI (P2): the one :class:`~.models.KpiPolicy` row a configurer edits — default
group weights, the range the process group may take, ranking visibility, the six "my
comparison" metrics and their benchmark. Written only here, audited through the row's
history; every reader uses :meth:`KpiPolicy.current`, so a change is in force at once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.core.history import save_with_history

from . import permissions
from .models import BenchmarkMode, KpiPolicy, Metric, RankingVisibility

COMPARISON_COUNT = 6
WEIGHT_FIELDS = ("result_weight", "process_weight", "quality_weight", "process_min", "process_max")
POLICY_FIELDS = (
    *WEIGHT_FIELDS,
    "ranking_visibility",
    "comparison_metrics",
    "benchmark_mode",
    "benchmark_values",
)
HUNDRED = Decimal(100)
VALUE_MAX = Decimal("1e15")


def parse_decimal(value) -> Decimal | None:
    """``value`` as a finite Decimal, or ``None`` when it is not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def percent(value, field: str, errors: dict) -> Decimal | None:
    """A percentage 0–100 with at most two decimal places, or an error on ``field``."""
    number = parse_decimal(value)
    if number is None:
        errors[field] = [_("Enter a number between 0 and 100, e.g. 25.")]
    elif number < 0 or number > HUNDRED:
        errors[field] = [_("Enter a number between 0 and 100 (got %(n)s).") % {"n": number}]
    elif number != number.quantize(Decimal("0.01")):
        errors[field] = [_("At most two decimal places.")]
    else:
        return number.quantize(Decimal("0.01"))
    return None


def process_range(policy: KpiPolicy | None = None) -> tuple[Decimal, Decimal]:
    policy = policy or KpiPolicy.current()
    return policy.process_min, policy.process_max


def weights_problem(result, process, quality) -> str | None:
    """The message when three group weights do not add up to 100."""
    total = result + process + quality
    if total != HUNDRED:
        return _("The group weights must add up to 100; they add up to %(n)s.") % {
            "n": _number(total)
        }
    return None


def process_problem(process, low, high) -> str | None:
    if process < low or process > high:
        return _("The process group must weigh between %(low)s and %(high)s (Settings · KPI).") % {
            "low": _number(low),
            "high": _number(high),
        }
    return None


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return text


def active_metric_codes() -> list[str]:
    return list(Metric.objects.filter(is_active=True).values_list("code", flat=True))


def _comparison(value, errors: dict) -> list[str] | None:
    if isinstance(value, str):
        value = [code.strip() for code in value.split(",")]
    if not isinstance(value, list | tuple):
        errors["comparison_metrics"] = [_("Pick six metrics from the list.")]
        return None
    codes = [str(code).strip() for code in value if str(code).strip()]
    known = set(active_metric_codes())
    unknown = [code for code in codes if code not in known]
    if unknown:
        errors["comparison_metrics"] = [
            _("Unknown or inactive metric: %(codes)s. Pick active metrics from the library.")
            % {"codes": ", ".join(unknown)}
        ]
        return None
    if len(set(codes)) != len(codes):
        errors["comparison_metrics"] = [_("Each metric may be picked once.")]
        return None
    if len(codes) != COMPARISON_COUNT:
        errors["comparison_metrics"] = [
            _("Pick exactly %(n)d metrics (%(got)d picked).")
            % {"n": COMPARISON_COUNT, "got": len(codes)}
        ]
        return None
    return codes


def _benchmarks(value, errors: dict) -> dict | None:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        errors["benchmark_values"] = [_("Give a value per metric code, e.g. {“nps”: 40}.")]
        return None
    out = {}
    for code, raw in value.items():
        if raw in (None, ""):
            continue
        number = parse_decimal(raw)
        if number is None or abs(number) >= VALUE_MAX:
            errors[f"benchmark_values.{code}"] = [_("Enter a number, e.g. 12.5.")]
            continue
        out[str(code)] = str(number)
    return out


def _cross_checks(policy: KpiPolicy, errors: dict) -> None:
    if not set(WEIGHT_FIELDS) & errors.keys():
        problem = weights_problem(
            policy.result_weight, policy.process_weight, policy.quality_weight
        )
        if problem:
            errors["weights"] = [problem]
        if policy.process_min > policy.process_max:
            errors["process_max"] = [
                _("The most (%(high)s) cannot be below the least (%(low)s).")
                % {"high": _number(policy.process_max), "low": _number(policy.process_min)}
            ]
        else:
            problem = process_problem(policy.process_weight, policy.process_min, policy.process_max)
            if problem:
                errors["process_weight"] = [problem]
    if not {"comparison_metrics", "benchmark_values"} & errors.keys():
        codes = list(policy.comparison_metrics)
        stray = [code for code in policy.benchmark_values if code not in codes]
        if stray:
            errors["benchmark_values"] = [
                _("Values for metrics that are not compared: %(codes)s.")
                % {"codes": ", ".join(stray)}
            ]
        elif policy.benchmark_mode == BenchmarkMode.FIXED:
            missing = [code for code in codes if code not in policy.benchmark_values]
            if missing:
                errors["benchmark_values"] = [
                    _(
                        "A set benchmark needs a value for every compared metric; missing: %(codes)s."
                    )
                    % {"codes": ", ".join(missing)}
                ]


@transaction.atomic
def policy_update(*, actor, **data) -> KpiPolicy:
    """Change the KPI settings (configurers). Every bad value is reported at once, by
    field; the change is audited (history row: who, when, before/after)."""
    if not permissions.can_configure(actor):
        raise PermissionDenied(_("Only a sales-ops admin or a director changes KPI settings."))
    KpiPolicy.current()  # the row exists
    policy = KpiPolicy.objects.select_for_update().order_by("pk").first()
    errors: dict = {}
    for key, value in data.items():
        if key not in POLICY_FIELDS:
            errors[key] = [_("Unknown field.")]
        elif key in WEIGHT_FIELDS:
            number = percent(value, key, errors)
            if number is not None:
                setattr(policy, key, number)
        elif key == "ranking_visibility":
            if value not in RankingVisibility.values:
                errors[key] = [
                    _("Choose one of: %(choices)s.")
                    % {"choices": ", ".join(RankingVisibility.values)}
                ]
            else:
                policy.ranking_visibility = value
        elif key == "benchmark_mode":
            if value not in BenchmarkMode.values:
                errors[key] = [
                    _("Choose one of: %(choices)s.") % {"choices": ", ".join(BenchmarkMode.values)}
                ]
            else:
                policy.benchmark_mode = value
        elif key == "comparison_metrics":
            codes = _comparison(value, errors)
            if codes is not None:
                policy.comparison_metrics = codes
        elif key == "benchmark_values":
            values = _benchmarks(value, errors)
            if values is not None:
                policy.benchmark_values = values
    _cross_checks(policy, errors)
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    if policy.updated_at and now <= policy.updated_at:
        now = policy.updated_at + dt.timedelta(microseconds=1)
    policy.updated_at = now
    policy.updated_by = actor
    save_with_history(policy, actor, "updated")
    return policy

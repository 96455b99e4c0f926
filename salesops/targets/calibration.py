"""Three-source calibration (T1): the initial pool of a plan from

- **historical**: the plan's measure (:mod:`.measures`) over the twelve months before the
  fiscal year starts, product line applied, counted for the owners in the plan's team
  subtree (every owner when the team is the root); the twelve monthly values are kept in
  ``history_months`` as ``[{"month": "2025-01", "amount": "…"}, …]``;
- **market**: Σ_i history_months[i] × seasonal_index[i] × bidding_index. Alignment:
  ``seasonal_index[i]`` is the index of fiscal month *i* (0 = the first month of the fiscal
  year) and ``history_months[i]`` is the same month a year earlier, so each past month is
  scaled by the index of the month it predicts;
- **manpower**: top_monthly × headcount × 12 × utilisation, where top_monthly is the mean
  monthly result (12-month total / 12) of the ``top_n`` members (permissions.members) with
  the highest 12-month totals (ties: lower user id first; fewer members → all of them), and
  headcount is the member count unless the admin typed one (the one used is stored);

then ``pool = evaluate(formula, {historical, market, manpower})`` rounded half up to
0.01, never negative. Every input is checked at once; a formula with a syntax error or an
unknown variable is an error on ``formula``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.core.expressions import ExpressionError, compile_expression, evaluate
from salesops.core.history import save_with_history
from salesops.org.models import User

from . import measures
from .lifecycle import require_configurer, require_unlocked
from .models import Allocation, Calibration, PlanState, TargetPlan
from .permissions import members

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
POOL_NAMES = {"historical", "market", "manpower"}
INPUTS = (
    "seasonal_index",
    "bidding_index",
    "competitor_notes",
    "top_n",
    "headcount",
    "utilisation",
    "formula",
)
NOTES_MAX = 5000
BIDDING_MAX = Decimal("999.999")


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _decimal(value) -> Decimal | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _integer(value) -> int | None:
    number = _decimal(value)
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


def clean_inputs(inputs: dict) -> tuple[dict, dict]:
    """The inputs as stored values, and the errors per field."""
    unknown = set(inputs) - set(INPUTS)
    errors: dict[str, list] = {field: [_("Unknown field.")] for field in sorted(unknown)}
    clean: dict = {}
    if "seasonal_index" in inputs:
        raw = inputs["seasonal_index"]
        values = [_decimal(v) for v in raw] if isinstance(raw, list | tuple) else None
        if values is None or len(values) != 12 or any(v is None or v < 0 for v in values):
            errors["seasonal_index"] = [_("Give exactly 12 numbers, none below zero.")]
        else:
            clean["seasonal_index"] = [str(v) for v in values]
    if "bidding_index" in inputs:
        value = _decimal(inputs["bidding_index"])
        if value is None or value < 0 or value > BIDDING_MAX:
            errors["bidding_index"] = [_("Give a number between 0 and 999.999.")]
        else:
            clean["bidding_index"] = value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    if "competitor_notes" in inputs:
        notes = str(inputs["competitor_notes"] or "")
        if len(notes) > NOTES_MAX:
            errors["competitor_notes"] = [_("At most %(limit)d characters.") % {"limit": NOTES_MAX}]
        clean["competitor_notes"] = notes
    if "top_n" in inputs:
        value = _integer(inputs["top_n"])
        if value is None or not 1 <= value <= 1000:
            errors["top_n"] = [_("Give a whole number from 1 to 1000.")]
        else:
            clean["top_n"] = value
    if "headcount" in inputs:
        raw = inputs["headcount"]
        value = None if raw in (None, "") else _integer(raw)
        if raw not in (None, "") and (value is None or not 0 <= value <= 100000):
            errors["headcount"] = [_("Give a whole number of people, or leave it empty.")]
        else:
            clean["headcount"] = value or None
    if "utilisation" in inputs:
        value = _decimal(inputs["utilisation"])
        if value is None or not 0 <= value <= 2:
            errors["utilisation"] = [_("Give a number between 0 and 2.")]
        else:
            clean["utilisation"] = value.quantize(CENT, rounding=ROUND_HALF_UP)
    if "formula" in inputs:
        formula = str(inputs["formula"] or "").strip()
        try:
            compile_expression(formula, allowed_names=POOL_NAMES)
        except ExpressionError as exc:
            errors["formula"] = [str(exc)]
        else:
            if len(formula) > 500:
                errors["formula"] = [_("At most %(limit)d characters.") % {"limit": 500}]
            clean["formula"] = formula
    return clean, errors


def _history_window(plan: TargetPlan):
    start = measures.fiscal_start(plan.fiscal_year)
    return measures.add_months(start, -12), start


def _team_owner_ids(plan: TargetPlan):
    """None (everyone) for the root team, else every user ever placed in the subtree."""
    if plan.team.parent_id is None:
        return None
    return list(
        User.objects.filter(team__path__startswith=plan.team.path).values_list("pk", flat=True)
    )


def historical_months(plan: TargetPlan) -> list[dict]:
    start, end = _history_window(plan)
    series = measures.by_month(
        plan.measure,
        start=start,
        end=end,
        product_line=plan.product_line,
        owner_ids=_team_owner_ids(plan),
    )
    return [{"month": f"{m:%Y-%m}", "amount": str(series[m])} for m in sorted(series)]


def top_monthly(plan: TargetPlan, top_n: int) -> tuple[Decimal, int]:
    """The top ``top_n`` members' mean monthly result, and the member count."""
    member_ids = list(members(plan).values_list("pk", flat=True))
    if not member_ids:
        return ZERO, 0
    start, end = _history_window(plan)
    totals = measures.by_owner(
        plan.measure, start=start, end=end, product_line=plan.product_line, owner_ids=member_ids
    )
    ranked = sorted(member_ids, key=lambda pk: (-totals.get(pk, ZERO), pk))[:top_n]
    monthly = [totals.get(pk, ZERO) / 12 for pk in ranked]
    return money(sum(monthly, Decimal(0)) / len(monthly)), len(member_ids)


def compute(calibration: Calibration, *, headcount: int | None = None) -> Calibration:
    """Fill the three sources and the pool of ``calibration`` from the data (not saved).
    Raises ValidationError on ``formula`` when it cannot be evaluated or is negative."""
    plan = calibration.plan
    months = historical_months(plan)
    calibration.history_months = months
    amounts = [Decimal(row["amount"]) for row in months]
    calibration.historical = money(sum(amounts, ZERO))
    seasonal = [Decimal(str(v)) for v in calibration.seasonal_index]
    market = sum((a * s for a, s in zip(amounts, seasonal, strict=True)), Decimal(0))
    calibration.market = money(market * Decimal(calibration.bidding_index))
    top, member_count = top_monthly(plan, calibration.top_n)
    calibration.top_monthly = top
    calibration.headcount = headcount if headcount else member_count
    calibration.manpower = money(
        top * calibration.headcount * 12 * Decimal(calibration.utilisation)
    )
    variables = {
        "historical": calibration.historical,
        "market": calibration.market,
        "manpower": calibration.manpower,
    }
    try:
        result = evaluate(compile_expression(calibration.formula, POOL_NAMES), variables)
    except ExpressionError as exc:
        raise ValidationError({"formula": [str(exc)]}) from None
    number = _decimal(result)
    if number is None:
        raise ValidationError({"formula": [_("The formula must give a number.")]})
    if number < 0:
        raise ValidationError(
            {"formula": [_("The pool came out negative (%(value)s).") % {"value": money(number)}]}
        )
    calibration.pool = money(number)
    calibration.computed_at = clock.now()
    return calibration


def reset_later_steps(plan: TargetPlan) -> None:
    """A recalibrated plan forgets its chosen scenario and its reps' split (of the version
    in force) and opens the vote again; not saved here."""
    Allocation.objects.filter(plan=plan, version=plan.version).delete()
    plan.baseline = None
    plan.baseline_amount = None
    plan.vote_open = True


@transaction.atomic
def calibrate(*, plan, actor, **inputs) -> Calibration:
    """Store the admin's inputs (any of :data:`INPUTS`), compute the three sources and the
    pool, write the pool to the plan and move it to "calibrated" (clearing the baseline
    and the allocations of the version in force when it had gone further)."""
    require_configurer(actor)
    plan = TargetPlan.objects.select_for_update().select_related("team").get(pk=plan.pk)
    require_unlocked(plan)
    clean, errors = clean_inputs(inputs)
    if errors:
        raise ValidationError(errors)
    calibration = Calibration.objects.select_for_update().get(plan=plan)
    calibration.plan = plan
    headcount = clean.pop("headcount", None)
    for field, value in clean.items():
        setattr(calibration, field, value)
    compute(calibration, headcount=headcount)
    save_with_history(calibration, actor, "calibrated")
    if plan.state != PlanState.DRAFT and plan.state != PlanState.CALIBRATED:
        reset_later_steps(plan)
    plan.pool = calibration.pool
    plan.state = PlanState.CALIBRATED
    save_with_history(plan, actor, "calibrated")
    return calibration

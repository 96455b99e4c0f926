"""A rep's month factors (SPEC I3, I4): customer-success hours and points, and the
customer-health coefficient with its inputs.

* **CS hours** (I4): the durations of the activities that customer-success people logged
  on the rep's accounts, started in the month (local dates); points = ⌊hours ÷ hours per
  point⌋, at most the policy's maximum (2 h = 1 point, 3.9 h = 1, 25 h = 10).
* **response_hours**: the mean first-response hours of the service tickets opened in the
  month on the rep's accounts.
* **adoption**: the share of the knowledge pushed to the rep in the month that the rep
  adopted afterwards (the KPI metric "knowledge adopted" counts the same usage action).
* **nps_change**: the NPS (% promoters − % detractors) of the rep's accounts' answers in
  the three months ending with the month, minus the three months before.

An input without data takes its neutral value (response target, 0.5, 0) and is named in
``explanation["neutral"]``. The coefficient is the policy's formula over the four inputs,
clamped to [min, max], then capped when the rep earned fewer CS points than the policy's
threshold. One grouped query per input, whatever the number of reps.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from salesops.activities.models import Activity
from salesops.aftersales.models import NpsCategory, NpsResponse, ServiceTicket
from salesops.core import clock
from salesops.core.expressions import ExpressionError
from salesops.knowledge.models import KnowledgeUsage, Push, UsageAction
from salesops.org.models import Role

from . import formulas, ledger
from .assignment import PAID_ROLES
from .models import IncentivePolicy, RepFactors

HOURS = Decimal("0.01")
COEFFICIENT = Decimal("0.001")
RATIO = Decimal("0.0001")
NEUTRAL_ADOPTION = Decimal("0.5")
USED = (UsageAction.ADOPTED,)


@dataclass
class Values:
    """One rep's computed factors (what :class:`RepFactors` stores)."""

    rep_id: int
    cs_hours: Decimal
    cs_points: int
    response_hours: Decimal | None
    adoption: Decimal | None
    nps_change: Decimal | None
    coefficient_raw: Decimal
    coefficient: Decimal
    explanation: dict = field(default_factory=dict)


def _text(value) -> str | None:
    return None if value is None else str(value)


def month_window(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month as aware instants [first local midnight, next month's first)."""
    tz = timezone.get_default_timezone()
    start = dt.datetime.combine(month, dt.time.min)
    end = dt.datetime.combine(ledger.next_month(month), dt.time.min)
    return timezone.make_aware(start, tz), timezone.make_aware(end, tz)


def _add_months(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def cs_points(hours: Decimal, policy: IncentivePolicy) -> int:
    if policy.cs_hours_per_point <= 0:
        return policy.cs_max_points
    points = int((hours / policy.cs_hours_per_point).to_integral_value(rounding=ROUND_FLOOR))
    return max(0, min(policy.cs_max_points, points))


def _cs_hours(rep_ids, start, end) -> dict[int, Decimal]:
    rows = (
        Activity.objects.filter(
            owner__role=Role.CUSTOMER_SUCCESS,
            account__owner_id__in=rep_ids,
            started_at__gte=start,
            started_at__lt=end,
        )
        .order_by()
        .values("account__owner_id")
        .annotate(seconds=Sum("duration_seconds"))
    )
    return {
        row["account__owner_id"]: (Decimal(row["seconds"] or 0) / 3600).quantize(HOURS)
        for row in rows
    }


def _response(rep_ids, start, end) -> dict[int, tuple[Decimal, int]]:
    """Mean first-response hours and ticket count per rep (Decimal: sum ÷ count)."""
    rows = (
        ServiceTicket.objects.filter(
            account__owner_id__in=rep_ids,
            opened_at__gte=start,
            opened_at__lt=end,
            response_hours__isnull=False,
        )
        .order_by()
        .values("account__owner_id")
        .annotate(total=Sum("response_hours"), n=Count("id"))
    )
    return {
        row["account__owner_id"]: ((Decimal(row["total"]) / row["n"]).quantize(HOURS), row["n"])
        for row in rows
        if row["n"]
    }


def _adoption(rep_ids, start, end) -> dict[int, tuple[Decimal, int]]:
    """Share of the month's pushes the rep adopted afterwards (before the month ended)."""
    used = KnowledgeUsage.objects.filter(
        user_id=OuterRef("user_id"),
        item_id=OuterRef("item_id"),
        action__in=USED,
        at__gte=OuterRef("created_at"),
        at__lt=end,
    )
    rows = (
        Push.objects.filter(user_id__in=rep_ids, created_at__gte=start, created_at__lt=end)
        .order_by()
        .values("user_id")
        .annotate(total=Count("id"), used=Count("id", filter=Q(Exists(used))))
    )
    return {
        row["user_id"]: ((Decimal(row["used"]) / row["total"]).quantize(RATIO), row["total"])
        for row in rows
        if row["total"]
    }


def _nps(score_counts: tuple[int, int, int]) -> Decimal:
    total, promoters, detractors = score_counts
    return Decimal(promoters - detractors) * 100 / total


def _nps_change(rep_ids, month: dt.date) -> dict[int, tuple[Decimal | None, int, int]]:
    """NPS of the 3 months ending with ``month`` minus the 3 before, with the answer
    counts; ``None`` when either window has no answer."""
    now_from, before_from, until = (
        _add_months(month, -2),
        _add_months(month, -5),
        _add_months(month, 1),
    )
    now, before = Q(responded_on__gte=now_from), Q(responded_on__lt=now_from)
    promoter, detractor = (
        Q(category=NpsCategory.PROMOTER),
        Q(category=NpsCategory.DETRACTOR),
    )
    rows = (
        NpsResponse.objects.filter(
            account__owner_id__in=rep_ids, responded_on__gte=before_from, responded_on__lt=until
        )
        .order_by()
        .values("account__owner_id")
        .annotate(
            now_n=Count("id", filter=now),
            now_p=Count("id", filter=now & promoter),
            now_d=Count("id", filter=now & detractor),
            before_n=Count("id", filter=before),
            before_p=Count("id", filter=before & promoter),
            before_d=Count("id", filter=before & detractor),
        )
    )
    result = {}
    for row in rows:
        change = None
        if row["now_n"] and row["before_n"]:
            change = _nps((row["now_n"], row["now_p"], row["now_d"])) - _nps(
                (row["before_n"], row["before_p"], row["before_d"])
            )
            change = change.quantize(HOURS)
        result[row["account__owner_id"]] = (change, row["now_n"], row["before_n"])
    return result


def coefficient_of(variables: dict, points: int, policy: IncentivePolicy) -> dict:
    """``{"raw", "clamped", "coefficient", "capped"}`` for the inputs and CS points."""
    try:
        raw = formulas.evaluate(policy.coefficient_formula, variables)
    except (ExpressionError, ArithmeticError) as exc:
        raise ValidationError(
            {
                "coefficient_formula": _(
                    "The coefficient formula cannot be computed (%(error)s): correct it on "
                    "Settings · Incentives."
                )
                % {"error": exc}
            }
        ) from exc
    raw = raw.quantize(COEFFICIENT)
    low, high, cap = (
        Decimal(policy.coefficient_min).quantize(COEFFICIENT),
        Decimal(policy.coefficient_max).quantize(COEFFICIENT),
        Decimal(policy.cs_cap).quantize(COEFFICIENT),
    )
    clamped = min(max(raw, low), high)
    capped = points < policy.cs_cap_below
    value = min(clamped, cap) if capped else clamped
    return {"raw": raw, "clamped": clamped, "coefficient": value, "capped": capped}


def calculate(
    month: dt.date, rep_ids=None, *, policy: IncentivePolicy | None = None
) -> dict[int, Values]:
    """Every rep's factors for ``month`` (nothing written)."""
    month = ledger.month_of(month)
    policy = policy or IncentivePolicy.current()
    if rep_ids is None:
        rep_ids = get_user_model().objects.filter(is_active=True, role__in=PAID_ROLES)
        rep_ids = list(rep_ids.values_list("pk", flat=True))
    rep_ids = sorted(set(rep_ids))
    start, end = month_window(month)
    hours = _cs_hours(rep_ids, start, end)
    response = _response(rep_ids, start, end)
    adoption = _adoption(rep_ids, start, end)
    nps = _nps_change(rep_ids, month)
    target = Decimal(policy.response_target_hours).quantize(HOURS)
    result = {}
    for rep_id in rep_ids:
        cs = hours.get(rep_id, Decimal("0.00"))
        points = cs_points(cs, policy)
        rh, tickets = response.get(rep_id, (None, 0))
        ad, pushes = adoption.get(rep_id, (None, 0))
        nc, nps_now, nps_before = nps.get(rep_id, (None, 0, 0))
        neutral = [
            name
            for name, value in (("response_hours", rh), ("adoption", ad), ("nps_change", nc))
            if value is None
        ]
        variables = {
            "response_hours": target if rh is None else rh,
            "response_target": target,
            "adoption": NEUTRAL_ADOPTION if ad is None else ad,
            "nps_change": Decimal(0) if nc is None else nc,
        }
        coefficient = coefficient_of(variables, points, policy)
        explanation = {
            "inputs": {
                "response_hours": _text(rh),
                "response_target": _text(target),
                "adoption": _text(ad),
                "nps_change": _text(nc),
            },
            "neutral": neutral,
            "counts": {
                "tickets": tickets,
                "pushes": pushes,
                "nps_now": nps_now,
                "nps_before": nps_before,
            },
            "formula": policy.coefficient_formula,
            "raw": str(coefficient["raw"]),
            "clamped": str(coefficient["clamped"]),
            "capped": coefficient["capped"],
            "cs": {
                "hours": str(cs),
                "points": points,
                "per_point": str(Decimal(policy.cs_hours_per_point).quantize(HOURS)),
                "max": policy.cs_max_points,
                "cap_below": policy.cs_cap_below,
                "cap": str(Decimal(policy.cs_cap).quantize(COEFFICIENT)),
            },
        }
        result[rep_id] = Values(
            rep_id=rep_id,
            cs_hours=cs,
            cs_points=points,
            response_hours=rh,
            adoption=ad,
            nps_change=nc,
            coefficient_raw=coefficient["raw"],
            coefficient=coefficient["coefficient"],
            explanation=explanation,
        )
    return result


FIELDS = (
    "cs_hours",
    "cs_points",
    "response_hours",
    "adoption",
    "nps_change",
    "coefficient_raw",
    "coefficient",
    "explanation",
    "computed_at",
)


def refuse_locked(month: dt.date) -> None:
    if ledger.is_locked(month):
        raise ValidationError(
            {
                "month": _("%(month)s is approved and locked: it is not computed again.")
                % {"month": month.strftime("%Y-%m")}
            }
        )


def compute(month: dt.date, rep_ids=None) -> dict[int, RepFactors]:
    """Compute and store every rep's factors for ``month`` (one row per rep and month,
    replaced); refuses a locked month."""
    month = ledger.month_of(month)
    refuse_locked(month)
    values = calculate(month, rep_ids)
    now = clock.now()
    with transaction.atomic():
        existing = {
            row.rep_id: row
            for row in RepFactors.objects.filter(period=month, rep_id__in=list(values))
        }
        fresh, changed = [], []
        for rep_id, v in values.items():
            row = existing.get(rep_id) or RepFactors(rep_id=rep_id, period=month)
            for name in FIELDS[:-1]:
                setattr(row, name, getattr(v, name))
            row.computed_at = now
            (changed if row.pk else fresh).append(row)
        RepFactors.objects.bulk_update(changed, FIELDS, batch_size=500)
        RepFactors.objects.bulk_create(fresh, batch_size=500)
    rows = RepFactors.objects.filter(period=month, rep_id__in=list(values))
    return {row.rep_id: row for row in rows}

"""Decomposition by the capability-resource matrix (T3): the split of a plan's pool to its
reps, and the manager's adjustment of it before publishing.

For each rep among the plan's members (:func:`permissions.members`):

- **x** = the median amount of the deals they won in the last
  :attr:`TargetPolicy.matrix_months` months up to and including today (``closed_at``),
  narrowed to the plan's product line when it has one;
- **y** = their win rate on key accounts = won / (won + lost) of the deals closed in the
  same window whose account level is one of :attr:`TargetPolicy.key_account_levels`.

A rep with no won deal and no closed key-account deal in the window has **no history** and
goes to :attr:`TargetPolicy.default_quadrant`. The others are placed against the medians
of their own team's reps with history (a team without any: the medians over the whole
plan), one axis at a time and only over the reps that have a value on it:
**a value at the median counts as high**; a rep with history but no value on one axis
(no won deal, or no closed key-account deal) is low on that axis.

The quadrant's weight (:attr:`TargetPolicy.quadrants`) makes the share = weight / Σ
weights, and the amounts are the pool split by :func:`allocation.largest_remainder`, so
they add up to the pool to the cent; each amount is split over the fiscal months by the
calibration's seasonal index (fiscal month order) the same way.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, router, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from salesops.core import clock
from salesops.core.history import save_with_history
from salesops.core.validators import merge_errors
from salesops.pipeline.models import Deal, DealStatus

from . import permissions
from .allocation import CENT, decimal_median, largest_remainder, monthly_split
from .models import Allocation, PlanState, Quadrant, TargetPlan, TargetPolicy

SHARE_PLACES = Decimal("0.00000001")
RATE_PLACES = Decimal("0.0001")
ZERO = Decimal("0.00")
UPDATED_FIELDS = [
    "team",
    "median_deal",
    "key_win_rate",
    "won_deals",
    "quadrant",
    "weight",
    "share",
    "amount",
    "monthly",
    "adjusted",
    "reason",
    "updated_at",
]


class PlanStateConflict(ValidationError):
    """The plan is not in a state that allows this step (the API answers 409)."""


# --- the matrix -------------------------------------------------------------------------


@dataclass
class Point:
    """A rep's place in the matrix."""

    rep_id: int
    team_id: int
    median_deal: Decimal | None
    key_win_rate: Decimal | None
    won_deals: int
    key_closed: int

    @property
    def has_history(self) -> bool:
        return self.won_deals > 0 or self.key_closed > 0


def months_back(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` months before ``day`` (the month's last day if shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = index // 12, index % 12 + 1
    next_first = dt.date(year + (month == 12), month % 12 + 1, 1)
    return dt.date(year, month, min(day.day, (next_first - dt.timedelta(days=1)).day))


def window(policy: TargetPolicy, today: dt.date | None = None) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the matrix window: ``matrix_months`` months up to and including
    today, in the organisation's time zone."""
    today = today or clock.today()
    zone = timezone.get_default_timezone()
    start = dt.datetime.combine(months_back(today, policy.matrix_months), dt.time.min)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min)
    return timezone.make_aware(start, zone), timezone.make_aware(end, zone)


def key_levels(policy: TargetPolicy) -> list[str]:
    return [level.strip() for level in policy.key_account_levels.split(",") if level.strip()]


def matrix_points(plan: TargetPlan, policy: TargetPolicy, reps) -> list[Point]:
    """Every rep's x, y and counts over the window (two grouped queries)."""
    start, end = window(policy)
    rep_ids = [rep.pk for rep in reps]
    closed = Deal.objects.filter(
        owner_id__in=rep_ids, closed_at__gte=start, closed_at__lt=end
    ).order_by()
    if plan.product_line:
        closed = closed.filter(product_line=plan.product_line)
    won_amounts: dict[int, list[Decimal]] = defaultdict(list)
    for owner, amount in closed.filter(status=DealStatus.WON).values_list("owner_id", "amount"):
        won_amounts[owner].append(amount)
    key = (
        closed.filter(
            status__in=[DealStatus.WON, DealStatus.LOST], account__level__in=key_levels(policy)
        )
        .values("owner_id")
        .annotate(
            won=Count("id", filter=Q(status=DealStatus.WON)),
            lost=Count("id", filter=Q(status=DealStatus.LOST)),
        )
    )
    key_counts = {row["owner_id"]: (row["won"], row["lost"]) for row in key}
    points = []
    for rep in reps:
        amounts = won_amounts.get(rep.pk, [])
        won, lost = key_counts.get(rep.pk, (0, 0))
        x = decimal_median(amounts)
        points.append(
            Point(
                rep_id=rep.pk,
                team_id=rep.team_id,
                median_deal=x.quantize(CENT) if x is not None else None,
                key_win_rate=(
                    (Decimal(won) / Decimal(won + lost)).quantize(RATE_PLACES)
                    if won + lost
                    else None
                ),
                won_deals=len(amounts),
                key_closed=won + lost,
            )
        )
    return points


@dataclass(frozen=True)
class Medians:
    x: Decimal | None
    y: Decimal | None
    scope: str  # "team" or "plan"


def medians_by_team(rows) -> tuple[dict[int, Medians], Medians]:
    """The medians each team's reps are placed by, and the plan-wide ones.

    ``rows`` have ``team_id``, ``median_deal``, ``key_win_rate`` and ``has_history``
    (points while decomposing, allocations when explaining: the same numbers). Per axis,
    a team without any value on it takes the plan-wide median."""
    history = [r for r in rows if _has_history(r)]
    plan = Medians(
        decimal_median([r.median_deal for r in history]),
        decimal_median([r.key_win_rate for r in history]),
        "plan",
    )
    by_team: dict[int, list] = defaultdict(list)
    for r in history:
        by_team[r.team_id].append(r)
    result = {}
    for team_id in {r.team_id for r in rows}:
        members = by_team.get(team_id, [])
        x = decimal_median([r.median_deal for r in members])
        y = decimal_median([r.key_win_rate for r in members])
        result[team_id] = Medians(
            plan.x if x is None else x, plan.y if y is None else y, "team" if members else "plan"
        )
    return result, plan


def _has_history(row) -> bool:
    if isinstance(row, Point):
        return row.has_history
    return row.median_deal is not None or row.key_win_rate is not None


def quadrant_of(row, medians: Medians, policy: TargetPolicy) -> str:
    """The quadrant code: at or above the median is high; no history → the default."""
    if not _has_history(row):
        return policy.default_quadrant
    high_size = (
        row.median_deal is not None and medians.x is not None and row.median_deal >= medians.x
    )
    high_win = (
        row.key_win_rate is not None and medians.y is not None and row.key_win_rate >= medians.y
    )
    return {
        (True, True): Quadrant.HIGH_SIZE_HIGH_WIN,
        (False, True): Quadrant.LOW_SIZE_HIGH_WIN,
        (True, False): Quadrant.HIGH_SIZE_LOW_WIN,
        (False, False): Quadrant.LOW_SIZE_LOW_WIN,
    }[(high_size, high_win)]


def quadrant_weights(policy: TargetPolicy) -> dict[str, Decimal]:
    """The share weight of every quadrant, checked (≥ 0, a number)."""
    weights, errors = {}, []
    for code, label in Quadrant.choices:
        raw = (policy.quadrants or {}).get(code, {}).get("weight")
        try:
            weight = Decimal(str(raw))
        except (InvalidOperation, ValueError):
            weight = None
        if weight is None or not weight.is_finite() or weight < 0:
            errors.append(
                _("The weight of quadrant “%(quadrant)s” must be a number ≥ 0 (it is %(raw)s).")
                % {"quadrant": label, "raw": raw}
            )
        else:
            weights[code] = weight
    if errors:
        raise ValidationError({"quadrants": errors})
    return weights


def quadrant_label(policy: TargetPolicy, code: str, language: str | None = None) -> str:
    """The quadrant's label in ``language`` (the active one by default)."""
    entry = (policy.quadrants or {}).get(code, {})
    language = (language or get_language() or "").lower()
    label = entry.get("label_zh") if language.startswith("zh") else entry.get("label_en")
    if label:
        return label
    return str(Quadrant(code).label) if code in Quadrant.values else code


def seasonal_index(plan: TargetPlan) -> list[Decimal]:
    """The plan's twelve seasonal indices (fiscal month order); equal months without a
    calibration."""
    calibration = getattr(plan, "calibration", None) if plan.pk else None
    raw = list(calibration.seasonal_index) if calibration is not None else ["1"] * 12
    try:
        values = [Decimal(str(v)) for v in raw]
    except (InvalidOperation, ValueError):
        values = []
    if len(values) != 12 or any(not v.is_finite() or v < 0 for v in values):
        raise ValidationError(
            {"seasonal_index": [_("The calibration needs 12 seasonal indices, each ≥ 0.")]}
        )
    return values


# --- services ---------------------------------------------------------------------------


def _check_can_decompose(plan: TargetPlan) -> None:
    if plan.is_locked:
        raise PlanStateConflict(
            {
                "state": [
                    _(
                        "The plan is published and locked: change a rep's target with an "
                        "adjustment the director approves."
                    )
                ]
            },
            code="conflict",
        )
    if plan.state not in (PlanState.SCENARIO_CHOSEN, PlanState.DECOMPOSED):
        step = (
            _("calibrate the plan")
            if plan.state == PlanState.DRAFT
            else _("choose the baseline scenario")
        )
        raise PlanStateConflict(
            {"state": [_("The plan is not ready to decompose: first %(step)s.") % {"step": step}]},
            code="conflict",
        )


def _update_rows(rows: list[Allocation], field_names: list[str]) -> None:
    """Write ``field_names`` of every row with one UPDATE statement run once per row
    (``executemany``): what ``bulk_update`` does, without its CASE WHEN per row and field
    (thousands of expressions to build for 500 reps)."""
    meta = Allocation._meta
    connection = connections[router.db_for_write(Allocation)]
    fields = [meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
    params = [
        [field.get_db_prep_save(getattr(row, field.attname), connection) for field in fields]
        + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


@transaction.atomic
def decompose(*, plan: TargetPlan, actor) -> list[Allocation]:
    """Split the plan's pool to its reps by the matrix; replaces the rows of the plan's
    current version and moves the plan to "decomposed"."""
    if not permissions.can_configure(actor):
        raise PermissionDenied(_("Only sales-ops admins and directors decompose a plan."))
    plan = TargetPlan.objects.select_for_update().select_related("team").get(pk=plan.pk)
    _check_can_decompose(plan)
    policy = TargetPolicy.current()
    errors: dict = {}
    try:
        weights = quadrant_weights(policy)
    except ValidationError as exc:
        errors = merge_errors(errors, exc.message_dict)
    try:
        season = seasonal_index(plan)
    except ValidationError as exc:
        errors = merge_errors(errors, exc.message_dict)
    if plan.pool <= 0:
        errors = merge_errors(
            errors, {"pool": _("The plan has no pool to split yet: choose a scenario first.")}
        )
    reps = list(permissions.members(plan).order_by("team__path", "display_name", "pk"))
    if not reps:
        errors = merge_errors(
            errors, {"plan": _("The plan's team has no active reps to split the target to.")}
        )
    if errors:
        raise ValidationError(errors)

    points = matrix_points(plan, policy, reps)
    team_medians, _plan_medians = medians_by_team(points)
    quadrants = [quadrant_of(p, team_medians[p.team_id], policy) for p in points]
    rep_weights = [weights[q] for q in quadrants]
    amounts = largest_remainder(plan.pool, rep_weights)
    total_weight = sum(rep_weights)
    version = plan.version
    # Rows of reps still in the plan are updated in place (their history continues), new
    # reps get rows, and reps who left the plan lose theirs.
    existing = {a.rep_id: a for a in Allocation.objects.filter(plan=plan, version=version)}
    for rep_id in set(existing) - {p.rep_id for p in points}:
        gone = existing.pop(rep_id)
        gone._history_user = actor
        gone.delete()
    created, updated = [], []
    for point, quadrant, weight, amount in zip(
        points, quadrants, rep_weights, amounts, strict=True
    ):
        row = existing.get(point.rep_id) or Allocation(
            plan=plan, version=version, rep_id=point.rep_id
        )
        row.team_id = point.team_id
        row.median_deal = point.median_deal
        row.key_win_rate = point.key_win_rate
        row.won_deals = point.won_deals
        row.quadrant = quadrant
        row.weight = weight
        share = (weight / total_weight) if total_weight else Decimal(1) / Decimal(len(points))
        row.share = share.quantize(SHARE_PLACES)
        row.amount = amount
        row.monthly = [str(m) for m in monthly_split(amount, season)]
        row.adjusted, row.reason = False, ""
        if row.pk:  # bulk_update skips save(): move the version stamp forward here
            row.updated_at = max(clock.now(), row.updated_at + dt.timedelta(microseconds=1))
        (updated if row.pk else created).append(row)
    if created:
        bulk_create_with_history(
            created, Allocation, default_user=actor, default_change_reason="decomposed"
        )
    if updated:
        _update_rows(updated, UPDATED_FIELDS)
        # the rows are written above: this writes their history only
        bulk_update_with_history(
            updated,
            Allocation,
            [],
            default_user=actor,
            default_change_reason="decomposed again",
        )
    plan.state = PlanState.DECOMPOSED
    save_with_history(plan, actor, "decomposed")
    return list(Allocation.objects.filter(plan=plan, version=version).select_related("rep", "team"))


MAX_AMOUNT = Decimal("99999999999999.99")  # what a 16-digit, 2-place column holds


def _amount(raw) -> Decimal | None:
    try:
        value = Decimal(str(raw))
        if not value.is_finite() or value < 0 or value > MAX_AMOUNT:
            return None
        return value.quantize(CENT) if value == value.quantize(CENT) else None
    except (InvalidOperation, ValueError):
        return None


@transaction.atomic
def shares_adjust(*, plan: TargetPlan, actor, amounts: dict, reason: str) -> list[Allocation]:
    """The manager's change of reps' amounts before publishing: the version's total must
    still equal the pool; share and months are recomputed, the reason kept."""
    plan = TargetPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.is_locked:
        raise PlanStateConflict(
            {
                "state": [
                    _(
                        "The plan is published: ask for an adjustment, which the director "
                        "approves, instead."
                    )
                ]
            },
            code="conflict",
        )
    rows = {
        a.rep_id: a
        for a in Allocation.objects.filter(plan=plan, version=plan.version).select_related("rep")
    }
    if plan.state != PlanState.DECOMPOSED or not rows:
        raise PlanStateConflict(
            {"state": [_("The plan is not decomposed yet: decompose it first.")]},
            code="conflict",
        )
    errors: dict = {}
    reason = (reason or "").strip()
    if not reason:
        errors = merge_errors(errors, {"reason": _("Say why the targets change.")})
    elif len(reason) > 500:
        errors = merge_errors(errors, {"reason": _("At most 500 characters.")})
    new: dict[int, Decimal] = {}
    for key, raw in (amounts or {}).items():
        try:
            rep_id = int(key)
        except (TypeError, ValueError):
            rep_id = None
        if rep_id not in rows:
            errors = merge_errors(
                errors, {"amounts": _("Rep %(rep)s has no target in this plan.") % {"rep": key}}
            )
            continue
        # Every rep named, changed or not: an unchanged amount accepted for a rep one may
        # not adjust would tell a stranger that rep's target.
        if not permissions.can_adjust_rep(actor, rows[rep_id].rep):
            raise PermissionDenied(
                _("You may not change the target of %(rep)s.") % {"rep": rows[rep_id].rep}
            )
        value = _amount(raw)
        if value is None:
            errors = merge_errors(
                errors,
                {
                    "amounts": _(
                        "%(rep)s: the amount must be a number ≥ 0 with at most 2 decimals."
                    )
                    % {"rep": rows[rep_id].rep}
                },
            )
            continue
        new[rep_id] = value
    if not amounts:
        errors = merge_errors(errors, {"amounts": _("Give at least one rep's new amount.")})
    if errors:
        raise ValidationError(errors)
    changed = {rep_id: v for rep_id, v in new.items() if v != rows[rep_id].amount}
    total = sum((changed.get(r, a.amount) for r, a in rows.items()), ZERO)
    if total != plan.pool:
        off = total - plan.pool
        message = (
            _("The targets add up to %(over)s more than the pool; take it off someone.")
            if off > 0
            else _("The targets add up to %(over)s less than the pool; give it to someone.")
        )
        raise ValidationError({"amounts": [message % {"over": f"{abs(off):,.2f}"}]})
    season = seasonal_index(plan)
    for rep_id, value in changed.items():
        row = rows[rep_id]
        row.amount = value
        row.share = (value / plan.pool).quantize(SHARE_PLACES) if plan.pool else Decimal(0)
        row.monthly = [str(m) for m in monthly_split(value, season)]
        row.adjusted = True
        row.reason = reason
        save_with_history(row, actor, f"adjusted: {reason}")
    return list(
        Allocation.objects.filter(plan=plan, version=plan.version).select_related("rep", "team")
    )

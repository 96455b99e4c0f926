"""Monthly health snapshots (SPEC T4) and the process-health award (SPEC T5).

``take_snapshot`` stores the health of every team of a plan's tree and every rep of its
version in force for one month (the first day of the month). It is idempotent per plan and
month: taking it again replaces the figures in place (same rows, so awards that point at
them stay linked) and removes the rows of reps no longer in the version.

``evaluate_awards`` reads a fiscal quarter's monthly team snapshots. A team earns the award
when its coverage is above ``award_coverage`` in at least ``award_months`` consecutive
calendar months of the quarter and never below ``award_floor`` in any of the quarter's
snapshots; a reached target (no gap, coverage ``None``) counts as above both. A missing
month breaks a run. The entitlement keeps the snapshots and an explanation (each month's
coverage and the rule with its numbers). Re-evaluating is idempotent; a team that no
longer earns it (the snapshots were retaken with other data) loses a stale entitlement:
the award always says what the stored snapshots say.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import clock

from . import health, measures
from .models import AwardEntitlement, HealthSnapshot, TargetPlan, TargetPolicy

FIELDS = (
    "version",
    "target_year",
    "target_to_date",
    "achieved",
    "qualified_pipeline",
    "gap",
    "coverage",
    "completion",
    "status",
    "taken_at",
)


def _values(figures: health.Figures, version: int, taken_at) -> dict:
    return {
        "version": version,
        "target_year": figures.target_year,
        "target_to_date": figures.target_to_date,
        "achieved": figures.achieved,
        "qualified_pipeline": figures.qualified_pipeline,
        "gap": figures.gap,
        "coverage": figures.coverage,
        "completion": figures.completion,
        "status": figures.status,
        "taken_at": taken_at,
    }


@transaction.atomic
def take_snapshot(
    *, plan: TargetPlan, month: dt.date | None = None, at: dt.datetime | None = None
) -> list[HealthSnapshot]:
    """Store the plan's health for ``month`` (default: the month of ``at``, itself by
    default now), computed at ``at``. Returns the team and rep rows."""
    if not health.has_health(plan):
        raise ValidationError(
            {"plan": [_("Health snapshots are taken of decomposed or published plans.")]}
        )
    at = at or clock.now()
    month = (month or health.local_day(at)).replace(day=1)
    policy = TargetPolicy.current()
    if month not in measures.fiscal_months(plan.fiscal_year, policy):
        raise ValidationError(
            {"month": [_("%(month)s is outside the plan's fiscal year.") % {"month": month}]}
        )
    result = health.compute(plan, at=at, policy=policy)
    wanted = {}
    for row in result.teams:
        wanted[(row.team.pk, None)] = _values(row.figures, result.version, at)
    for row in result.reps:
        wanted[(row.team_id, row.rep.pk)] = _values(row.figures, result.version, at)
    existing = {
        (s.team_id, s.rep_id): s for s in HealthSnapshot.objects.filter(plan=plan, month=month)
    }
    stale = [s.pk for key, s in existing.items() if key not in wanted]
    if stale:
        HealthSnapshot.objects.filter(pk__in=stale).delete()
    updated, created = [], []
    for (team_id, rep_id), values in wanted.items():
        snapshot = existing.get((team_id, rep_id))
        if snapshot is None:
            snapshot = HealthSnapshot(plan=plan, month=month, team_id=team_id, rep_id=rep_id)
            created.append(snapshot)
        else:
            updated.append(snapshot)
        for name, value in values.items():
            setattr(snapshot, name, value)
    if updated:
        HealthSnapshot.objects.bulk_update(updated, FIELDS, batch_size=500)
    if created:
        HealthSnapshot.objects.bulk_create(created, batch_size=500)
    return list(
        HealthSnapshot.objects.filter(plan=plan, month=month).order_by("team__path", "rep_id")
    )


def quarter_months(plan: TargetPlan, quarter: int, policy: TargetPolicy) -> list[dt.date]:
    if not 1 <= int(quarter) <= 4:
        raise ValidationError({"quarter": [_("Choose a quarter between 1 and 4.")]})
    months = measures.fiscal_months(plan.fiscal_year, policy)
    return months[(quarter - 1) * 3 : quarter * 3]


def _above(value: Decimal | None, line: Decimal) -> bool:
    return value is None or value > line


def _below(value: Decimal | None, line: Decimal) -> bool:
    return value is not None and value < line


def judge(
    snapshots: list[HealthSnapshot], months: list[dt.date], policy: TargetPolicy
) -> tuple[bool, dict]:
    """Whether one team's snapshots of a quarter earn the award, and why."""
    by_month = {s.month: s for s in snapshots}
    run = best = 0
    for month in months:
        snapshot = by_month.get(month)
        if snapshot is not None and _above(snapshot.coverage, policy.award_coverage):
            run += 1
            best = max(best, run)
        else:
            run = 0
    floor_broken = [
        s.month.isoformat() for s in snapshots if _below(s.coverage, policy.award_floor)
    ]
    earned = bool(snapshots) and best >= policy.award_months and not floor_broken
    explanation = {
        "rule": {
            "coverage_above": str(policy.award_coverage),
            "consecutive_months": policy.award_months,
            "never_below": str(policy.award_floor),
            "percent": str(policy.award_percent),
        },
        "months": [
            {
                "month": month.isoformat(),
                "coverage": (
                    None
                    if month not in by_month or by_month[month].coverage is None
                    else str(by_month[month].coverage)
                ),
                "reached": month in by_month and by_month[month].coverage is None,
                "snapshot": month in by_month,
            }
            for month in months
        ],
        "longest_run": best,
        "below_floor": floor_broken,
        "earned": earned,
    }
    return earned, explanation


@transaction.atomic
def evaluate_awards(plan: TargetPlan, quarter: int) -> list[AwardEntitlement]:
    """The award entitlements of ``plan``'s fiscal ``quarter`` (created, updated, or
    removed when no longer earned). Returns the quarter's entitlements."""
    policy = TargetPolicy.current()
    months = quarter_months(plan, quarter, policy)
    rows = HealthSnapshot.objects.filter(plan=plan, month__in=months, rep__isnull=True).order_by(
        "team_id", "month"
    )
    per_team: dict[int, list[HealthSnapshot]] = {}
    for snapshot in rows:
        per_team.setdefault(snapshot.team_id, []).append(snapshot)
    earned_ids = []
    for team_id, snapshots in per_team.items():
        earned, explanation = judge(snapshots, months, policy)
        if not earned:
            continue
        award, _created = AwardEntitlement.objects.update_or_create(
            plan=plan,
            team_id=team_id,
            quarter=quarter,
            defaults={"percent": policy.award_percent, "explanation": explanation},
        )
        award.snapshots.set(snapshots)
        earned_ids.append(award.pk)
    AwardEntitlement.objects.filter(plan=plan, quarter=quarter).exclude(pk__in=earned_ids).delete()
    return list(
        AwardEntitlement.objects.filter(plan=plan, quarter=quarter)
        .select_related("team")
        .order_by("team__path")
    )

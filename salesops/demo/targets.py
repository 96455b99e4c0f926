"""The demo's targets (SPEC T1–T6): this fiscal year's plan for the whole company, taken
through every step as the director would — calibrated from the demo's payments with a
seasonal index and a bidding index, the three scenarios computed, most of the team
voted, the director confirmed the steady one, split to reps by the capability matrix and
published — then a health snapshot for every month of the year so far (with the
process-health awards of the quarters that ended) and the consensus survey answered by
the director, the managers and most reps.

Everything goes through the targets services, so the numbers are the ones a person gets
by clicking through the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from salesops.core import clock
from salesops.org.models import Role, Team, User
from salesops.targets import decomposition, measures, permissions, services, snapshots, survey
from salesops.targets.models import Allocation

# A year with a slow start (Spring Festival), a strong spring and a strong year end.
SEASONAL = [
    "0.70",
    "0.80",
    "1.05",
    "1.05",
    "1.00",
    "1.05",
    "0.95",
    "0.90",
    "1.00",
    "1.05",
    "1.10",
    "1.35",
]
NOTES = "竞品A在华东降价约8%；华南两家本地服务商加入投标；政府采购预算上调。"
VOTE_SHARE = 0.85  # of the voters who vote
VOTES = (("steady", 0.6), ("aggressive", 0.2), ("conservative", 0.2))
ANSWER_SHARE = 0.8  # of the reps who answer the survey


def _month_end(month: dt.date) -> dt.datetime:
    """18:00 on the last day of ``month`` (organisation time), or now for this month."""
    following = measures.add_months(month, 1)
    last_day = following - dt.timedelta(days=1)
    instant = timezone.make_aware(dt.datetime.combine(last_day, dt.time(18, 0)))
    return min(instant, clock.now())


def _pick(rng, weighted):
    roll, acc = rng.random(), 0.0
    for value, weight in weighted:
        acc += weight
        if roll < acc:
            return value
    return weighted[-1][0]


def build_targets(gen) -> dict:
    rng = gen.rng
    director = User.objects.get(username="director")
    root = Team.objects.get(parent=None)
    today = clock.today()
    year = today.year
    for candidate in (today.year, today.year - 1):
        start, end = measures.fiscal_range(candidate)
        if start <= today < end:
            year = candidate
    plan = services.plan_create(
        actor=director, name=f"{year} 年度回款目标", fiscal_year=year, team=root
    )
    services.calibrate(
        plan=plan,
        actor=director,
        seasonal_index=[Decimal(v) for v in SEASONAL],
        bidding_index=Decimal("1.05"),
        competitor_notes=NOTES,
    )
    scenarios = {s.code: s for s in services.scenarios_compute(plan=plan, actor=director)}
    votes = 0
    for voter in permissions.voters(plan).order_by("pk"):
        if voter.role == Role.DIRECTOR or rng.random() < VOTE_SHARE:
            code = _pick(rng, VOTES)
            services.vote_cast(plan=plan, voter=voter, scenario=scenarios[code])
            votes += 1
    services.baseline_confirm(plan=plan, scenario=scenarios["steady"], actor=director)
    decomposition.decompose(plan=plan, actor=director)
    services.publish(plan=plan, actor=director)

    taken = 0
    start, _end = measures.fiscal_range(year)
    for month in measures.months_between(start, measures.add_months(today.replace(day=1), 1)):
        taken += len(snapshots.take_snapshot(plan=plan, month=month, at=_month_end(month)))
    for quarter in range(1, 5):
        last_month = measures.add_months(start, quarter * 3 - 1)
        if measures.add_months(last_month, 1) <= today.replace(day=1):
            snapshots.evaluate_awards(plan, quarter)

    answers = 0
    team_targets: dict[int, Decimal] = {}
    for team in Team.objects.all():
        team_targets[team.pk] = sum(
            (
                a.amount
                for a in Allocation.objects.filter(
                    plan=plan, version=plan.version, team__path__startswith=team.path
                )
            ),
            Decimal("0"),
        )
    priorities = [code for code, _label in survey.Priority.choices]
    respondents = User.objects.filter(
        is_active=True, role__in=(Role.DIRECTOR, Role.MANAGER, Role.REP)
    ).order_by("pk")
    for user in respondents:
        if user.role == Role.REP and rng.random() >= ANSWER_SHARE:
            continue
        team_id = plan.team_id if user.role == Role.DIRECTOR else user.team_id
        target = team_targets.get(team_id) or plan.pool
        # Reps guess lower and wider than their managers; the director is closest.
        spread = {Role.DIRECTOR: (0.95, 1.1), Role.MANAGER: (0.85, 1.15), Role.REP: (0.6, 1.2)}
        low, high = spread[user.role]
        estimate = (target * Decimal(str(round(rng.uniform(low, high), 3)))).quantize(
            Decimal("0.01")
        )
        survey.survey_answer(
            plan=plan,
            user=user,
            estimate=estimate,
            reachability=rng.choice((2, 3, 3, 4, 4, 5)),
            priority=rng.choice(priorities),
        )
        answers += 1
    return {
        "target plans": 1,
        "rep targets": Allocation.objects.filter(plan=plan).count(),
        "scenario votes": votes,
        "health snapshots": taken,
        "survey answers": answers,
    }

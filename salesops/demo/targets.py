"""The demo's targets (SPEC T1–T6), as a sales team has them in December: this fiscal
year's plan in force — taken through every step as the director would (calibrated from
the payments with a seasonal and a bidding index, three scenarios, the team's vote, the
steady one confirmed, split to reps by the capability matrix, published), raised by an
approved adjustment, this month's health snapshot taken — and next year's plan being set:
calibrated, scenarios computed, the team voting, the consensus survey answered by the
director, the managers and most reps.

Everything goes through the targets services, so the numbers are the ones a person gets
by clicking through the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

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
RAISE = Decimal("4.5")
RAISE_REASON = (
    "上线前的历史回款没有导入，年初目标只按两个月历史测算，偏低；按上半年实际进度上调全年目标。"
)
RAISE_NOTE = "同意，按上调后的目标考核下半年。"


def _pick(rng, weighted):
    roll, acc = rng.random(), 0.0
    for value, weight in weighted:
        acc += weight
        if roll < acc:
            return value
    return weighted[-1][0]


def _fiscal_year(today: dt.date) -> int:
    for candidate in (today.year, today.year - 1):
        start, end = measures.fiscal_range(candidate)
        if start <= today < end:
            return candidate
    return today.year


def _answer_survey(rng, plan) -> int:
    """The director, the managers and most reps answer the plan's consensus survey."""
    team_targets: dict[int, Decimal] = {}
    for team in Team.objects.all():
        rows = Allocation.objects.filter(
            plan=plan, version=plan.version, team__path__startswith=team.path
        )
        team_targets[team.pk] = sum((a.amount for a in rows), Decimal("0"))
    # Before decomposition a team's share is its headcount's.
    members = list(permissions.members(plan).values_list("team__path", flat=True))
    priorities = [code for code, _label in survey.Priority.choices]
    # Reps guess lower and wider than their managers; the director is closest.
    spread = {Role.DIRECTOR: (0.95, 1.1), Role.MANAGER: (0.85, 1.15), Role.REP: (0.6, 1.2)}
    answers = 0
    respondents = User.objects.filter(
        is_active=True, role__in=(Role.DIRECTOR, Role.MANAGER, Role.REP)
    ).select_related("team")
    for user in respondents.order_by("pk"):
        if user.role == Role.REP and rng.random() >= ANSWER_SHARE:
            continue
        team = plan.team if user.role == Role.DIRECTOR else user.team
        target = team_targets.get(team.pk) or (
            plan.pool
            * sum(1 for path in members if path.startswith(team.path))
            / max(len(members), 1)
        )
        low, high = spread[user.role]
        factor = Decimal(str(round(rng.uniform(low, high), 3)))
        survey.survey_answer(
            plan=plan,
            user=user,
            estimate=(target * factor).quantize(Decimal("0.01")),
            reachability=rng.choice((2, 3, 3, 4, 4, 5)),
            priority=rng.choice(priorities),
        )
        answers += 1
    return answers


def _calibrated(director, root, year: int, name: str):
    plan = services.plan_create(actor=director, name=name, fiscal_year=year, team=root)
    services.calibrate(
        plan=plan,
        actor=director,
        seasonal_index=[Decimal(v) for v in SEASONAL],
        bidding_index=Decimal("1.05"),
        competitor_notes=NOTES,
    )
    scenarios = {s.code: s for s in services.scenarios_compute(plan=plan, actor=director)}
    return plan, scenarios


def _votes(rng, plan, scenarios) -> int:
    votes = 0
    for voter in permissions.voters(plan).order_by("pk"):
        if voter.role == Role.DIRECTOR or rng.random() < VOTE_SHARE:
            services.vote_cast(plan=plan, voter=voter, scenario=scenarios[_pick(rng, VOTES)])
            votes += 1
    return votes


def build_targets(gen) -> dict:
    """This year's plan in force (published at the start of the year, raised by an approved
    adjustment when the first half beat it, this month's health snapshot taken) and next
    year's plan being set: calibrated, scenarios computed, the team voting, the consensus
    survey answered."""
    rng = gen.rng
    director = User.objects.get(username="director")
    root = Team.objects.get(parent=None)
    year = _fiscal_year(clock.today())

    plan, scenarios = _calibrated(director, root, year, f"{year} 年度回款目标")
    votes = _votes(rng, plan, scenarios)
    services.baseline_confirm(plan=plan, scenario=scenarios["steady"], actor=director)
    plan.refresh_from_db()
    decomposition.decompose(plan=plan, actor=director)
    plan.refresh_from_db()
    services.publish(plan=plan, actor=director)
    plan.refresh_from_db()
    # The demo's history is short (two months before this year): the calibrated target was
    # low and the first half beat it; the director raised every rep's target (version 2).
    raised = {
        str(a.rep_id): str((a.amount * RAISE).quantize(Decimal("0.01")))
        for a in Allocation.objects.filter(plan=plan, version=plan.version)
    }
    adjustment = services.adjustment_request(
        plan=plan, actor=director, changes=raised, reason=RAISE_REASON
    )
    services.adjustment_approve(adjustment=adjustment, actor=director, note=RAISE_NOTE)
    plan.refresh_from_db()
    taken = len(snapshots.take_snapshot(plan=plan))

    following, next_scenarios = _calibrated(director, root, year + 1, f"{year + 1} 年度回款目标")
    votes += _votes(rng, following, next_scenarios)
    answers = _answer_survey(rng, following)
    return {
        "target plans": 2,
        "rep targets": Allocation.objects.count(),
        "scenario votes": votes,
        "health snapshots": taken,
        "survey answers": answers,
    }

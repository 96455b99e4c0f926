"""What the twelve diagnosis checks read beyond the outcome board's data (issue 21), built
by ``bench/outcomes_data.py`` in the same transaction, at the same scale:

* **Activity rollup** — recounted from the raw activities (``activities.rollup.rebuild``),
  as the worker keeps it: the effective-touches check reads it.
* **Stage changes** — each deal's forward moves through the open stages (an open deal up
  to its stage, a won deal through to the won stage, a lost one a move or two), applied
  between its creation and its close (or now); each rep backs a share of their moves
  (55–97 %, their own) with an evidence file uploaded with the move.
* **KPI schemes** — the default scheme (process weight 25 %, installed by migrate) scores
  eight regions; regions 0 and 1 have a scheme of their own weighing the process group
  15 % (outside the 25–40 % band).
* **Target plan** — published, this fiscal year, the company team, one allocation per rep
  (their qualified pipeline ÷ 1.2–2.4, so coverage spreads around the 1.8 threshold),
  and its consensus survey: per region 3 manager-level and ~16 rep-level anonymous
  answers (responses only: they hold no user), the director's on the company team.
* **Bonus tranches** — per won deal closed more than 180 days ago, a quality tranche
  (30 % of a 3 % bonus) settled 180 days after: released, or forfeited for a major
  complaint (4 % of them).

Rows by ``executemany`` (the Inserter of outcomes_data), the few plans and schemes by
the ORM.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

QUIET_DAYS = 180
FORFEIT_SHARE = 0.04
EVIDENCE_SHARE = (0.55, 0.97)


def build(*, rng, now, reps, teams, company, director) -> dict:
    from salesops.activities import rollup

    counts = {"rollup_rows": rollup.rebuild()}
    counts.update(_stage_changes(rng, now, reps))
    counts.update(_kpi_schemes(now, teams))
    counts.update(_target_plan(rng, now, reps, teams, company, director))
    counts.update(_tranches(rng, now))
    return counts


def _stage_changes(rng, now, reps) -> dict:
    from outcomes_data import Inserter

    from salesops.pipeline.models import (
        ChangeDirection,
        ChangeState,
        Deal,
        DealStatus,
        Evidence,
        Pipeline,
        StageChange,
        StageKind,
    )

    pipeline = Pipeline.objects.get()
    stages = list(pipeline.stages.order_by("order").values_list("pk", "kind"))
    open_stages = [pk for pk, kind in stages if kind == StageKind.OPEN]
    won_stage = next(pk for pk, kind in stages if kind == StageKind.WON)
    backed_share = {rep: rng.uniform(*EVIDENCE_SHARE) for rep in reps}
    changes = Inserter(StageChange)
    moves = []  # (deal, owner, from, when) of each change, in insert order
    rows = Deal.objects.order_by("pk").values_list(
        "pk", "owner_id", "stage_id", "status", "created_at", "closed_at"
    )
    for deal, owner, stage, status, created, closed in rows.iterator(chunk_size=20_000):
        if status == DealStatus.OPEN:
            path = open_stages[: open_stages.index(stage) + 1] if stage in open_stages else []
        elif status == DealStatus.WON:
            path = [*open_stages[: rng.randint(2, len(open_stages))], won_stage]
        else:
            path = open_stages[: rng.randint(1, 3)]
        end = closed or now
        span = max(60.0, (end - created).total_seconds())
        steps = len(path) - 1
        for i in range(steps):
            at = created + dt.timedelta(seconds=span * (i + 1) / (steps + 1))
            changes.add(
                deal_id=deal,
                from_stage_id=path[i],
                to_stage_id=path[i + 1],
                direction=ChangeDirection.FORWARD,
                state=ChangeState.APPLIED,
                requested_by_id=owner,
                requested_at=at,
                decided_at=at,
                applied_at=at,
                from_entered_at=created,
                pipeline_id=pipeline.pk,
                owner_id=owner,
            )
            moves.append((deal, owner, path[i], at))
    changes.flush()
    evidence = Inserter(Evidence)
    ids = StageChange.objects.order_by("pk").values_list("pk", flat=True).iterator(20_000)
    for pk, (deal, owner, from_stage, at) in zip(ids, moves, strict=True):
        if rng.random() >= backed_share[owner]:
            continue
        evidence.add(
            deal_id=deal,
            stage_id=from_stage,
            stage_change_id=pk,
            type="quote",
            file=f"evidence/bench/{pk}.pdf",
            original_name="报价单.pdf",
            size=48_000,
            content_type="application/pdf",
            sha256=f"{pk:064x}",
            created_at=at,
            updated_at=at,
            created_by_id=owner,
        )
    evidence.flush()
    return {"stage_changes": changes.count, "evidence": evidence.count}


def _kpi_schemes(now, teams) -> dict:
    from salesops.kpi.defaults import default_scheme_items, write_version
    from salesops.kpi.models import Scheme
    from salesops.org.models import Team

    region_ids = sorted(set(teams.values()))[:2]
    made = 0
    for team in Team.objects.filter(pk__in=region_ids):
        scheme = Scheme.objects.create(name=f"{team.name} 冲刺方案", role="rep", team=team)
        write_version(
            scheme,
            weights=(70, 15, 15),
            items=default_scheme_items(),
            effective_from=now.date().replace(month=1, day=1),
            note="bench",
        )
        made += 1
    return {"kpi_team_schemes": made, "kpi_schemes": Scheme.objects.count()}


def _fiscal_year(now) -> int:
    from salesops.targets.models import TargetPolicy

    start = TargetPolicy.current().fiscal_year_start_month
    return now.year if now.month >= start else now.year - 1


def _target_plan(rng, now, reps, teams, company, director) -> dict:
    from outcomes_data import Inserter

    from salesops.targets import health
    from salesops.targets.models import (
        Allocation,
        PlanState,
        Quadrant,
        Survey,
        SurveyLevel,
        SurveyResponse,
        TargetPlan,
    )

    pipeline = health.qualified_by_owner(reps)
    amounts = {
        rep: max(
            Decimal("100000.00"), pipeline.get(rep, Decimal(0)) / Decimal(rng.uniform(1.2, 2.4))
        ).quantize(Decimal("0.01"))
        for rep in reps
    }
    pool = sum(amounts.values(), Decimal("0.00"))
    plan = TargetPlan.objects.create(
        name="年度目标 (bench)",
        fiscal_year=_fiscal_year(now),
        team=company,
        state=PlanState.PUBLISHED,
        pool=pool,
        version=1,
        published_at=now,
        published_by=director,
        created_by=director,
    )
    survey = Survey.objects.create(plan=plan)
    allocations = Inserter(Allocation)
    quadrants = list(Quadrant.values)
    for rep, amount in amounts.items():
        allocations.add(
            plan_id=plan.pk,
            version=1,
            rep_id=rep,
            team_id=teams[rep],
            quadrant=rng.choice(quadrants),
            weight=Decimal("1.0000"),
            share=(amount / pool).quantize(Decimal("0.000001")),
            amount=amount,
            created_at=now,
            updated_at=now,
        )
    allocations.flush()
    responses = []
    by_team: dict = {}
    for rep, team in teams.items():
        by_team.setdefault(team, []).append(rep)
    for team, members in by_team.items():
        target = sum((amounts[r] for r in members), Decimal(0))
        # The managers aim a little higher than the reps; how far apart varies by team.
        gap = Decimal(str(rng.uniform(0.02, 0.35)))
        for _ in range(3):
            estimate = target * Decimal(str(rng.uniform(0.95, 1.1)))
            responses.append((SurveyLevel.MANAGER, team, estimate))
        for _ in members:
            if rng.random() < 0.8:
                estimate = target * (1 - gap) * Decimal(str(rng.uniform(0.9, 1.1)))
                responses.append((SurveyLevel.REP, team, estimate))
    responses.append((SurveyLevel.DIRECTOR, company.pk, pool))
    SurveyResponse.objects.bulk_create(
        SurveyResponse(
            survey=survey,
            level=level,
            team_id=team,
            estimate=estimate.quantize(Decimal("0.01")),
            reachability=3,
            priority="new_customers",
        )
        for level, team, estimate in responses
    )
    return {"allocations": allocations.count, "survey_responses": len(responses)}


def _tranches(rng, now) -> dict:
    from outcomes_data import Inserter

    from salesops.incentives.models import LedgerLine, LineKind, LineState, Tranche
    from salesops.pipeline.models import Deal, DealStatus

    lines = Inserter(LedgerLine)
    pending = []  # (key, rep, account, settle day, amount, forfeit)
    cutoff = now - dt.timedelta(days=QUIET_DAYS)
    won = Deal.objects.filter(status=DealStatus.WON, closed_at__lt=cutoff).order_by("pk")
    for deal, rep, account, closed, amount in won.values_list(
        "pk", "owner_id", "account_id", "closed_at", "amount"
    ).iterator(chunk_size=20_000):
        tranche = (Decimal(amount) * Decimal("0.009")).quantize(Decimal("0.01"))
        key = f"bench:tranche:{deal}"
        lines.add(
            rep_id=rep,
            period=closed.date().replace(day=1),
            kind=LineKind.TRANCHE,
            state=LineState.PENDING,
            tranche=Tranche.QUALITY,
            amount=tranche,
            account_id=account,
            due_on=(closed + dt.timedelta(days=QUIET_DAYS)).date(),
            condition="6个月内无重大投诉后释放",
            key=key,
            created_at=closed,
        )
        settled = closed + dt.timedelta(days=QUIET_DAYS)
        pending.append((key, rep, account, settled, tranche, rng.random() < FORFEIT_SHARE))
    lines.flush()
    ids = dict(LedgerLine.objects.filter(key__startswith="bench:tranche:").values_list("key", "pk"))
    forfeits = 0
    for key, rep, account, settled, tranche, forfeit in pending:
        forfeits += forfeit
        lines.add(
            rep_id=rep,
            period=settled.date().replace(day=1),
            kind=LineKind.FORFEIT if forfeit else LineKind.RELEASE,
            state=LineState.FORFEITED if forfeit else LineState.EARNED,
            tranche=Tranche.QUALITY,
            amount=tranche,
            account_id=account,
            settles_id=ids[key],
            key=f"{key}:settled",
            reason="重大投诉" if forfeit else "",
            created_at=settled,
        )
    lines.flush()
    return {"tranche_lines": lines.count, "tranches_forfeited": forfeits}

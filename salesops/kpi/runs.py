"""Score runs (K2–K3): one scheme's scores for one period, live while the period is open
and final after it closes.

A run uses the scheme version in force for its period (the highest-numbered version whose
``effective_from`` is on or before the period's end, so a version effective today counts
for the open month) and keeps it: a final run is never recomputed, and ``replay`` scores the
run's version again from its stored metric definitions and reports any difference.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from salesops.core import clock

from . import scoring
from .models import MetricValue, RepScore, RunState, Scheme, SchemeVersion, ScoreRun
from .periods import month_bounds  # noqa: F401 - runs.month_bounds is what callers know


def _schemes_by_role() -> dict[str, list[tuple[str, Scheme]]]:
    """Active schemes per role, deepest team first, the organisation default last."""
    result: dict[str, list[tuple[str, Scheme]]] = {}
    for scheme in Scheme.objects.filter(is_active=True).select_related("team"):
        path = scheme.team.path if scheme.team_id else ""
        result.setdefault(scheme.role, []).append((path, scheme))
    for items in result.values():
        items.sort(key=lambda pair: (-len(pair[0]), pair[1].pk))
    return result


def _pick(candidates: list[tuple[str, Scheme]], team_path: str) -> Scheme | None:
    for path, scheme in candidates:
        if not path or (team_path and team_path.startswith(path)):
            return scheme
    return None


def scheme_for(user, on: dt.date) -> Scheme | None:
    """The active scheme of ``user``'s role whose team is the deepest ancestor-or-self of
    the user's team; a team-less scheme is the organisation default."""
    if user is None:
        return None
    candidates = _schemes_by_role().get(user.role, [])
    team_path = user.team.path if user.team_id else ""
    return _pick(candidates, team_path)


def schemes_for(users) -> dict[int, Scheme | None]:
    """``scheme_for`` of many users with one read of the schemes: ``{user pk: scheme}``
    (load the users' teams with them, e.g. ``select_related("team")``)."""
    by_role = _schemes_by_role()
    return {
        user.pk: _pick(by_role.get(user.role, []), user.team.path if user.team_id else "")
        for user in users
    }


def members(scheme: Scheme, on: dt.date) -> QuerySet:
    """The active users ``scheme_for`` gives ``scheme``."""
    users = get_user_model().objects.filter(is_active=True, role=scheme.role)
    if scheme.team_id:
        users = users.filter(team__path__startswith=scheme.team.path)
    candidates = _schemes_by_role().get(scheme.role, [])
    ids = [
        pk
        for pk, path in users.values_list("pk", "team__path")
        if _pick(candidates, path or "") == scheme
    ]
    return get_user_model().objects.filter(pk__in=ids).order_by("pk")


def version_in_force(scheme: Scheme, start: dt.date, end: dt.date) -> SchemeVersion | None:
    """The highest-numbered version effective on or before ``end``; a final run of the
    period keeps the version it was scored with."""
    run = ScoreRun.objects.filter(
        scheme=scheme, period_start=start, period_end=end, state=RunState.FINAL
    ).first()
    if run is not None:
        return run.version
    return scheme.versions.filter(effective_from__lte=end).order_by("-number").first()


def _state_for(end: dt.date) -> str:
    return RunState.LIVE if end >= clock.today() else RunState.FINAL


def _write(run: ScoreRun, results: list[scoring.RepResult], *, replace_users=None) -> None:
    """Replace the run's rows (all of them, or those of ``replace_users``) in bulk."""
    now = clock.now()
    scores = RepScore.objects.filter(run=run)
    values = MetricValue.objects.filter(run=run)
    if replace_users is not None:
        scores = scores.filter(user_id__in=replace_users)
        values = values.filter(user_id__in=replace_users)
    values.delete()
    scores.delete()
    RepScore.objects.bulk_create(
        [
            RepScore(
                run=run,
                user_id=r.user_id,
                team_id=r.team_id,
                score=r.score,
                result_score=r.result_score,
                process_score=r.process_score,
                quality_score=r.quality_score,
                computed_at=now,
            )
            for r in results
        ],
        batch_size=500,
    )
    MetricValue.objects.bulk_create(
        [
            MetricValue(
                run=run,
                user_id=r.user_id,
                item_id=i.item.item_id,
                actual=i.actual,
                target=i.target,
                score=i.score,
                inputs=i.inputs,
                error=i.error[:300],
            )
            for r in results
            for i in r.items
        ],
        batch_size=1000,
    )


def run_period(scheme: Scheme, start: dt.date, end: dt.date, *, by=None, progress=None) -> ScoreRun:
    """Compute every member of ``scheme`` for ``[start, end]`` and store the run (LIVE
    while the period is open, FINAL after). A FINAL run is never recomputed."""
    began = time.monotonic()
    report = progress or (lambda percent: None)
    existing = ScoreRun.objects.filter(scheme=scheme, period_start=start, period_end=end).first()
    if existing is not None and existing.state == RunState.FINAL:
        raise ValidationError(
            _(
                "The scores of %(scheme)s for %(start)s – %(end)s are final; they are not recomputed."
            )
            % {"scheme": scheme, "start": start, "end": end}
        )
    version = version_in_force(scheme, start, end)
    if version is None:
        raise ValidationError(
            _("%(scheme)s has no version in force on %(end)s.") % {"scheme": scheme, "end": end}
        )
    report(5)
    user_ids = list(members(scheme, min(end, clock.today())).values_list("pk", flat=True))
    draft = scoring.draft_from_version(version)
    results = scoring.score(draft, user_ids, start, end)
    report(80)
    with transaction.atomic():
        run = existing or ScoreRun(scheme=scheme, period_start=start, period_end=end, created_by=by)
        run.version = version
        run.state = RunState.RUNNING
        run.started_at = clock.now()
        run.save()
        _write(run, results)
        report(95)
        rank(run)
        run.state = _state_for(end)
        run.reps = len(results)
        run.progress = 100
        run.error = ""
        run.finished_at = clock.now()
        run.duration_ms = int((time.monotonic() - began) * 1000)
        run.save()
    report(100)
    return run


def _competition(rows: list[tuple[int, Decimal]]) -> dict[int, int]:
    """Competition ranks (1, 2, 2, 4) of ``(pk, score)`` rows."""
    ranks, previous, position = {}, None, 0
    for index, (pk, value) in enumerate(sorted(rows, key=lambda r: (-r[1], r[0])), start=1):
        if value != previous:
            position, previous = index, value
        ranks[pk] = position
    return ranks


def rank(run: ScoreRun) -> None:
    """Competition ranking (ties share: 1, 2, 2, 4) in the team and the organisation.
    Only the rows whose ranks changed are written, in one ``executemany`` of one UPDATE
    (a one-rep refresh moves a few ranks; ``bulk_update``'s CASE over every row of the
    run cost more than the refresh itself)."""
    rows = list(
        RepScore.objects.filter(run=run).values_list(
            "pk", "team_id", "score", "rank_org", "rank_team"
        )
    )
    org = _competition([(pk, s) for pk, _t, s, _o, _r in rows])
    by_team: dict[int | None, list] = {}
    for pk, team, s, _o, _r in rows:
        by_team.setdefault(team, []).append((pk, s))
    team_rank: dict[int, int | None] = {}
    for team, items in by_team.items():
        team_rank.update(_competition(items) if team is not None else dict.fromkeys(dict(items)))
    changed = [
        (org[pk], team_rank[pk], pk)
        for pk, _t, _s, old_org, old_team in rows
        if (old_org, old_team) != (org[pk], team_rank[pk])
    ]
    if not changed:
        return
    quote = connection.ops.quote_name
    table = quote(RepScore._meta.db_table)
    sql = f"UPDATE {table} SET {quote('rank_org')} = %s, {quote('rank_team')} = %s WHERE {quote('id')} = %s"  # noqa: S608, E501
    with connection.cursor() as cursor:
        cursor.executemany(sql, changed)


def refresh_users(user_ids: list[int], on: dt.date | None = None) -> int:
    """Recompute ``user_ids`` in the live runs of ``on``'s month (creating a run that is
    missing) and re-rank; returns how many users were refreshed."""
    on = on or clock.today()
    start, end = month_bounds(on)
    users = get_user_model().objects.filter(pk__in=user_ids, is_active=True).select_related("team")
    candidates = _schemes_by_role()
    by_scheme: dict[int, list[int]] = {}
    schemes = {}
    for user in users:
        scheme = _pick(candidates.get(user.role, []), user.team.path if user.team_id else "")
        if scheme is not None:
            schemes[scheme.pk] = scheme
            by_scheme.setdefault(scheme.pk, []).append(user.pk)
    refreshed = 0
    for pk, ids in by_scheme.items():
        scheme = schemes[pk]
        run = ScoreRun.objects.filter(scheme=scheme, period_start=start, period_end=end).first()
        if run is not None and run.state == RunState.FINAL:
            continue
        version = version_in_force(scheme, start, end)
        if version is None:
            continue
        if run is None or run.version_id != version.pk:
            # No run yet, or a version took effect: score everyone with it.
            run_period(scheme, start, end)
            refreshed += len(ids)
            continue
        results = scoring.score(scoring.draft_from_version(version), ids, start, end)
        with transaction.atomic():
            _write(run, results, replace_users=ids)
            rank(run)
            run.reps = RepScore.objects.filter(run=run).count()
            run.save(update_fields=["reps"])
        refreshed += len(ids)
    return refreshed


def _differences(stored_score: RepScore, result: scoring.RepResult, values) -> list[str]:
    out = []
    for name in ("score", "result_score", "process_score", "quality_score"):
        old, new = getattr(stored_score, name), getattr(result, name)
        if Decimal(old) != Decimal(new):
            out.append(f"user {result.user_id} {name}: {old} → {new}")
    for item in result.items:
        stored = values.get((result.user_id, item.item.item_id))
        if stored is None:
            out.append(f"user {result.user_id} {item.item.code}: not stored")
            continue
        for name in ("actual", "target", "score"):
            old, new = getattr(stored, name), getattr(item, name)
            if (old is None) != (new is None) or (old is not None and Decimal(old) != Decimal(new)):
                out.append(f"user {result.user_id} {item.item.code} {name}: {old} → {new}")
    return out


def replay(run: ScoreRun) -> list[str]:
    """Score the run again from its version's stored definitions; the differences with
    what it stored (an empty list: identical)."""
    stored = {s.user_id: s for s in RepScore.objects.filter(run=run)}
    values = {(v.user_id, v.item_id): v for v in MetricValue.objects.filter(run=run)}
    draft = scoring.draft_from_version(run.version)
    results = scoring.score(draft, sorted(stored), run.period_start, run.period_end)
    differences = []
    for result in results:
        differences.extend(_differences(stored[result.user_id], result, values))
    return differences


def finalise_due(today: dt.date) -> list[ScoreRun]:
    """Runs whose period ended before ``today``: recomputed once with the version in force
    for their period, then FINAL."""
    done = []
    due = ScoreRun.objects.filter(period_end__lt=today).exclude(state=RunState.FINAL)
    for run in due.select_related("scheme"):
        run = run_period(run.scheme, run.period_start, run.period_end)
        if run.state != RunState.FINAL:  # ``today`` is ahead of the clock
            run.state = RunState.FINAL
            run.save(update_fields=["state"])
        done.append(run)
    return done


def ensure_live_runs(today: dt.date) -> list[ScoreRun]:
    """The current month's run of every active scheme with a version in force, created
    when missing."""
    start, end = month_bounds(today)
    created = []
    for scheme in Scheme.objects.filter(is_active=True):
        if ScoreRun.objects.filter(scheme=scheme, period_start=start, period_end=end).exists():
            continue
        if version_in_force(scheme, start, end) is None:
            continue
        created.append(run_period(scheme, start, end))
    return created

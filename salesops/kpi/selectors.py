"""Reads of the KPI self-service pages (SPEC K3): a rep's score card for a month, the
rankings, the home card. Visibility is applied here (``permissions``): a rep sees only
their own scores, a manager their team's, the roles that see everything everyone's; a
score outside that is a 404 (page and API alike).

A score card of the open month is made fresh first: if the rep's live row is missing
or older than their :class:`DirtyRep` mark, ``runs.refresh_users`` recomputes it before
it is read.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.core.expressions import ExpressionError, evaluate

from . import permissions, runs
from .models import (
    DirtyRep,
    MetricGroup,
    MetricValue,
    RepScore,
    RunState,
    Scheme,
    SchemeVersion,
    ScoreRun,
)

SHOWN_STATES = (RunState.LIVE, RunState.FINAL)
PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")
GROUPS = (MetricGroup.RESULT, MetricGroup.PROCESS, MetricGroup.QUALITY)
SCOPES = ("team", "org")


# ── schemes of many reps ─────────────────────────────────────────────────────────────


def schemes_in_force(users, on: dt.date) -> dict[int, tuple[Scheme, SchemeVersion | None] | None]:
    """Per user (teams loaded): the scheme that scores them (``runs.scheme_for``) and its
    highest-numbered version effective on ``on`` — two queries whatever the number of
    users (the diagnosis reads every rep of the organisation)."""
    schemes = runs.schemes_for(users)
    found = {scheme.pk: scheme for scheme in schemes.values() if scheme is not None}
    versions: dict[int, SchemeVersion] = {}
    rows = SchemeVersion.objects.filter(scheme_id__in=list(found), effective_from__lte=on)
    for version in rows.order_by("scheme_id", "-number"):
        versions.setdefault(version.scheme_id, version)
    return {
        pk: None if scheme is None else (scheme, versions.get(scheme.pk))
        for pk, scheme in schemes.items()
    }


# ── periods ──────────────────────────────────────────────────────────────────────────


def today() -> dt.date:
    return clock.today()


def parse_period(value: str | None) -> tuple[dt.date, dt.date]:
    """``YYYY-MM`` → the month's first and last day; empty → the current month. Anything
    else is a ValidationError naming ``period``."""
    if not value:
        return runs.month_bounds(today())
    match = PERIOD_RE.match(value.strip())
    month = int(match.group(2)) if match else 0
    if not match or not 1 <= month <= 12 or not 2000 <= int(match.group(1)) <= 2100:
        message = _("Enter a month as YYYY-MM (for example 2026-07), not “%(value)s”.") % {
            "value": value[:20]
        }
        raise ValidationError({"period": message}, code="invalid")
    return runs.month_bounds(dt.date(int(match.group(1)), month, 1))


def period_key(start: dt.date) -> str:
    return f"{start:%Y-%m}"


def month_choices(rep_id: int | None, start: dt.date) -> list[str]:
    """The months a period picker offers: the months ``rep_id`` has scores in, this month
    and the one shown, newest first (at most two years)."""
    months = {period_key(today()), period_key(start)}
    if rep_id is not None:
        months |= {
            period_key(d)
            for d in RepScore.objects.filter(user_id=rep_id)
            .values_list("run__period_start", flat=True)
            .distinct()
        }
    return sorted(months, reverse=True)[:24]


# ── visibility ───────────────────────────────────────────────────────────────────────


def rep_or_404(viewer, rep_id) -> object:
    """The user ``rep_id`` if ``viewer`` may see their scores, else 404."""
    try:
        rep_id = int(rep_id)
    except (TypeError, ValueError):
        raise Http404(_("No such rep, or you may not see their scores.")) from None
    if not permissions.can_see_user(viewer, rep_id):
        raise Http404(_("No such rep, or you may not see their scores."))
    rep = get_user_model().objects.filter(pk=rep_id).select_related("team").first()
    if rep is None:
        raise Http404(_("No such rep, or you may not see their scores."))
    return rep


def chinese() -> bool:
    return (get_language() or "zh-hans").lower().startswith("zh")


def metric_name(definition: dict) -> str:
    name = definition.get("name_zh") if chinese() else definition.get("name_en")
    return name or definition.get("name_zh") or definition.get("code", "")


# ── a rep's score ────────────────────────────────────────────────────────────────────


def score_row(rep_id: int, start: dt.date, end: dt.date) -> RepScore | None:
    return (
        RepScore.objects.filter(
            user_id=rep_id,
            run__period_start=start,
            run__period_end=end,
            run__state__in=SHOWN_STATES,
        )
        .select_related("run", "run__scheme", "run__version", "team", "user")
        .order_by("-computed_at")
        .first()
    )


def ensure_fresh(rep, start: dt.date, end: dt.date) -> bool:
    """Recompute ``rep``'s live scores when the period is open and their row is missing
    or older than their dirty mark. Returns whether a refresh ran."""
    now_day = today()
    if not start <= now_day <= end or not permissions.is_scored(rep):
        return False
    row = score_row(rep.pk, start, end)
    if row is not None and row.run.state == RunState.FINAL:
        return False
    if row is None:
        if runs.scheme_for(rep, now_day) is None:
            return False
    else:
        marked = DirtyRep.objects.filter(user_id=rep.pk).values_list("marked_at", flat=True)
        marked = marked.first()
        if marked is None or row.computed_at >= marked:
            return False
    runs.refresh_users([rep.pk])
    return True


@dataclass
class Line:
    """One metric of a score card."""

    value: MetricValue
    definition: dict
    name: str
    group: str
    weight: Decimal
    formula: str
    gap: Decimal | None  # target − actual
    target_score: Decimal | None  # the score the target itself gives
    derived: bool
    shortfall: Decimal | None = None  # how far from the target, as a share of it

    @property
    def code(self) -> str:
        return self.definition.get("code", "")

    @property
    def unit(self) -> str:
        return self.definition.get("unit", "")

    @property
    def higher_is_better(self) -> bool:
        return bool(self.definition.get("higher_is_better", True))


@dataclass
class ScoreCard:
    rep: object
    start: dt.date
    end: dt.date
    row: RepScore | None
    lines: list[Line] = field(default_factory=list)
    team_size: int = 0
    org_size: int = 0
    reason: str = ""  # "no_scheme" | "no_score" when there is no row
    refreshed: bool = False

    @property
    def run(self) -> ScoreRun | None:
        return self.row.run if self.row else None

    def groups(self) -> list[tuple[str, str, Decimal | None, list[Line]]]:
        labels = dict(MetricGroup.choices)
        scores = {
            MetricGroup.RESULT: self.row and self.row.result_score,
            MetricGroup.PROCESS: self.row and self.row.process_score,
            MetricGroup.QUALITY: self.row and self.row.quality_score,
        }
        return [
            (group, labels[group], scores[group], [x for x in self.lines if x.group == group])
            for group in GROUPS
        ]


def target_score(value: MetricValue, formula: str) -> Decimal | None:
    """What the item's scoring formula gives when the actual equals the target."""
    if value.target is None:
        return None
    names = {k: v for k, v in (value.inputs or {}).items() if isinstance(k, str)}
    names = {k: _number(v) for k, v in names.items()}
    names.update(actual=value.target, target=value.target)
    try:
        result = evaluate(formula, names)
    except (ExpressionError, ArithmeticError, ValueError, TypeError):
        return None
    try:
        return Decimal(str(result)).quantize(Decimal("0.01"))
    except (ArithmeticError, ValueError):
        return None


def _number(value):
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            return value
    return value


def lines_of(row: RepScore) -> list[Line]:
    values = (
        MetricValue.objects.filter(run_id=row.run_id, user_id=row.user_id)
        .select_related("item")
        .order_by("item__order", "item_id")
    )
    out = []
    for value in values:
        item = value.item
        definition = item.metric_definition or {}
        gap = None
        shortfall = None
        if value.target is not None and value.actual is not None:
            gap = value.target - value.actual
            behind = gap if definition.get("higher_is_better", True) else -gap
            if value.target:
                shortfall = behind / abs(value.target)
        out.append(
            Line(
                value=value,
                definition=definition,
                name=metric_name(definition),
                group=item.group,
                weight=item.weight,
                formula=item.formula,
                gap=gap,
                target_score=target_score(value, item.formula),
                derived=definition.get("kind") == "derived",
                shortfall=shortfall,
            )
        )
    return out


def score_card(viewer, rep_id, start: dt.date, end: dt.date, *, refresh: bool = True):
    """The score card of ``rep_id`` for ``start``–``end`` as ``viewer`` may see it (404
    otherwise), refreshed first when it is stale (see the module docstring)."""
    rep = rep_or_404(viewer, rep_id)
    refreshed = ensure_fresh(rep, start, end) if refresh else False
    row = score_row(rep.pk, start, end)
    card = ScoreCard(rep=rep, start=start, end=end, row=row, refreshed=refreshed)
    if row is None:
        on = min(end, today())
        card.reason = "no_scheme" if runs.scheme_for(rep, on) is None else "no_score"
        return card
    card.lines = lines_of(row)
    scores = RepScore.objects.filter(run_id=row.run_id)
    card.org_size = scores.count()
    card.team_size = scores.filter(team_id=row.team_id).count() if row.team_id else 0
    return card


def biggest_gap(lines: list[Line]) -> Line | None:
    """The metric furthest behind its target, relative to the target (units differ)."""
    behind = [x for x in lines if x.shortfall is not None and x.shortfall > 0]
    return max(behind, key=lambda x: x.shortfall, default=None)


def home_card(user) -> dict | None:
    """The "My KPI" card of the home page: this month's score, ranks and biggest gap, or
    ``None`` for someone without a score page. Never recomputes (the home page stays
    fast; the score page refreshes)."""
    if not permissions.is_scored(user):
        return None
    start, end = runs.month_bounds(today())
    card = score_card(user, user.pk, start, end, refresh=False)
    gap = biggest_gap(card.lines)
    return {
        "period": period_key(start),
        "score": card.row.score if card.row else None,
        "rank_team": card.row.rank_team if card.row else None,
        "team_size": card.team_size,
        "rank_org": card.row.rank_org if card.row else None,
        "org_size": card.org_size,
        "reason": card.reason,
        "gap": None
        if gap is None
        else {
            "name": gap.name,
            "code": gap.code,
            "actual": gap.value.actual,
            "target": gap.value.target,
            "gap": gap.gap,
            "unit": gap.unit,
            "value_id": gap.value.pk,
        },
    }


# ── rankings ─────────────────────────────────────────────────────────────────────────


def competition_ranks(scores: list[RepScore]) -> dict[int, int]:
    """``{score pk: rank}`` with ties sharing a rank and the next rank skipped (1, 2, 2, 4)."""
    ordered = sorted(scores, key=lambda s: (-s.score, s.user_id))
    ranks, previous, rank = {}, None, 0
    for position, row in enumerate(ordered, start=1):
        if row.score != previous:
            rank, previous = position, row.score
        ranks[row.pk] = rank
    return ranks


@dataclass
class RankRow:
    rank: int
    row: RepScore
    is_me: bool

    @property
    def name(self) -> str:
        return self.row.user.label


@dataclass
class Ranking:
    start: dt.date
    end: dt.date
    scope: str
    run: ScoreRun | None
    runs: list[ScoreRun]
    rows: list[RankRow]  # the rows the viewer may see, ranked over the whole scope
    total: int  # how many are ranked in the scope
    names: bool  # whether other people's names are shown
    me: RankRow | None = None
    teams: list = field(default_factory=list)  # (id, name) choices for the team scope
    team_id: int | None = None


def period_runs(start: dt.date, end: dt.date) -> list[ScoreRun]:
    return list(
        ScoreRun.objects.filter(period_start=start, period_end=end, state__in=SHOWN_STATES)
        .select_related("scheme")
        .order_by("scheme__name", "pk")
    )


def _pick_run(viewer, choices: list[ScoreRun], run_id) -> ScoreRun | None:
    if run_id not in (None, ""):
        found = next((r for r in choices if str(r.pk) == str(run_id)), None)
        if found is None:
            raise ValidationError({"run": _("Choose one of the score runs of this month.")})
        return found
    own = RepScore.objects.filter(run__in=choices, user_id=viewer.pk).values_list(
        "run_id", flat=True
    )
    own = own.first()
    return next((r for r in choices if r.pk == own), choices[0] if choices else None)


def _team_scope(viewer, scores: list[RepScore], team_id) -> tuple[list[RepScore], int | None]:
    """The rows of "my team": a rep's own team, a manager's subordinates, or — for the
    roles that see everything — the team they pick (default: the first team)."""
    if viewer.sees_everything:
        teams = sorted({s.team_id for s in scores if s.team_id is not None})
        if team_id not in (None, ""):
            if not str(team_id).isdigit() or int(team_id) not in teams:
                raise ValidationError({"team": _("Choose a team that is ranked in this run.")})
            team_id = int(team_id)
        else:
            team_id = teams[0] if teams else None
        return [s for s in scores if s.team_id == team_id], team_id
    if viewer.is_manager_role:
        visible = set(permissions.visible_user_ids(viewer) or [])
        return [s for s in scores if s.user_id in visible], None
    mine = next((s for s in scores if s.user_id == viewer.pk), None)
    team = mine.team_id if mine else viewer.team_id
    return [s for s in scores if team is not None and s.team_id == team], team


def ranking(
    viewer,
    start: dt.date,
    end: dt.date,
    *,
    scope: str = "team",
    run_id=None,
    team_id=None,
    search: str = "",
) -> Ranking:
    """The ``scope`` ranking ("team" or "org") of one run of the period (the viewer's own
    run by default). Ranks are competition ranks over the whole scope; the rows are those
    whose names the viewer may see (``permissions.ranking_names``), otherwise only the
    people they may see anyway (a rep: themselves) — the count is always the scope's."""
    if scope not in SCOPES:
        raise ValidationError({"scope": _("Choose “team” or “org”.")})
    choices = period_runs(start, end)
    run = _pick_run(viewer, choices, run_id)
    result = Ranking(start, end, scope, run, choices, [], 0, False)
    if run is None:
        return result
    scores = list(RepScore.objects.filter(run=run).select_related("user", "team"))
    result.teams = sorted(
        {(s.team_id, s.team.name) for s in scores if s.team_id is not None},
        key=lambda t: t[1],
    )
    if scope == "team":
        scores, result.team_id = _team_scope(viewer, scores, team_id)
    ranks = competition_ranks(scores)
    result.total = len(scores)
    result.names = permissions.ranking_names(viewer, scope=scope)
    if result.names:
        shown = scores
    else:
        visible = permissions.visible_user_ids(viewer)
        visible = None if visible is None else set(visible)
        shown = [s for s in scores if visible is None or s.user_id in visible]
    rows = sorted(
        (RankRow(ranks[s.pk], s, s.user_id == viewer.pk) for s in shown),
        key=lambda r: (r.rank, r.row.user.label),
    )
    result.me = next((r for r in rows if r.is_me), None)
    needle = (search or "").strip().lower()
    if needle:
        rows = [
            r
            for r in rows
            if needle in r.name.lower()
            or needle in r.row.user.username.lower()
            or (r.row.team and needle in r.row.team.name.lower())
        ]
    result.rows = rows
    return result

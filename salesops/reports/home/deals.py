"""The deal sections of the home pages (issue 14 item 10).

* rep: the deals needing action — stalled, awaiting evidence (the current stage's exit
  criteria are not met), rejected stage changes to redo, changes waiting for approval;
* manager: the approvals waiting and the team's pipeline per rep (open deals, amount,
  weighted amount, stalled);
* director: the pipeline by team (each team's row adds up its subtree).

Every figure is read through the deals' visibility, with a fixed number of queries
whatever the number of deals, reps or teams: the sections list at most ``SHOWN`` rows
and count the rest in the same aggregate."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, Sum
from django.urls import reverse

from salesops.activities import selectors as activity_selectors
from salesops.activities.models import Activity
from salesops.core import choices, clock
from salesops.org.models import Team
from salesops.pipeline import criteria
from salesops.pipeline.models import (
    ChangeState,
    Deal,
    DealStatus,
    Evidence,
    Stage,
    StageChange,
)

SHOWN = 10
FIGURES = ("open", "amount", "weighted", "stalled", "won", "won_amount")
ZERO = Decimal("0")


def _link(deals):
    deals = list(deals)
    for deal in deals:
        deal.url = reverse("pipeline:deal_detail", args=[deal.pk])
    return deals


def _own_open(user):
    return (
        Deal.objects.visible_to(user)
        .filter(owner=user, status=DealStatus.OPEN)
        .select_related("account", "stage")
    )


# --- rep ------------------------------------------------------------------------------------
def stalled(user):
    """The rep's open deals longer in their stage than it allows, the longest first."""
    return _own_open(user).filter(stall_due_at__lt=clock.now()).order_by("stall_due_at", "id")


def pending_changes(user):
    """The rep's stage changes waiting for the manager."""
    return (
        StageChange.objects.visible_to(user)
        .filter(deal__owner=user, state=ChangeState.PENDING)
        .select_related("deal", "deal__account", "deal__stage", "from_stage", "to_stage")
        .order_by("requested_at", "id")
    )


def rejected_to_redo(user):
    """Rejected requests of the rep's open deals still in the stage the request was to
    leave, with nothing asked since (one row per deal: the latest rejection)."""
    return (
        StageChange.objects.visible_to(user)
        .filter(
            deal__owner=user,
            deal__status=DealStatus.OPEN,
            state=ChangeState.REJECTED,
            from_stage=F("deal__stage"),
            requested_at__gte=F("deal__stage_entered_at"),
        )
        .exclude(deal__stage_changes__state=ChangeState.PENDING)
        .select_related(
            "deal", "deal__account", "deal__stage", "from_stage", "to_stage", "decided_by"
        )
        .order_by("-decided_at", "-id")
    )


def awaiting_evidence(user) -> list:
    """The rep's open deals whose current stage's exit criteria are not met (no change
    waiting), each with ``missing`` (the criteria's messages). Four queries: the deals
    (with their decision-chain size), their evidence types, and their activities since
    they entered their stage."""
    deals = list(
        _own_open(user)
        .exclude(stage_changes__state=ChangeState.PENDING)
        .annotate(chain=Count("contacts", distinct=True))
        .order_by("stage_entered_at", "id")
    )
    deals = [
        d
        for d in deals
        if d.stage.required_fields or d.stage.required_evidence or d.stage.required_activities
    ]
    ids = [d.pk for d in deals]
    have: dict[int, set] = defaultdict(set)
    for deal_id, type_ in Evidence.objects.filter(deal_id__in=ids).values_list("deal_id", "type"):
        have[deal_id].add(type_)
    logged: dict[tuple, int] = {}
    rows = (
        Activity.objects.filter(deal_id__in=ids, started_at__gte=F("deal__stage_entered_at"))
        .values("deal_id", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        logged[(row["deal_id"], row["kind"])] = row["n"]
    out = []
    for deal in deals:
        missing = [
            criteria.FIELD_LABELS.get(name, lambda n=name: n)()
            for name in deal.stage.required_fields or ()
            if not _filled(deal, name)
        ]
        missing += [
            choices.label(choices.EVIDENCE_TYPE, code)
            for code in deal.stage.required_evidence or ()
            if code not in have[deal.pk]
        ]
        for need in deal.stage.required_activities or ():
            kind = need.get("kind", "") if isinstance(need, dict) else str(need)
            count = int(need.get("count", 1)) if isinstance(need, dict) else 1
            if kind and logged.get((deal.pk, kind), 0) < count:
                missing.append(criteria.activity_kind_label(kind))
        if missing:
            deal.missing = missing
            out.append(deal)
    return out


def _filled(deal: Deal, name: str) -> bool:
    if name == "contacts":
        return deal.chain > 0
    value = getattr(deal, name, None)
    if name == "amount":
        return value is not None and value > 0
    return bool(value)


def for_rep(user) -> dict:
    stuck = stalled(user)
    waiting = pending_changes(user)
    redo_all = rejected_to_redo(user)
    redo = list(redo_all[: SHOWN * 3])
    latest, seen = [], set()
    for change in redo:  # the latest rejection of each deal
        if change.deal_id not in seen:
            seen.add(change.deal_id)
            latest.append(change)
    evidence = awaiting_evidence(user)
    pending = list(waiting[:SHOWN])
    _link([c.deal for c in [*latest[:SHOWN], *pending]])
    return {
        "stalled": _link(stuck[:SHOWN]),
        "stalled_count": stuck.count(),
        "evidence": _link(evidence[:SHOWN]),
        "evidence_count": len(evidence),
        "rejected": latest[:SHOWN],
        "rejected_count": redo_all.values("deal_id").distinct().count(),
        "pending": pending,
        "pending_count": waiting.count(),
        "list_url": reverse("pipeline:deal_list"),
        "now_instant": clock.now(),
    }


# --- manager ----------------------------------------------------------------------------------
def approvals_waiting(manager):
    """The requests the manager may decide: pending changes of their team's deals (never
    their own)."""
    return (
        StageChange.objects.visible_to(manager)
        .filter(state=ChangeState.PENDING)
        .exclude(deal__owner=manager)
        .select_related(
            "deal", "deal__account", "deal__stage", "deal__owner", "from_stage", "to_stage"
        )
        .order_by("requested_at", "id")
    )


def _pipeline_figures(deals, group_of=None) -> dict:
    """{group: figures} of ``deals`` (a visible queryset): open deals, their amount and
    weighted amount, stalled ones; won this month and its amount. One query grouped by
    owner and stage on the deal table alone (no join: the stage's probability and the
    owner's team are applied here), ``group_of(owner_id)`` naming the group (the owner
    when not given)."""
    month = clock.today().replace(day=1)
    now = clock.now()
    is_open = Q(status=DealStatus.OPEN)
    # From the month's first instant, not ``closed_at__date``: SQLite casts every row's
    # date in a Python function for that (10,000 calls on a manager's board).
    won = Q(status=DealStatus.WON, closed_at__gte=activity_selectors.day_start(month))
    rows = (
        deals.filter(is_open | won)
        .values("owner_id", "stage_id")
        .annotate(
            n_open=Count("id", filter=is_open),
            open_amount=Sum("amount", filter=is_open),
            n_stalled=Count("id", filter=is_open & Q(stall_due_at__lt=now)),
            n_won=Count("id", filter=won),
            won_total=Sum("amount", filter=won),
        )
        .order_by()
        .values_list(
            "owner_id", "stage_id", "n_open", "open_amount", "n_stalled", "n_won", "won_total"
        )
    )
    probability = dict(Stage.objects.values_list("pk", "probability"))
    figures: dict = {}
    for owner_id, stage_id, n_open, amount, n_stalled, n_won, won_total in rows:
        key = group_of(owner_id) if group_of else owner_id
        f = figures.setdefault(key, {name: 0 for name in FIGURES})
        amount = amount or ZERO
        f["open"] += n_open
        f["amount"] += amount
        f["weighted"] += amount * Decimal(probability.get(stage_id, 0)) / 100
        f["stalled"] += n_stalled
        f["won"] += n_won
        f["won_amount"] += won_total or ZERO
    for f in figures.values():
        f["weighted"] = Decimal(f["weighted"]).quantize(Decimal("0.01"))
    return figures


def for_board(manager, reps) -> dict:
    """``reps``: the board's reps (their rows, in order)."""
    waiting = approvals_waiting(manager)
    shown = list(waiting[:SHOWN])
    _link([c.deal for c in shown])
    figures = _pipeline_figures(
        Deal.objects.visible_to(manager).filter(owner_id__in=[r.pk for r in reps])
    )
    rows = [{"rep": rep, **figures.get(rep.pk, dict.fromkeys(FIGURES, 0))} for rep in reps]
    return {
        "approvals": shown,
        "approval_count": waiting.count(),
        "approvals_url": reverse("pipeline:approvals"),
        "list_url": reverse("pipeline:deal_list"),
        "rows": rows,
        "totals": {key: sum(r[key] for r in rows) for key in FIGURES},
    }


# --- director ---------------------------------------------------------------------------------
def for_director(user) -> dict:
    """One row per team (its subtree's pipeline), plus the deals of owners in no team."""
    team_of = dict(get_user_model().objects.values_list("pk", "team_id"))
    figures = _pipeline_figures(Deal.objects.visible_to(user), team_of.get)
    teams = list(Team.objects.order_by("path").only("id", "name", "path", "parent_id"))
    paths = {t.pk: t.path for t in teams}
    rows = []
    for team in teams:
        total = dict.fromkeys(FIGURES, 0)
        for team_id, values in figures.items():
            if team_id is not None and paths.get(team_id, "").startswith(team.path):
                for key, value in values.items():
                    total[key] += value
        rows.append({"team": team, "depth": team.depth, **total})
    return {
        "rows": rows,
        "no_team": figures.get(None),
        "list_url": reverse("pipeline:deal_list"),
        "kanban_url": reverse("pipeline:kanban"),
    }


__all__ = ["for_board", "for_director", "for_rep"]

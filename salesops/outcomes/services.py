"""Writes of the outcomes app: the weekly snapshot (and its backfill), the settings row
and the days users were seen."""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.core.history import save_with_history
from salesops.core.policies import set_bounded
from salesops.customers.models import Account
from salesops.leads.models import Lead
from salesops.org.models import Role, Team, User
from salesops.pipeline.models import Deal

from . import metrics, quality
from .models import (
    BackfillRun,
    BackfillState,
    OutcomePolicy,
    OutcomeSnapshot,
    ScopeKind,
    SeenDay,
)
from .windows import week_start, weeks_between

log = logging.getLogger(__name__)
# Backfill reaches at most this far before go-live (imported history can be old).
BACKFILL_WEEKS_BEFORE = 26

LIMITS = {
    "untouched_hours": (1, 720),
    "active_account_days": (7, 730),
    "forecast_weeks": (0, 52),
    "copy_min_repeats": (2, 1000),
}


def can_configure(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active) and (
        user.is_admin_role or user.edits_everything
    )


# --- snapshots -----------------------------------------------------------------------


def _team_owners() -> tuple[dict[int, set[int]], dict[int, int | None]]:
    """Each team's users (its whole subtree) and each user's team."""
    teams = list(Team.objects.values_list("pk", "path"))
    team_of = dict(User.objects.values_list("pk", "team_id"))
    path_of = dict(teams)
    members: dict[int, set[int]] = {pk: set() for pk, _path in teams}
    for user_id, team_id in team_of.items():
        path = path_of.get(team_id)
        if not path:
            continue
        for pk, team_path in teams:
            if path.startswith(team_path):
                members[pk].add(user_id)
    return members, team_of


def snapshot_week(week: dt.date) -> int:
    """Compute every metric for the week starting ``week`` (a Monday; any day is moved to
    its Monday) for the organisation, each team and each rep, and replace the week's
    snapshot rows in one transaction. Each metric is one set of grouped queries over all
    owners; teams and reps are folded from those parts. Returns the rows written."""
    start = week_start(week)
    end = start + dt.timedelta(days=7)
    members, _team_of = _team_owners()
    reps = set(
        User.objects.filter(is_active=True, role__in=[Role.REP, Role.MANAGER]).values_list(
            "pk", flat=True
        )
    )
    known_users = set(_team_of)
    now = clock.now()
    rows = []
    for metric in metrics.METRICS:
        parts = metric.parts(start, end, None)
        total = metrics.Part()
        for part in parts.values():
            total.add(part)
        rows.append(_row(start, metric, ScopeKind.ORG, 0, total, now))
        for team_id, user_ids in members.items():
            team_total = metrics.Part()
            for user_id in user_ids & parts.keys():
                team_total.add(parts[user_id])
            rows.append(_row(start, metric, ScopeKind.TEAM, team_id, team_total, now))
        for user_id in (reps | (parts.keys() & known_users)) - {None}:
            rows.append(
                _row(
                    start, metric, ScopeKind.REP, user_id, parts.get(user_id) or metrics.Part(), now
                )
            )
    with transaction.atomic():
        OutcomeSnapshot.objects.filter(week_start=start).delete()
        OutcomeSnapshot.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _row(start, metric, kind, scope_id, part, now) -> OutcomeSnapshot:
    result = metrics.fold(metric, part)
    return OutcomeSnapshot(
        week_start=start,
        metric=metric.code,
        scope_kind=kind,
        scope_id=scope_id,
        value=result.value,
        numerator=result.numerator,
        denominator=result.denominator,
        detail=result.detail,
        computed_at=now,
    )


def last_complete_week(today: dt.date | None = None) -> dt.date:
    """The Monday of the last week that has ended."""
    return week_start(today or clock.today()) - dt.timedelta(days=7)


def first_record_day() -> dt.date | None:
    """The day of the oldest lead, account or deal (imported history included)."""
    firsts = [
        model.objects.aggregate(first=Min("created_at"))["first"] for model in (Lead, Account, Deal)
    ]
    firsts = [timezone.localtime(f).date() for f in firsts if f]
    return min(firsts) if firsts else None


def backfill_weeks(policy: OutcomePolicy | None = None) -> list[dt.date]:
    """The weeks a backfill computes: from go-live (or up to
    :data:`BACKFILL_WEEKS_BEFORE` weeks earlier when imported history reaches there) to
    the last complete week."""
    policy = policy or OutcomePolicy.current()
    last = last_complete_week()
    first = first_record_day()
    if first is None:
        return []
    begin = first
    if policy.go_live_on:
        begin = max(first, policy.go_live_on - dt.timedelta(weeks=BACKFILL_WEEKS_BEFORE))
    return weeks_between(begin, last)


def backfill(progress=None) -> dict:
    """Snapshot every week of :func:`backfill_weeks`; returns weeks, rows and seconds."""
    started = time.monotonic()
    weeks = backfill_weeks()
    rows = 0
    for i, week in enumerate(weeks, 1):
        rows += snapshot_week(week)
        if progress:
            progress(i, len(weeks))
    return {"weeks": len(weeks), "rows": rows, "seconds": round(time.monotonic() - started, 1)}


def backfill_start(*, actor) -> BackfillRun:
    """A queued backfill run for the worker (:func:`backfill_execute` computes it). Refused
    while another is queued or running: a second one would write the same weeks again."""
    if not can_configure(actor):
        raise PermissionDenied(_("Only a sales-ops admin or a director changes these settings."))
    busy = _("A backfill is already running; wait until it has finished, then start another.")
    if BackfillRun.objects.filter(active=True).exists():
        raise ValidationError(busy, code="busy")
    try:
        with transaction.atomic():
            run = BackfillRun.objects.create(created_by=actor)
    except IntegrityError:  # another click got there first (one active run: the constraint)
        raise ValidationError(busy, code="busy") from None
    log.info("outcomes backfill %s queued by %s", run.pk, actor.pk)
    return run


def backfill_execute(run: BackfillRun) -> BackfillRun:
    """Compute ``run``: its progress after every week, then the weeks, rows and seconds; a
    failure is kept on the run (state failed, the error) and logged, never lost."""
    started = time.monotonic()
    BackfillRun.objects.filter(pk=run.pk).update(state=BackfillState.RUNNING)

    def progress(done: int, total: int) -> None:
        BackfillRun.objects.filter(pk=run.pk).update(
            progress=round(done * 100 / total), weeks=total
        )

    try:
        result = backfill(progress=progress)
    except Exception as exc:  # noqa: BLE001 - kept on the run and logged
        log.exception("outcomes backfill %s failed", run.pk)
        run.refresh_from_db()
        run.state, run.error = BackfillState.FAILED, f"{type(exc).__name__}: {exc}"[:500]
    else:
        run.refresh_from_db()
        run.state, run.progress = BackfillState.DONE, 100
        run.weeks, run.rows = result["weeks"], result["rows"]
    run.active = False
    run.seconds = round(time.monotonic() - started, 1)
    run.finished_at = clock.now()
    run.save()
    return run


# --- settings ------------------------------------------------------------------------


def _check_lists(value, errors: dict) -> dict:
    """The completeness lists, every unknown entity or field named."""
    if not isinstance(value, dict):
        errors["completeness_fields"] = [_("Give the lists per entity: lead, account, contact.")]
        return {}
    cleaned, problems = {}, []
    for entity, lists in value.items():
        if entity not in quality.ENTITIES:
            problems.append(
                _("“%(entity)s” is not an entity here; use lead, account or contact.")
                % {"entity": entity}
            )
            continue
        known = quality.field_names(entity)
        cleaned[entity] = {}
        for which in quality.LISTS:
            names = [str(n).strip() for n in (lists or {}).get(which, []) if str(n).strip()]
            for name in names:
                if name not in known:
                    problems.append(
                        _(
                            "%(entity)s has no field “%(field)s”; pick one of its fields or "
                            "custom fields (custom.<key>)."
                        )
                        % {"entity": entity, "field": name}
                    )
            cleaned[entity][which] = list(dict.fromkeys(names))
        both = set(cleaned[entity]["required"]) & set(cleaned[entity]["recommended"])
        for name in sorted(both):
            problems.append(
                _("%(entity)s lists “%(field)s” as both required and recommended; keep one.")
                % {"entity": entity, "field": name}
            )
    if problems:
        errors["completeness_fields"] = problems
    return cleaned


@transaction.atomic
def policy_save(
    *, actor, go_live_on, completeness_fields, placeholders, **numbers
) -> OutcomePolicy:
    """Settings · Outcomes: every bad value at once, by field; nothing saved."""
    if not can_configure(actor):
        raise PermissionDenied(_("Only a sales-ops admin or a director changes these settings."))
    policy = OutcomePolicy.objects.select_for_update().order_by("pk").first() or OutcomePolicy()
    errors: dict = {}
    if go_live_on is not None:
        first = first_record_day()
        if go_live_on > clock.today():
            errors["go_live_on"] = [
                _("The go-live date is in the future; enter the day SalesOps went live.")
            ]
        elif first and go_live_on < first:
            errors["go_live_on"] = [
                _("The go-live date is before the first record (%(first)s); enter a later day.")
                % {"first": first.isoformat()}
            ]
    lists = _check_lists(completeness_fields, errors)
    values = [str(p).strip() for p in placeholders or [] if str(p).strip()]
    if len(values) > 200 or any(len(v) > 50 for v in values):
        errors["placeholders"] = [
            _("Keep the placeholder list to 200 values of at most 50 characters.")
        ]
    for name, bounds in LIMITS.items():
        set_bounded(policy, name, numbers.get(name, getattr(policy, name)), bounds, errors)
    if errors:
        raise ValidationError(errors)
    policy.go_live_on = go_live_on
    policy.completeness_fields = lists
    policy.placeholders = list(dict.fromkeys(values))
    policy.updated_at = clock.now()
    policy.updated_by = actor
    save_with_history(policy, actor, "changed" if policy.pk else "created")
    return policy


# --- use -----------------------------------------------------------------------------


def seen_record(user_id: int, day: dt.date) -> None:
    """Note that ``user_id`` used SalesOps on ``day`` (idempotent)."""
    SeenDay.objects.bulk_create([SeenDay(user_id=user_id, day=day)], ignore_conflicts=True)

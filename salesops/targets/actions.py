"""The rule action ``targets_health_snapshot`` (SPEC T4, T5), run by the default monthly
rule ``targets-health-monthly`` (:mod:`.defaults_rules`) on the Nth working day.

For the month of the schedule's instant it takes the health snapshot of every published
plan whose fiscal year covers that month, and — when the month before ended a fiscal
quarter of a published plan — evaluates that quarter's process-health award. Each plan's
team managers (every manager of a team in the plan's tree) and the directors then find the
headline in their inbox: how many teams are red, the award winners, and the link to the
dashboard. A re-run of the same firing retakes the same snapshots (idempotent).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesops.automation import actions as automation_actions
from salesops.core import clock
from salesops.org.models import Role, Team

from . import measures, snapshots
from .models import HealthStatus, PlanState, TargetPlan, TargetPolicy

KIND = "targets_health_snapshot"
NOTIFICATION_KIND = "targets.health"


def validate(config: dict, vctx, errors: dict) -> dict:
    if vctx.trigger_type != "schedule" or vctx.entity_key:
        errors["kind"] = _("The target health snapshot runs on a schedule rule without an entity.")
    return {"kind": KIND}


def _instant(ctx) -> dt.datetime:
    values = ctx.variables or {}
    if all(isinstance(values.get(k), int) for k in ("year", "month", "day")):
        local = timezone.localtime(clock.now())
        day = dt.date(values["year"], values["month"], values["day"])
        if local.date() != day:  # a late firing: the instant's own day at noon
            return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
        return clock.now()
    return ctx.firing.fired_at if getattr(ctx, "firing", None) is not None else clock.now()


def dashboard_link(plan: TargetPlan) -> str:
    try:
        return reverse("targets:health", args=[plan.pk])
    except NoReverseMatch:
        return ""


def recipients(plan: TargetPlan) -> list:
    """The managers of the teams in the plan's tree and the directors, active."""
    manager_ids = Team.objects.filter(
        path__startswith=plan.team.path, manager__isnull=False
    ).values_list("manager_id", flat=True)
    return list(
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(pk__in=list(manager_ids)) | Q(role=Role.DIRECTOR))
        .order_by("pk")
    )


def due_work(month: dt.date, policy: TargetPolicy) -> list[tuple[TargetPlan, bool, int | None]]:
    """(plan, take a snapshot this month, quarter whose award to evaluate) per published
    plan concerned by ``month``."""
    previous = measures.add_months(month, -1)
    work = []
    for plan in TargetPlan.objects.filter(state=PlanState.PUBLISHED).select_related("team"):
        months = measures.fiscal_months(plan.fiscal_year, policy)
        snapshot = month in months
        quarter = None
        if previous in months and months.index(previous) % 3 == 2:
            quarter = months.index(previous) // 3 + 1
        if snapshot or quarter:
            work.append((plan, snapshot, quarter))
    return work


def _headline(plan, month, team_rows, awards) -> tuple[str, str]:
    red = sum(1 for s in team_rows if s.status == HealthStatus.RED)
    title = _("Target health of %(plan)s for %(month)s: %(red)d red of %(teams)d teams") % {
        "plan": plan.name,
        "month": month.strftime("%Y-%m"),
        "red": red,
        "teams": len(team_rows),
    }
    lines = []
    if red:
        names = ", ".join(s.team.name for s in team_rows if s.status == HealthStatus.RED)
        lines.append(_("Red (coverage below the red line): %(names)s.") % {"names": names})
    else:
        lines.append(_("No team is red."))
    if awards is not None:
        quarter, rows = awards
        if rows:
            lines.append(
                _("Process-health award for Q%(q)d: %(names)s.")
                % {"q": quarter, "names": ", ".join(a.team.name for a in rows)}
            )
        else:
            lines.append(_("No team earned the process-health award for Q%(q)d.") % {"q": quarter})
    return title, " ".join(lines)


def run(config: dict, ctx) -> dict:
    instant = _instant(ctx)
    month = timezone.localtime(instant).date().replace(day=1)
    policy = TargetPolicy.current()
    work = due_work(month, policy)
    result: dict = {"month": month.isoformat(), "plans": [p.pk for p, _s, _q in work]}
    if ctx.dry_run:
        result["would"] = "; ".join(
            _("snapshot %(plan)s") % {"plan": p.name} if s else p.name for p, s, _q in work
        ) or _("No published plan covers this month.")
        return result
    messages = 0
    for plan, take, quarter in work:
        try:
            rows = snapshots.take_snapshot(plan=plan, month=month, at=instant) if take else []
            awards = (quarter, snapshots.evaluate_awards(plan, quarter)) if quarter else None
        except ValidationError as exc:
            result.setdefault("errors", []).append(f"{plan.pk}: {'; '.join(exc.messages)}")
            continue
        team_rows = [s for s in rows if s.rep_id is None]
        for user in recipients(plan):
            with translation.override(user.language or None):
                title, body = _headline(plan, month, team_rows, awards)
            item = {
                "recipient_id": user.pk,
                "kind": NOTIFICATION_KIND,
                "title": title,
                "body": body,
                "link": dashboard_link(plan),
                "source": ctx.source,
            }
            ctx.batch.notifications.append((item, result))
            messages += 1
    result["messages"] = messages
    return result


def register_all() -> None:
    automation_actions.register(
        KIND,
        gettext_lazy("Take the monthly target health snapshot and evaluate the award"),
        validate,
        run,
    )

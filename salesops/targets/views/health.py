"""Target health pages (SPEC T4, T5): the dashboard of a plan per team and rep, the
monthly snapshots' trend and awards, the Excel export of the snapshots, and taking a
snapshot by hand (configurers).

Who sees what: the plan as :func:`permissions.visible_plans` says (404 otherwise); team
rows by :func:`health.visible_team_ids` (director, admin, finance: all; a manager their
subtree; a rep their own team); rep rows by :func:`permissions.visible_allocations`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from salesops.core.exports import ExportTooLarge, export_response

from .. import health, permissions, snapshots
from ..forms_health import SnapshotForm
from ..models import AwardEntitlement, HealthSnapshot, HealthStatus, TargetPlan
from ..selectors import plan_or_404

REPS_PER_PAGE = 50
TREND_MONTHS = 12


def _selected(request, rows: list) -> health.TeamRow | None:
    if not rows:
        return None
    raw = request.GET.get("team", "")
    if raw:
        if not raw.isdigit():
            raise Http404(_("No such team, or you may not open it."))
        found = next((r for r in rows if r.team.pk == int(raw)), None)
        if found is None:
            raise Http404(_("No such team, or you may not open it."))
        return found
    own = getattr(request.user, "team_id", None)
    return next((r for r in rows if r.team.pk == own), rows[0])


def _number(value):
    return None if value is None else float(value)


def chart_data(rows: list, policy) -> dict:
    return {
        "labels": [row.team.name for row in rows],
        "coverage": [_number(row.figures.coverage) for row in rows],
        "status": [row.figures.status for row in rows],
        "red": float(policy.coverage_red),
        "amber": float(policy.coverage_amber),
        "names": {
            "coverage": _("Coverage"),
            "red": _("Red line"),
            "amber": _("Amber line"),
            "reached": _("Target reached"),
        },
    }


def trend(plan: TargetPlan, teams: list) -> dict:
    """Coverage per month of the last snapshots for ``teams`` (chart and table)."""
    ids = [t.pk for t in teams]
    rows = list(
        HealthSnapshot.objects.filter(plan=plan, rep__isnull=True, team_id__in=ids)
        .order_by("month")
        .values_list("month", "team_id", "coverage", "status")
    )
    months = sorted({m for m, *_rest in rows})[-TREND_MONTHS:]
    cells = {(m, t): (c, s) for m, t, c, s in rows}
    return {
        "months": months,
        "rows": [
            (team, [cells.get((m, team.pk), (None, "")) for m in months], team.pk) for team in teams
        ],
        "chart": {
            "labels": [m.strftime("%Y-%m") for m in months],
            "series": [
                {
                    "name": team.name,
                    "data": [_number(cells.get((m, team.pk), (None,))[0]) for m in months],
                }
                for team in teams
            ],
        },
    }


@login_required
@require_GET
def dashboard(request, pk: int):
    plan = plan_or_404(request.user, pk)
    context = {"plan": plan, "available": health.has_health(plan)}
    if not context["available"]:
        return render(request, "targets/health.html", context)
    result = health.compute(plan)
    paths = {row.team.pk: row.team.path for row in result.teams}
    visible = health.visible_team_ids(request.user, plan, paths)
    rows = [row for row in result.teams if row.team.pk in visible]
    selected = _selected(request, rows)
    rep_rows = []
    if selected is not None:
        rep_ids = set(
            permissions.visible_allocations(request.user, plan).values_list("rep_id", flat=True)
        )
        rep_rows = [r for r in result.reps_of(selected.team) if r.rep.pk in rep_ids]
    page_obj = Paginator(rep_rows, REPS_PER_PAGE).get_page(request.GET.get("page"))
    page_obj.elided_range = page_obj.paginator.get_elided_page_range(page_obj.number)
    trend_teams = []
    if selected is not None:
        trend_teams = [selected.team] + [
            row.team
            for row in rows
            if row.team.parent_id == selected.team.pk and row.team.pk != selected.team.pk
        ]
    context.update(
        result=result,
        rows=rows,
        selected=selected,
        page_obj=page_obj,
        chart=chart_data(rows, result.policy),
        trend=trend(plan, trend_teams),
        awards=AwardEntitlement.objects.filter(plan=plan, team_id__in=visible)
        .select_related("team")
        .order_by("quarter", "team__path"),
        red_count=sum(1 for r in rows if r.figures.status == HealthStatus.RED),
        can_configure=permissions.can_configure(request.user),
        snapshot_form=SnapshotForm(plan=plan, policy=result.policy),
    )
    return render(request, "targets/health.html", context)


def visible_snapshots(user, plan: TargetPlan):
    """The snapshot rows ``user`` may export: visible teams' rows and visible reps' rows."""
    paths = dict(
        plan.team.__class__.objects.filter(path__startswith=plan.team.path).values_list(
            "pk", "path"
        )
    )
    teams = health.visible_team_ids(user, plan, paths)
    reps = permissions.visible_allocations(user, plan).values_list("rep_id", flat=True)
    # Rep rows of every version: the rep ids visible in the version in force.
    return (
        HealthSnapshot.objects.filter(plan=plan)
        .filter(Q(rep__isnull=True, team_id__in=teams) | Q(rep_id__in=list(reps)))
        .select_related("team", "rep")
        .order_by("month", "team__path", "rep_id")
    )


def _status_label(snapshot) -> str:
    return str(HealthStatus(snapshot.status).label)


EXPORT_COLUMNS = (
    (gettext_lazy("Month"), lambda s: s.month.strftime("%Y-%m")),
    (gettext_lazy("Team"), "team.name"),
    (gettext_lazy("Rep"), lambda s: s.rep.label if s.rep else ""),
    (gettext_lazy("Version"), "version"),
    (gettext_lazy("Target for the year"), "target_year"),
    (gettext_lazy("Target to date"), "target_to_date"),
    (gettext_lazy("Achieved to date"), "achieved"),
    (gettext_lazy("Qualified pipeline"), "qualified_pipeline"),
    (gettext_lazy("Gap"), "gap"),
    (
        gettext_lazy("Coverage"),
        lambda s: s.coverage if s.coverage is not None else _("target reached"),
    ),
    (gettext_lazy("Completion"), "completion"),
    (gettext_lazy("Status"), _status_label),
    (gettext_lazy("Taken at"), "taken_at"),
)


@login_required
@require_GET
def export(request, pk: int):
    plan = plan_or_404(request.user, pk)
    fmt = request.GET.get("format", "xlsx")
    columns = [(str(header), accessor) for header, accessor in EXPORT_COLUMNS]
    try:
        return export_response(
            visible_snapshots(request.user, plan), columns, fmt, f"target-health-{plan.pk}"
        )
    except ExportTooLarge as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("targets:health", pk=plan.pk)


@login_required
@require_POST
def take(request, pk: int):
    plan = plan_or_404(request.user, pk)
    if not permissions.can_configure(request.user):
        raise PermissionDenied(_("Only sales-ops admins and directors take snapshots."))
    form = SnapshotForm(request.POST, plan=plan)
    if form.is_valid():
        try:
            snapshots.take_snapshot(plan=plan, month=form.cleaned_data["month"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Health snapshot saved."))
    else:
        messages.error(request, _("Choose a month of the plan's fiscal year."))
    return redirect(reverse("targets:health", args=[plan.pk]) + "#history")


urlpatterns = [
    path("plans/<int:pk>/health/", dashboard, name="health"),
    path("plans/<int:pk>/health/export/", export, name="health_export"),
    path("plans/<int:pk>/health/snapshot/", take, name="health_snapshot"),
]

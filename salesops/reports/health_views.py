"""The healthy-deal report (SPEC D7): the deals the user sees with their criteria met
(x/5), each failure's risk signal, filters (team, rep, pipeline, status, failing
criterion, criteria met at most) and the export of exactly the filtered rows.

Visibility is the deals' (``Deal.objects.visible_to``): a rep sees their own deals, a
manager the team's, customer success the deals on their book's accounts, directors,
admins and finance all. Deals of the page never checked are checked once when shown.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from salesops.core.exports import export_or_back
from salesops.core.listing import list_context
from salesops.org.models import Team
from salesops.pipeline import health
from salesops.pipeline import selectors as pipeline_selectors
from salesops.pipeline.models import Deal, DealStatus

from . import deal_health
from .health_filters import report_filterset

FILTERS = ("q", "team", "owner", "pipeline", "status", "failing", "max_passed")


def _filterset(user, data):
    return report_filterset(user=user, data=data)


def _teams(user) -> list[tuple[int, str]]:
    if user.sees_everything:
        teams = Team.objects.all()
    elif user.is_manager_role:
        paths = list(Team.objects.filter(manager=user).values_list("path", flat=True))
        if not paths:
            return []
        condition = Q(pk__in=[])
        for path in paths:
            condition |= Q(path__startswith=path)
        teams = Team.objects.filter(condition)
    else:
        return []
    return [(t.pk, t.name) for t in teams.order_by("path")]


def _cell(deal: Deal, code: str) -> str:
    """One criterion of a deal for the export: met / failed with the signal / n/a."""
    rows = (deal.health or {}).get("criteria") or []
    row = next((r for r in rows if r.get("code") == code), None)
    if row is None:
        return ""
    if row.get("passed") is None:
        return _("not yet applicable")
    if row.get("passed"):
        return _("met") + (f" ({row['value']})" if row.get("value") else "")
    return _("failed: %(signal)s") % {"signal": row.get("signal") or row.get("value")}


def _columns():
    label = lambda name: capfirst(Deal._meta.get_field(name).verbose_name)  # noqa: E731
    columns = [
        (label("name"), "name"),
        (label("account"), "account.name"),
        (label("owner"), "owner.label"),
        (label("pipeline"), "pipeline.name"),
        (label("stage"), "stage.name"),
        (label("status"), "status"),
        (label("amount"), "amount"),
        (
            gettext_lazy("Criteria met"),
            lambda d: f"{d.health_passed}/{health.TOTAL}" if d.health_passed is not None else "",
        ),
    ]
    for code, criterion in health.CRITERIA:
        columns.append((criterion, lambda d, code=code: _cell(d, code)))
    columns.append((gettext_lazy("Checked at"), "health_checked_at"))
    return columns


@login_required
@require_GET
def deal_health_report(request):
    fs = _filterset(request.user, request.GET)
    context = list_context(request, fs, FILTERS)
    rows = list(context["rows"])
    unchecked = [deal for deal in rows if not deal.health]
    if unchecked:
        deal_health.recompute(unchecked)
    context.update(
        rows=[(deal, health.describe(deal)) for deal in rows],
        teams=_teams(request.user),
        pipelines=[(p.pk, p.name) for p in pipeline_selectors.active_pipelines()],
        statuses=[(DealStatus.OPEN, DealStatus.OPEN.label), (DealStatus.WON, DealStatus.WON.label)],
        criteria=[(code, str(label)) for code, label in health.CRITERIA],
        total=health.TOTAL,
    )
    return render(request, "reports/deal_health.html", context)


@login_required
@require_GET
def deal_health_export(request, fmt):
    fs = _filterset(request.user, request.GET)
    return export_or_back(request, fs, _columns(), fmt, "deal-health", "reports:deal_health")

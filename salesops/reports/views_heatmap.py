"""The manager's morning pages: the heatmap of a team's day (SPEC A4) and the visit data
snapshot fragment beside the check-in form (SPEC A8). Thin views: parse, one call into
:mod:`.heatmap` / :mod:`.snapshot` (visibility applied there), render."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from salesops.core import clock
from salesops.core.exports import RowList, back_to, queryset_export_or_back

from . import heatmap, snapshot

NOT_FOUND = gettext_lazy("No such record, or you may not open it.")


def _day(raw: str | None, today: dt.date) -> tuple[dt.date | None, str]:
    """The day asked for (``None`` and the message when it is not one)."""
    if not raw:
        return heatmap.default_day(today), ""
    try:
        day = dt.date.fromisoformat(raw.strip())
    except ValueError:
        return None, _("Day: enter a date as YYYY-MM-DD, e.g. 2026-11-20.")
    if day > today:
        return None, _("Day: pick today or an earlier day; the future has no activities yet.")
    return day, ""


def _team_id(raw: str | None) -> int | None:
    if not raw:
        return None
    raw = raw.strip()
    if not raw.isdigit() or len(raw) > 18:  # past every id (and SQLite's integers)
        raise Http404(NOT_FOUND)
    return int(raw)


def _cells_html(row, title: str) -> str:
    """A row's hour cells. Written here rather than in the template: a team of 50 reps has
    750 cells, and the template's per-cell translation and number formatting took most of
    the page's time (150 of 160 ms). Every value is an int and ``title`` is escaped once
    by the caller, so the text is safe as built."""
    parts = []
    for cell in row.cells:
        e, n = cell.effective, cell.activities
        style = " fw-bold" if e else ("" if n else " text-secondary")
        more = f' <small class="text-secondary">({n:d})</small>' if n else ""
        parts.append(
            f'<td class="text-end{style}" data-hour="{cell.hour:d}" data-effective="{e:d}" '
            f'data-activities="{n:d}" title="{title % {"e": e, "n": n}}">{e:d}{more}</td>'
        )
    return mark_safe("".join(parts))  # noqa: S308 - ints and a pre-escaped title only


def _team_options(user) -> list[tuple[int, str]]:
    """``(pk, label)`` of the teams ``user`` may open, indented below their top one."""
    teams = list(heatmap.heatmap_teams(user))
    top = min((t.depth for t in teams), default=0)
    return [(t.pk, "— " * (t.depth - top) + t.name) for t in teams]


def _load(request):
    """(the heatmap, the day field's error, today) the request asks for; 403 for a rep,
    404 for a team outside the user's scope."""
    if not heatmap.may_open(request.user):
        raise PermissionDenied(_("The heatmap is for managers, directors and admins."))
    today = clock.today()
    day, error = _day(request.GET.get("day"), today)
    try:
        data = heatmap.heatmap_for(
            user=request.user,
            team_id=_team_id(request.GET.get("team")),
            day=day or heatmap.default_day(today),
        )
    except ObjectDoesNotExist:
        raise Http404(NOT_FOUND) from None
    return data, error, today


@login_required
@require_GET
def heatmap_export(request, fmt):
    """The heatmap on screen as a table: one row per person, effective touches and all
    activities per hour, and the day's totals."""
    data, _error, _today = _load(request)
    columns = [(_("Person"), lambda row: row.user.label)]
    for index, hour in enumerate(data.hours):
        columns.append((f"{hour:02d}:00 · " + _("effective"), _cell(index, "effective")))
        columns.append((f"{hour:02d}:00 · " + _("all"), _cell(index, "activities")))
    columns += [(_("Effective touches"), "effective"), (_("All activities"), "activities")]
    stem = f"heatmap-{data.team.pk}-{data.day:%Y%m%d}"
    back = back_to(request, "reports:heatmap")
    return queryset_export_or_back(request, RowList(data.rows), columns, fmt, stem, back)


def _cell(index: int, name: str):
    return lambda row: getattr(row.cells[index], name)


@login_required
@require_GET
def team_heatmap(request):
    """A team's effective touches per rep and hour on one day (default: the manager's team
    and the previous working day). Reps may not open it (403); a team outside the
    user's scope is a 404."""
    data, error, today = _load(request)
    shown = data.day
    title = escape(_("%(e)d effective of %(n)d activities"))
    rows = [(row, _cells_html(row, title)) for row in data.rows]
    context = {
        "heatmap": data,
        "rows": rows,
        "error": error,
        "teams": _team_options(request.user),
        "is_default_day": not request.GET.get("day") or error,
        "is_workday": heatmap.is_workday(shown),
        "previous_day": heatmap.previous_workday(shown),
        "next_day": heatmap.next_workday(shown),
        "today": today,
        "chart": {
            **data.chart(),
            "labels": {"effective": _("Effective touches"), "activities": _("All activities")},
        },
    }
    return render(request, "reports/heatmap.html", context, status=400 if error else 200)


@login_required
@require_GET
def account_snapshot(request, pk):
    """The account's last-30-days snapshot, an htmx fragment for the check-in form."""
    try:
        data = snapshot.account_snapshot(user=request.user, pk=pk)
    except ObjectDoesNotExist:
        raise Http404(NOT_FOUND) from None
    return render(request, "reports/_account_snapshot.html", {"snapshot": data})

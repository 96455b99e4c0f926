"""The outcome board (/outcomes/), its export and Settings · Outcomes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from salesops.core.exports import RowList, queryset_export_or_back
from salesops.core.history import history_entries

from . import metrics, selectors, services, tasks
from .forms import PolicyForm
from .metrics import Scope
from .models import OutcomePolicy, OutcomeSnapshot, ScopeKind


def parse_scope(request) -> Scope:
    """The ``scope`` parameter (``org``, ``team:<id>``, ``rep:<id>``) or the user's own;
    a scope the user may not see is a 404, like a record they may not see."""
    text = request.GET.get("scope", "")
    if not text:
        return selectors.home_scope(request.user)
    kind, _sep, ident = text.partition(":")
    try:
        scope = Scope(kind, int(ident or 0))
    except ValueError:
        raise Http404(_("Unknown scope.")) from None
    if kind not in ScopeKind.values or not selectors.may_see(request.user, scope):
        raise Http404(_("Unknown scope."))
    return scope


def _metric(request) -> metrics.Metric:
    return metrics.BY_CODE.get(request.GET.get("metric", ""), metrics.METRICS[0])


def _chart(cards) -> dict:
    return {
        card.metric.code: {
            "weeks": [week.isoformat() for week, _v in card.points],
            "values": [value for _w, value in card.points],
            "name": str(card.metric.label),
        }
        for card in cards
    }


@login_required
def board(request):
    scope = parse_scope(request)
    policy = OutcomePolicy.current()
    cards = selectors.cards(scope, policy=policy)
    metric = _metric(request)
    week = selectors.latest_week()
    team_rows, rep_rows = selectors.table(request.user, metric.code, week)
    query = request.GET.get("q", "").strip()
    if query:
        team_rows = [(t, r) for t, r in team_rows if query.lower() in t.name.lower()]
        rep_rows = [(u, r) for u, r in rep_rows if query.lower() in u.label.lower()]
    page = Paginator(rep_rows, 25).get_page(request.GET.get("page"))
    page.elided_range = page.paginator.get_elided_page_range(page.number)
    guard = next((c.current for c in cards if c.metric.code == "placeholder_share"), None)
    context = {
        "scope": scope,
        "scope_label": selectors.scope_label(scope),
        "scope_choices": _scope_choices(request.user),
        "policy": policy,
        "cards": cards,
        "chart": _chart(cards),
        "metric": metric,
        "metrics": metrics.METRICS,
        "week": week,
        "team_rows": team_rows,
        "page_obj": page,
        "query": query,
        "placeholder_items": selectors.placeholder_rows(guard),
        "placeholder_reps": selectors.placeholder_reps(
            request.user, guard.week_start if guard else None
        ),
        "can_configure": services.can_configure(request.user),
    }
    return render(request, "outcomes/board.html", context)


def _scope_choices(user) -> list[tuple[str, str]]:
    choices = []
    if user.sees_everything:
        choices.append(("org", str(ScopeKind.ORG.label)))
    for team in selectors.visible_teams(user):
        choices.append((f"team:{team.pk}", "· " * team.depth + team.name))
    choices.append((f"rep:{user.pk}", user.label))
    return choices


@login_required
def board_export(request, fmt: str):
    """The selected metric's weekly values since the trend start for every team and rep
    the user sees (the organisation too for those who see everything)."""
    metric = _metric(request)
    teams = {t.pk: t.name for t in selectors.visible_teams(request.user)}
    reps = {u.pk: u.label for u in selectors.visible_reps(request.user)}
    rows = OutcomeSnapshot.objects.filter(metric=metric.code)
    since = selectors.trend_start()
    if since:
        rows = rows.filter(week_start__gte=since)
    out = []
    for row in rows.order_by("week_start", "scope_kind", "scope_id"):
        if row.scope_kind == ScopeKind.ORG and request.user.sees_everything:
            name = str(ScopeKind.ORG.label)
        elif row.scope_kind == ScopeKind.TEAM and row.scope_id in teams:
            name = teams[row.scope_id]
        elif row.scope_kind == ScopeKind.REP and row.scope_id in reps:
            name = reps[row.scope_id]
        else:
            continue
        out.append(
            {
                "week": row.week_start,
                "metric": str(metric.label),
                "scope": str(ScopeKind(row.scope_kind).label),
                "name": name,
                "value": row.value,
                "numerator": row.numerator,
                "denominator": row.denominator,
            }
        )
    columns = [
        (_("Week starting"), lambda r: r["week"]),
        (_("Metric"), lambda r: r["metric"]),
        (_("Scope"), lambda r: r["scope"]),
        (_("Name"), lambda r: r["name"]),
        (_("Value"), lambda r: r["value"]),
        (_("Numerator"), lambda r: r["numerator"]),
        (_("Denominator"), lambda r: r["denominator"]),
    ]
    back = reverse("outcomes:board") + (f"?{request.GET.urlencode()}" if request.GET else "")
    return queryset_export_or_back(
        request, RowList(out), columns, fmt, f"outcomes-{metric.code}", back
    )


@login_required
@require_http_methods(["GET", "POST"])
def policy(request):
    if not services.can_configure(request.user):
        raise PermissionDenied(_("Only a sales-ops admin or a director changes these settings."))
    current = OutcomePolicy.current()
    form = PolicyForm(request.POST or None, initial=PolicyForm.initial_for(current))
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.policy_save(actor=request.user, **form.service_data())
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(name if name in form.fields else None, error)
            else:
                messages.success(request, _("Outcome settings saved; they apply at once."))
                return redirect("outcomes:policy")
    context = {
        "form": form,
        "fields": [form[name] for name in form.fields],
        "entries": history_entries(current) if current.pk else [],
        "weeks": services.backfill_weeks(current),
        "backfill": selectors.latest_backfill(),
    }
    return render(request, "outcomes/policy.html", context, status=status)


@login_required
@require_POST
def backfill(request):
    try:
        run = services.backfill_start(actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("outcomes:policy")
    tasks.backfill_task(run.pk)
    messages.success(
        request,
        _("The backfill is queued: the weeks since go-live are computed in the background."),
    )
    return redirect("outcomes:policy")


@login_required
def backfill_status(request):
    """The last backfill's progress (polled by Settings · Outcomes while it runs) or result."""
    if not services.can_configure(request.user):
        raise PermissionDenied(_("Only a sales-ops admin or a director changes these settings."))
    run = selectors.latest_backfill()
    response = render(request, "outcomes/_backfill.html", {"backfill": run})
    if request.headers.get("HX-Request") and (run is None or not run.active):
        response["HX-Refresh"] = "true"  # finished: the page shows the result, the button again
    return response

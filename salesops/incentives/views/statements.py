"""Statement pages (SPEC I7, P4): my statement, a rep's, one line's "why", and the list of
statements for managers and finance (month, search, pagination, export).

Visibility is ``statements``' (through ``permissions``): another rep's statement or line
is a 404. A bad ``month`` is a message naming it and the current month instead.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from salesops.core.exports import ExportTooLarge, export_response
from salesops.core.pagination import TwoStepPaginator

from .. import permissions, rep_statements, statements


def _month(request):
    try:
        return statements.parse_month(request.GET.get("month"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.message_dict.get("month", exc.messages)))
        return statements.parse_month(None)


def chart_data(rep_id: int, month) -> dict:
    rows = statements.history(rep_id, month)
    return {
        "months": [row["month"] for row in rows],
        "payable": [str(row["payable"]) for row in rows],
        "label": _("Payable"),
    }


def _page_number(request) -> int:
    value = request.GET.get("page", "1")
    return int(value) if value.isdigit() and len(value) < 7 else 1


def _statement_page(request, rep_id: int, month, *, own: bool):
    found = statements.statement_for(
        request.user, rep_id, month, page=_page_number(request), kind=request.GET.get("kind", "")
    )
    context = {
        "statement": found,
        "own": own,
        "month": found.key,
        "months": statements.month_choices(rep_id, found.month),
        "chart": chart_data(rep_id, found.month),
        "can_list": request.user.is_manager_role or request.user.sees_everything,
    }
    return render(request, "incentives/statements/statement.html", context)


@login_required
@require_GET
def my_statement(request):
    if not permissions.has_statement(request.user) and request.user.sees_everything:
        # finance, directors, admins are not paid by the plans: their page is the list
        return redirect("incentives:statements")
    if not request.GET.get("month"):
        month = statements.latest_month(request.user.pk)
    else:
        month = _month(request)
    return _statement_page(request, request.user.pk, month, own=True)


@login_required
@require_GET
def statement(request, rep_id: int, month: str):
    try:
        parsed = statements.parse_month(month)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.message_dict.get("month", exc.messages)))
        parsed = statements.parse_month(None)
    if rep_id == request.user.pk:
        return redirect(
            reverse("incentives:my_statement") + f"?month={statements.month_key(parsed)}"
        )
    return _statement_page(request, rep_id, parsed, own=False)


@login_required
@require_GET
def line(request, pk: int):
    found = statements.line_detail(request.user, pk)
    item = found.item
    own = item.line.rep_id == request.user.pk
    key = statements.month_key(item.line.period)
    back = (
        reverse("incentives:my_statement") + f"?month={key}"
        if own
        else reverse("incentives:statement", args=[item.line.rep_id, key])
    )
    context = {"detail": found, "item": item, "line": item.line, "back": back}
    return render(request, "incentives/statements/line.html", context)


EXPORT_COLUMNS = (
    (gettext_lazy("Rep"), "rep"),
    (gettext_lazy("Username"), "username"),
    (gettext_lazy("Team"), "team"),
    (gettext_lazy("Payable"), "payable"),
    (gettext_lazy("Pending"), "pending"),
    (gettext_lazy("Forfeited"), "forfeited"),
    (gettext_lazy("Lines"), "lines"),
)
EMPTY = {"payable": statements.ZERO, "pending": statements.ZERO, "forfeited": statements.ZERO}


@login_required
@require_GET
def statement_list(request):
    # A rep has one statement, their own; anyone else without the list gets a 404 below.
    if permissions.has_statement(request.user) and not request.user.is_manager_role:
        return redirect("incentives:my_statement")
    month = _month(request)
    query = request.GET.get("q", "").strip()[:100]
    reps = rep_statements.statements_list(request.user, month, query)
    if request.GET.get("format"):
        return _export(request, reps, month)
    paginator = TwoStepPaginator(reps, settings.SALESOPS["PAGE_SIZE"])
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    sums = rep_statements.rep_totals(month, [u.pk for u in page.object_list])
    rows = [{"rep": u, **{**EMPTY, "lines": 0, **sums.get(u.pk, {})}} for u in page.object_list]
    context = {
        "page_obj": page,
        "rows": rows,
        "query": query,
        "month": statements.month_key(month),
        "months": statements.month_choices(request.user.pk, month),
    }
    return render(request, "incentives/statements/list.html", context)


def _export(request, reps, month):
    sums = rep_statements.rep_totals(month, reps.values_list("pk", flat=True))

    def total(key):
        return lambda u: sums.get(u.pk, {}).get(key, 0 if key == "lines" else statements.ZERO)

    getters = {
        "rep": lambda u: u.label,
        "username": "username",
        "team": lambda u: u.team.name if u.team_id else "",
        "payable": total("payable"),
        "pending": total("pending"),
        "forfeited": total("forfeited"),
        "lines": total("lines"),
    }
    columns = [(str(header), getters[key]) for header, key in EXPORT_COLUMNS]
    stem = f"statements-{statements.month_key(month)}"
    try:
        return export_response(reps, columns, request.GET.get("format", "xlsx"), stem)
    except ExportTooLarge as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(reverse("incentives:statements") + f"?month={statements.month_key(month)}")


urlpatterns = [
    path("statement/", my_statement, name="my_statement"),
    path("statements/", statement_list, name="statements"),
    path("statements/<int:rep_id>/<str:month>/", statement, name="statement"),
    path("lines/<int:pk>/", line, name="line"),
]

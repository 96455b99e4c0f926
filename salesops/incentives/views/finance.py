"""Finance pages (SPEC I7): the payout months, one month (approve and lock it, export it
for payroll) and the adjustment form. Approving and adjusting are finance's; the months
and the export are also open to directors and admins (``periods.can_read``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesops.core import clock

from .. import adjustments, ledger, payroll, periods, permissions, statements
from ..forms_statements import AdjustmentForm


def _month_or_404(month: str):
    try:
        return statements.parse_month(month)
    except ValidationError:
        raise Http404(_("Not found, or you do not have access to it.")) from None


def _reader(user) -> None:
    if not periods.can_read(user):
        raise Http404(_("Not found, or you do not have access to it."))


@login_required
@require_GET
def period_list(request):
    _reader(request.user)
    rows = periods.months(request.user)
    return render(
        request,
        "incentives/finance/periods.html",
        {"rows": rows, "can_approve": permissions.is_finance(request.user)},
    )


@login_required
@require_GET
def period_detail(request, month: str):
    _reader(request.user)
    return _period_page(request, _month_or_404(month))


def _period_page(request, parsed, *, status: int = 200):
    row = periods.month_row(request.user, parsed)
    summary, problem = None, None
    try:
        summary = payroll.summary(parsed)
    except payroll.TotalsMismatch as exc:
        problem = " ".join(exc.message_dict["month"])
    context = {
        "row": row,
        "summary": summary,
        "problem": problem,
        "can_approve": permissions.is_finance(request.user) and not row.locked,
        "is_finance": permissions.is_finance(request.user),
        "next_open": statements.month_key(ledger.open_month(clock.today())),
    }
    return render(request, "incentives/finance/period.html", context, status=status)


@login_required
@require_POST
def period_approve(request, month: str):
    parsed = _month_or_404(month)
    back = reverse("incentives:period", args=[statements.month_key(parsed)])
    if not permissions.is_finance(request.user):
        raise PermissionDenied(_("Only finance can approve, lock and export payout months."))
    try:
        periods.approve(parsed, by=request.user)
    except periods.PeriodLocked as exc:
        # A state conflict: the page again, saying when and by whom, with a 409.
        messages.error(request, " ".join(exc.message_dict["month"]))
        return _period_page(request, parsed, status=409)
    messages.success(
        request,
        _("%(month)s is approved and locked. New lines now go to the next open month.")
        % {"month": statements.month_key(parsed)},
    )
    return redirect(back)


@login_required
@require_GET
def period_export(request, month: str):
    _reader(request.user)
    parsed = _month_or_404(month)
    fmt = request.GET.get("format", "xlsx")
    if fmt not in payroll.FORMATS:
        raise Http404(_("Unknown export format “%(fmt)s”.") % {"fmt": fmt[:10]})
    try:
        return payroll.response(request.user, parsed, fmt)
    except payroll.TotalsMismatch as exc:
        messages.error(request, " ".join(exc.message_dict["month"]))
        return render(
            request,
            "incentives/finance/export_refused.html",
            {"month": statements.month_key(parsed), "problem": " ".join(exc.message_dict["month"])},
            status=409,
        )


@login_required
@require_http_methods(["GET", "POST"])
def adjustment_new(request):
    if not permissions.is_finance(request.user):
        raise Http404(_("Not found, or you do not have access to it."))
    initial = {}
    for name in ("rep_id", "source_line_id"):
        value = request.GET.get(name, "")
        if value.isdigit() and len(value) < 18:
            initial[name] = int(value)
    form = AdjustmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            line = adjustments.create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("Adjustment written to %(month)s (line %(n)s).")
                % {"month": statements.month_key(line.period), "n": line.pk},
            )
            return redirect("incentives:line", pk=line.pk)
    context = {"form": form, "month": statements.month_key(ledger.open_month(clock.today()))}
    status = 422 if request.method == "POST" and form.errors else 200
    return render(request, "incentives/finance/adjustment.html", context, status=status)


urlpatterns = [
    path("periods/", period_list, name="periods"),
    path("periods/<str:month>/", period_detail, name="period"),
    path("periods/<str:month>/approve/", period_approve, name="period_approve"),
    path("periods/<str:month>/export/", period_export, name="period_export"),
    path("adjustments/new/", adjustment_new, name="adjustment_new"),
]

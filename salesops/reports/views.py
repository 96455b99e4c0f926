"""Pages that read across apps: the dashboard, Account 360 and LTV by rep.

Thin views: each calls one selector of the read model (visibility applied there) and
renders. An account the user may not see is a 404, as on the customers' own pages.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_POST

from salesops.core.exports import RowList, back_to, queryset_export_or_back
from salesops.customers import selectors as customer_selectors
from salesops.leads import selectors as lead_selectors
from salesops.leads import services as lead_services
from salesops.org import selectors as org_selectors

from . import account360, ltv, selectors
from .home import home_page


@login_required
@require_GET
def home(request):
    """The user's home page for their role (issue 13 item 1)."""
    template, context = home_page(request.user, request.GET)
    return render(request, template, context)


@login_required
@require_GET
def dashboard(request):
    """The figures and charts the home page showed before the role pages."""
    return render(request, "reports/home.html", selectors.dashboard(user=request.user))


def _board_url(request) -> str:
    params = {k: request.POST[k] for k in ("show", "page") if request.POST.get(k)}
    url = reverse("home")
    return f"{url}?{urlencode(params)}" if params else url


@login_required
@require_POST
def team_reassign(request, pk):
    """The team board's reassign action: hand a lead to a rep (or back to the pool),
    within the rep's daily cap unless "over the cap" is ticked with a reason (L5)."""
    if not lead_services.can_reassign(request.user):
        raise PermissionDenied(_("Only managers can reassign leads."))
    lead = lead_selectors.visible_leads(request.user).filter(pk=pk).first()
    if lead is None:
        raise Http404(_("No such record, or you may not open it."))
    owner_id = (request.POST.get("owner") or "").strip()
    owner = None
    if owner_id:
        owner = (
            org_selectors.visible_users(request.user).filter(pk=owner_id).first()
            if owner_id.isdigit()
            else None
        )
        if owner is None:
            messages.error(request, _("New owner: choose an active user in your team."))
            return redirect(_board_url(request))
    try:
        lead_services.lead_reassign(
            actor=request.user,
            lead=lead,
            owner=owner,
            reason=request.POST.get("reason", ""),
            override_cap=request.POST.get("override_cap") == "on",
        )
    except ValidationError as exc:
        labels = {"owner": _("New owner"), "reason": _("Reason")}
        for field, errors in exc.message_dict.items():
            for error in errors:
                messages.error(
                    request,
                    _("%(field)s: %(error)s") % {"field": labels.get(field, field), "error": error},
                )
    else:
        if owner is None:
            messages.success(request, _("%(lead)s is back in the pool.") % {"lead": lead})
        else:
            messages.success(
                request,
                _("%(lead)s reassigned to %(rep)s.") % {"lead": lead, "rep": owner.label},
            )
    return redirect(_board_url(request))


@login_required
@require_GET
def account_360(request, pk):
    """Everything about one account on one page (stacked cards on a phone)."""
    try:
        data = account360.account_360(user=request.user, pk=pk)
    except ObjectDoesNotExist:
        raise Http404(_("No such record, or you may not open it.")) from None
    context = {
        "account": data.account,
        "tab": "360",
        "data": data,
        "can_edit": customer_selectors.account_editable(user=request.user, account=data.account),
        "nps_chart": {
            "months": [row["month"].strftime("%Y-%m") for row in data.nps_trend],
            "nps": [row["nps"] for row in data.nps_trend],
            "average": [float(row["average"]) for row in data.nps_trend],
            "count": [row["count"] for row in data.nps_trend],
        },
    }
    return render(request, "reports/account_360.html", context)


@login_required
@require_GET
def rep_ltv(request):
    """Total and average lifetime value of each rep's accounts (those the user sees)."""
    return render(request, "reports/rep_ltv.html", {"rows": ltv.rep_ltv(user=request.user)})


REP_LTV_COLUMNS = [
    (_l("Owner"), "owner"),
    (_l("Accounts"), "accounts"),
    (_l("Total LTV"), "total"),
    (_l("Average LTV"), "average"),
]


@login_required
@require_GET
def rep_ltv_export(request, fmt):
    rows = RowList(ltv.rep_ltv(user=request.user))
    columns = [(h, _key(k)) for h, k in REP_LTV_COLUMNS]
    back = back_to(request, "customers:rep_ltv")
    return queryset_export_or_back(request, rows, columns, fmt, "ltv-by-rep", back)


def _key(name: str):
    return lambda row: row[name]

"""Pages that read across apps: the dashboard, Account 360 and LTV by rep.

Thin views: each calls one selector of the read model (visibility applied there) and
renders. An account the user may not see is a 404, as on the customers' own pages.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from salesops.customers import selectors as customer_selectors

from . import account360, ltv, selectors


@login_required
def home(request):
    return render(request, "reports/home.html", selectors.dashboard(user=request.user))


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

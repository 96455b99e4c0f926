"""Growth account pages (K7): my account (balance, ledger, claim and redeem forms, my
claims), the approvals queue of the deciders and the team's points leaderboard."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import permissions, points
from ..forms_growth import ClaimForm, DecisionForm, RedeemForm


def _page(request, items, name="page"):
    paginator = Paginator(items, settings.SALESOPS["PAGE_SIZE"])
    page = paginator.get_page(request.GET.get(name))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return page


def _require_account(user):
    if not permissions.has_kpi(user) or user.is_read_only_role:
        raise PermissionDenied(_("You have no growth account."))


def _mine(request, claim_form=None, redeem_form=None, status=200):
    user = request.user
    query = request.GET.get("q", "").strip()[:100]
    entries = points.ledger(user)
    if query:
        entries = entries.filter(note__icontains=query) | points.ledger(user).filter(
            kind__icontains=query
        )
    context = {
        "balance": points.balance(user),
        "page_obj": _page(request, entries),
        "claims": points.my_claims(user)[:50],
        "claim_form": claim_form or ClaimForm(),
        "redeem_form": redeem_form or RedeemForm(),
        "query": query,
        "can_decide": points.decidable_claims(user).exists(),
    }
    return render(request, "kpi/points/mine.html", context, status=status)


@login_required
@require_GET
def mine(request):
    _require_account(request.user)
    return _mine(request)


def _attach(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
@require_POST
def claim(request):
    _require_account(request.user)
    form = ClaimForm(request.POST)
    if form.is_valid():
        try:
            points.claim_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _attach(form, exc)
        else:
            messages.success(request, _("Claim sent for approval."))
            return redirect("kpi:points_mine")
    return _mine(request, claim_form=form, status=422)


@login_required
@require_POST
def redeem(request):
    _require_account(request.user)
    form = RedeemForm(request.POST)
    if form.is_valid():
        try:
            points.redeem_request(by=request.user, reward_code=form.cleaned_data["reward"])
        except ValidationError as exc:
            _attach(form, exc)
        else:
            messages.success(request, _("Redemption sent for approval."))
            return redirect("kpi:points_mine")
    return _mine(request, redeem_form=form, status=422)


@login_required
@require_GET
def approvals(request):
    if not permissions.is_reviewer(request.user):
        raise PermissionDenied(_("Only managers, sales-ops admins and directors decide claims."))
    query = request.GET.get("q", "").strip()[:100]
    claims = points.decidable_claims(request.user).order_by("created_at", "pk")
    if query:
        claims = claims.filter(description__icontains=query) | points.decidable_claims(
            request.user
        ).filter(user__display_name__icontains=query)
    page = _page(request, claims)
    rows = [{"claim": c, "balance": points.balance(c.user)} for c in page.object_list]
    return render(
        request, "kpi/points/approvals.html", {"page_obj": page, "rows": rows, "query": query}
    )


@login_required
@require_POST
def decide(request, pk: int):
    claim_ = get_object_or_404(points.decidable_claims(request.user), pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect("kpi:points_approvals")
    try:
        points.claim_decide(
            by=request.user,
            claim=claim_,
            approve=form.cleaned_data["approve"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, f"{claim_.user.label}: {text}")
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("kpi:points_approvals")


@login_required
@require_GET
def leaderboard(request):
    if not permissions.has_kpi(request.user):
        raise PermissionDenied(_("You have no access to KPI pages."))
    query = request.GET.get("q", "").strip()[:100]
    page = _page(request, points.leaderboard(request.user, query))
    return render(request, "kpi/points/leaderboard.html", {"page_obj": page, "query": query})


urlpatterns = [
    path("points/", mine, name="points_mine"),
    path("points/claim/", claim, name="points_claim"),
    path("points/redeem/", redeem, name="points_redeem"),
    path("points/approvals/", approvals, name="points_approvals"),
    path("points/approvals/<int:pk>/", decide, name="points_decide"),
    path("points/leaderboard/", leaderboard, name="points_leaderboard"),
]

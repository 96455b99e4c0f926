"""Routing rule administration: list, create/edit/delete, and the "test a rule" page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesops.core import entities
from salesops.core.forms import attach_service_errors
from salesops.core.pagination import TwoStepPaginator
from salesops.org import selectors as org_selectors

from .. import caps, services, shadowing
from ..forms import (
    RoutingRuleForm,
    RoutingTestForm,
)
from ..models import (
    RoutingMember,
    RoutingRule,
)
from .common import (
    _is_partial,
    _require_configure,
)


# --- routing rules --------------------------------------------------------------------------
def _routing_list_context(request) -> dict:
    rules = list(
        RoutingRule.objects.select_related("team")
        .prefetch_related("members__user")
        .order_by("priority", "id")
    )
    warnings = shadowing.all_warnings(rules)
    for rule in rules:
        rule.warnings = warnings.get(rule.pk, [])
    context = {"rules": rules, "test_form": RoutingTestForm(), "result": None}
    context.update(_caps_context(request))
    return context


# --- daily caps per rep ---------------------------------------------------------------------
def _caps_context(request) -> dict:
    """The caps table: a page of the reps the viewer may see, searchable by name."""
    q = request.GET.get("q", "").strip()
    paginator = TwoStepPaginator(caps.cap_users(request.user, q), settings.SALESOPS["PAGE_SIZE"])
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return {
        "cap_rows": caps.cap_rows(page.object_list),
        "page_obj": page,
        "cap_q": q,
        "default_cap": caps.org_default_cap(),
        "cap_max": caps.MAX_CAP,
    }


@login_required
@require_GET
def routing_caps(request):
    """The caps table on its own: for managers (their team's reps), who do not see the
    routing rules; admins and directors find it on the routing page too."""
    if not caps.can_see_caps(request.user):
        _require_configure(request.user)
    return render(request, "leads/routing_caps.html", _caps_context(request))


@login_required
@require_POST
def routing_cap_set(request, pk):
    """Change one rep's cap from the table (blank: the organisation's default)."""
    if not caps.can_see_caps(request.user):
        _require_configure(request.user)
    user = get_object_or_404(caps.cap_users(request.user), pk=pk)
    try:
        caps.rep_cap_set(actor=request.user, user=user, cap=request.POST.get("daily_lead_cap"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if user.daily_lead_cap is None:
            text = _("%(user)s now has the organisation's default cap (%(cap)d leads a day).")
            cap = caps.org_default_cap()
        else:
            text = _("%(user)s's daily lead cap is now %(cap)d.")
            cap = user.daily_lead_cap
        messages.success(request, text % {"user": user.label, "cap": cap})
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("leads:routing_caps")


@login_required
@require_GET
def routing_list(request):
    _require_configure(request.user)
    return render(request, "leads/routing_list.html", _routing_list_context(request))


@login_required
@require_http_methods(["GET", "POST"])
def routing_test(request):
    _require_configure(request.user)
    data = request.POST if request.method == "POST" else request.GET
    form = RoutingTestForm(data)
    result = None
    if form.is_valid():
        try:
            decision, snapshot, sample = services.routing_test(form.sample())
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            result = {
                "decision": decision,
                "rule": decision.rule,
                "candidates": [snapshot.names.get(u, str(u)) for u in decision.candidates],
                "sample": sample,
            }
    context = {"test_form": form, "result": result, "tested": True}
    if _is_partial(request):
        return render(request, "leads/_routing_test_result.html", context)
    full = _routing_list_context(request)
    full.update(context)
    return render(request, "leads/routing_list.html", full)


def _posted_members(request) -> list[dict]:
    users = request.POST.getlist("member_user")
    weights = request.POST.getlist("member_weight")
    members = []
    for i, user_id in enumerate(users):
        if not str(user_id).strip():
            continue
        weight = weights[i] if i < len(weights) and str(weights[i]).strip() else 1
        members.append({"user_id": user_id, "weight": weight})
    return members


def _member_rows(rule: RoutingRule | None, posted: list[dict] | None) -> list[dict]:
    if posted is not None:
        rows = [{"user_id": str(m["user_id"]), "weight": m["weight"]} for m in posted]
    elif rule is not None and rule.pk:
        rows = [
            {"user_id": str(m.user_id), "weight": m.weight}
            for m in RoutingMember.objects.filter(rule=rule)
        ]
    else:
        rows = []
    return rows + [{"user_id": "", "weight": 1} for _i in range(max(2, 4 - len(rows)))]


def _rule_form_page(request, rule: RoutingRule | None):
    _require_configure(request.user)
    initial = {"priority": services.next_priority()} if rule is None else None
    form = RoutingRuleForm(request.POST or None, instance=rule, initial=initial)
    posted = _posted_members(request) if request.method == "POST" else None
    members_error = []
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            with transaction.atomic():
                earlier = form.begin(request.user)
                if earlier:
                    return redirect("leads:routing_list")
                if rule is None:
                    saved = services.routing_rule_create(actor=request.user, members=posted, **data)
                    message = _("Routing rule “%(name)s” created.")
                else:
                    saved = services.routing_rule_update(
                        actor=request.user, rule=rule, members=posted, **data
                    )
                    message = _("Routing rule “%(name)s” saved.")
                form.finish(saved)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {}
            members_error = errors.pop("members", [])
            if errors or not hasattr(exc, "error_dict"):
                attach_service_errors(form, ValidationError(errors) if errors else exc)
        else:
            messages.success(request, message % {"name": saved})
            # Saved, but say so when it can never get a lead: not a silent save.
            for warning in services.routing_rule_warnings(saved):
                messages.warning(request, warning)
            return redirect("leads:routing_list")
    context = {
        "form": form,
        "rule": rule,
        "members": _member_rows(rule, posted),
        "members_error": members_error,
        "users": [
            (str(u.pk), u.label)
            for u in org_selectors.sales_users().order_by("display_name", "username")
        ],
        "variables": sorted(entities.get("lead").variable_names()),
    }
    return render(request, "leads/routing_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def routing_create(request):
    return _rule_form_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def routing_edit(request, pk):
    _require_configure(request.user)
    rule = get_object_or_404(RoutingRule, pk=pk)
    return _rule_form_page(request, rule)


@login_required
@require_POST
def routing_delete(request, pk):
    _require_configure(request.user)
    rule = get_object_or_404(RoutingRule, pk=pk)
    name = str(rule)
    try:
        services.routing_rule_delete(actor=request.user, rule=rule)
    except ProtectedError:
        messages.error(
            request, _("“%(name)s” is still in use and cannot be deleted.") % {"name": name}
        )
    else:
        messages.success(request, _("Routing rule “%(name)s” deleted.") % {"name": name})
    return redirect("leads:routing_list")

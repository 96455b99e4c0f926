"""Routing rule administration: list, create/edit/delete, and the "test a rule" page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesops.core import entities, orgsettings
from salesops.core.forms import attach_service_errors
from salesops.org import selectors as org_selectors

from .. import services
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
    return {
        "rules": rules,
        "test_form": RoutingTestForm(),
        "result": None,
        "default_cap": orgsettings.current().default_daily_lead_cap,
    }


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
    form = RoutingRuleForm(request.POST or None, instance=rule)
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

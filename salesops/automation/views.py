"""Automation pages for sales-ops admins: the rules list, the rule builder (create, and
edit = a new version), a rule's page with its versions and firings, "try it on record #N",
the firings page (the old webhook deliveries address redirects to the one deliveries page).

Thin views: reads go through ``selectors``, writes and the preview through ``services``;
``forms`` turns the builder's fields into the services' arguments and their error keys back
into fields; ``presenters`` words definitions and firings for people. Whoever may not
manage rules gets a 403 on every page, as from the API.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesops.core import clock
from salesops.core.expressions import ExpressionError, compile_expression
from salesops.core.pagination import TwoStepPaginator

from . import conditions, fields, forms, presenters, selectors, services, triggers
from .models import FiringStatus, Rule, TriggerType

RECENT_FIRINGS = 10
# Builder fields by name, for messages that are not shown under their field (preview).
FIELD_LABELS = {
    "name": gettext_lazy("Rule name"),
    "description": gettext_lazy("Description"),
    "trigger_type": gettext_lazy("Trigger"),
    "entity": gettext_lazy("Entity"),
    "event": gettext_lazy("Event"),
    "field": gettext_lazy("Starts from"),
    "minutes": gettext_lazy("Duration"),
    "unit": gettext_lazy("Counted in"),
    "unless": gettext_lazy("Unless"),
    "repeat_every": gettext_lazy("Repeat every"),
    "max_level": gettext_lazy("Up to level"),
    "cron": gettext_lazy("Cron expression"),
    "every": gettext_lazy("Repeats"),
    "at": gettext_lazy("At (HH:MM)"),
    "weekdays": gettext_lazy("On these days"),
    "workday": gettext_lazy("On working day number"),
    "condition": gettext_lazy("Condition"),
    "actions": gettext_lazy("Actions"),
    "object_id": gettext_lazy("Record"),
}


def _require(user) -> None:
    if not services.can_manage_rules(user):
        raise PermissionDenied(
            _("Only sales-ops admins and directors can manage automation rules.")
        )


def _rule_or_404(user, pk: int) -> Rule:
    try:
        return selectors.rule_get(user=user, pk=pk)
    except Rule.DoesNotExist:
        raise Http404(_("No such rule.")) from None


def _is_partial(request) -> bool:
    """An htmx request that wants a fragment; a boosted link wants the whole page."""
    return bool(request.htmx) and not request.htmx.boosted


def _page(request, queryset):
    paginator = TwoStepPaginator(queryset, settings.SALESOPS["PAGE_SIZE"])
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return page


def _int_param(request, name: str, errors: dict) -> int | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        errors[name] = _("Enter a whole number.")
        return None
    return int(raw)


def _rule_choices(user) -> list[tuple[int, str]]:
    return list(selectors.rule_list(user=user).select_related(None).values_list("pk", "name"))


def _next_url(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return fallback


# --- rules list ---------------------------------------------------------------------------
@login_required
@require_GET
def rule_list(request):
    _require(request.user)
    current = {name: request.GET.get(name, "").strip() for name in ("q", "trigger_type", "active")}
    trigger_type = current["trigger_type"] if current["trigger_type"] in TriggerType.values else ""
    active = {"1": True, "0": False}.get(current["active"])
    qs = selectors.rule_list(
        user=request.user, q=current["q"], trigger_type=trigger_type, active=active
    )
    page = _page(request, qs)
    rows = list(page.object_list)
    stats = presenters.firing_stats([r.pk for r in rows])
    labels = presenters.entity_labels()
    for rule in rows:
        rule.firing_count = stats.get(rule.pk, {}).get("count", 0)
        rule.last_fired_at = stats.get(rule.pk, {}).get("last")
        rule.entity_label = labels.get(rule.entity, rule.entity)
    context = {
        "page_obj": page,
        "rows": rows,
        "current": current,
        "filtered": any(current.values()),
        "trigger_types": TriggerType.choices,
        "active_choices": [("1", _("Active")), ("0", _("Switched off"))],
        "tab": "rules",
    }
    return render(request, "automation/rule_list.html", context)


@login_required
@require_POST
def rule_toggle(request, pk):
    """Switch a rule on or off. From the htmx switch the answer is the switch itself."""
    _require(request.user)
    rule = _rule_or_404(request.user, pk)
    active = request.POST.get("active") == "1"
    services.rule_set_active(actor=request.user, rule=rule, active=active)
    rule = _rule_or_404(request.user, pk)
    if _is_partial(request):
        return render(request, "automation/_rule_switch.html", {"rule": rule})
    if rule.is_active:
        messages.success(request, _("“%(name)s” is on.") % {"name": rule.name})
    else:
        messages.success(request, _("“%(name)s” is off.") % {"name": rule.name})
    return redirect(_next_url(request, reverse("automation:rule_detail", args=[rule.pk])))


# --- builder ------------------------------------------------------------------------------
def _builder(request, rule: Rule | None):
    errors: dict = {}
    if request.method == "POST":
        values, errors = forms.values_from_post(request.POST)
        if not errors:
            data = forms.service_data(values)
            try:
                if rule is None:
                    saved = services.rule_create(actor=request.user, **data)
                else:
                    before = rule.current_version_id
                    saved = services.rule_update(actor=request.user, rule=rule, **data)
            except ValidationError as exc:
                errors = exc.message_dict
            else:
                number = saved.current_version.number
                if rule is None:
                    message = _("Rule “%(name)s” created (version %(n)d).")
                elif saved.current_version_id != before:
                    message = _("Rule “%(name)s” saved as version %(n)d.")
                else:
                    message = _("Rule “%(name)s” saved; what it does is unchanged (version %(n)d).")
                messages.success(request, message % {"name": saved.name, "n": number})
                return redirect("automation:rule_detail", pk=saved.pk)
    else:
        values = forms.values_from_rule(rule) if rule is not None else forms.empty_values()
    field_errors, action_errors, other_errors = forms.split_errors(errors)
    names = []
    if "condition" in field_errors or "unless" in field_errors:
        names = sorted(forms.names_for(values)[0])
    context = {
        "condition_names": names,
        "rule": rule,
        "values": values,
        "field_errors": field_errors,
        "other_errors": other_errors,
        "has_errors": bool(errors),
        "builder_state": {
            "values": values,
            "action_errors": {str(k): v for k, v in action_errors.items()},
            "catalogue": forms.builder_catalogue(),
            "labels": {
                "owner": _("The record's owner"),
                "manager": _("Owner's manager, N level(s) up"),
                "role": _("Role:"),
                "checking": _("Checking the condition… try again in a moment."),
                "cannot_parse": _(
                    "This condition cannot be shown as rows; keep editing it as text, or "
                    "empty it to start again with the builder."
                ),
            },
        },
        "entities": services.entity_catalogue(),
        "trigger_types": TriggerType.choices,
        "units": [(u, forms.UNIT_LABELS[u]) for u in triggers.UNITS],
        "schedule_kinds": forms.SCHEDULE_KINDS,
        "weekdays": forms.WEEKDAYS,
        "next_version": (rule.current_version.number + 1) if rule is not None else 1,
        "tab": "rules",
    }
    return render(request, "automation/rule_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def rule_create(request):
    _require(request.user)
    return _builder(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request, pk):
    _require(request.user)
    return _builder(request, _rule_or_404(request.user, pk))


def _caret(text: str, position: int | None) -> dict | None:
    """The line holding a 1-based character position, and the column to point at."""
    if position is None or not text:
        return None
    before = text[: max(position - 1, 0)]
    line_start = before.rfind("\n") + 1
    line_end = text.find("\n", line_start)
    line = text[line_start : line_end if line_end != -1 else len(text)]
    return {"line": line, "pad": " " * (len(before) - line_start)}


@login_required
@require_POST
def validate(request):
    """Live check of the builder's condition, "unless" or cron (htmx, on typing): OK, or
    the problem with its position, and the variables the expression may read."""
    _require(request.user)
    target = request.GET.get("target", "condition")
    if target not in ("condition", "unless", "cron", "schedule"):
        raise Http404(_("Nothing to check here."))
    values, errors = forms.values_from_post(request.POST)
    text = values.get(target, "")
    context = {"target": target, "text": text}
    if target == "condition" and values["condition_mode"] == "builder":
        # The rows compiled to text: shown, and taken by "switch to text".
        context["compiled"] = text
        context["builder"] = True
        if errors.get("condition"):
            context["error"] = errors["condition"]
            return render(request, "automation/_check.html", context)
    if target in ("cron", "schedule"):
        # The schedule as the service will clean it, and its next 5 instants in the
        # organisation's time zone.
        problems: dict = {}
        _entity, clean = triggers.clean_trigger(
            TriggerType.SCHEDULE,
            "",
            forms.trigger_of({**values, "trigger_type": "schedule"}),
            problems,
        )
        if problems:
            if values["every"] != "cron" or text:
                context["error"] = " ".join(str(m) for m in problems.values())
        else:
            context["ok"] = True
            context["next_runs"] = triggers.next_instants(clean, clock.now(), 5)
            context["time_zone"] = settings.TIME_ZONE
        return render(request, "automation/_check.html", context)
    names, problem = forms.names_for(values, target)
    context["names"] = sorted(names)
    if problem:
        context["problem"] = problem
    elif text:
        try:
            expression = compile_expression(text, names)
        except ExpressionError as exc:
            context["error"] = triggers.expression_error(exc)
            context["caret"] = _caret(text, exc.position)
        else:
            problems = []
            if target == "condition":
                problems = fields.enum_problems(expression.tree, forms.condition_fields_of(values))
            if problems:
                context["error"] = " ".join(problems)
            else:
                context["ok"] = True
                context["reads"] = sorted(expression.names)
                if target == "condition":
                    # "Use the builder" takes these rows when the text is one it writes.
                    parsed = conditions.parse_rows(text, forms.condition_fields_of(values))
                    if parsed is not None:
                        context["rows_json"] = json.dumps({"rows": parsed[0], "join": parsed[1]})
    return render(request, "automation/_check.html", context)


# --- try it on record #N ------------------------------------------------------------------
def _preview_messages(errors: dict) -> list[str]:
    fields, per_action, other = forms.split_errors(errors)
    lines = [f"{FIELD_LABELS.get(k, k)}: {m}" for k, m in fields.items()]
    for index, problems in sorted(per_action.items()):
        for setting, message in problems.items():
            where = _("Action %(n)d") % {"n": index + 1}
            if setting != "__all__":
                where += " · " + forms.setting_label(setting)
            lines.append(f"{where}: {message}")
    return lines + other


def _preview(request, *, rule=None, draft=None):
    raw_id = (request.POST.get("preview_object_id") or "").strip()
    raw_level = (request.POST.get("preview_level") or "0").strip()
    context: dict = {}
    if raw_id and not raw_id.lstrip("#").isdigit():
        context["problems"] = [_("Enter the record's number, e.g. 42.")]
        return render(request, "automation/_preview.html", context)
    object_id = int(raw_id.lstrip("#")) if raw_id else None
    level = int(raw_level) if raw_level.isdigit() else 0
    try:
        answer = services.rule_preview(
            actor=request.user, rule=rule, draft=draft, object_id=object_id, level=level
        )
    except ValidationError as exc:
        errors = exc.message_dict
        lines = [" ".join(errors.pop("object_id"))] if "object_id" in errors else []
        context["problems"] = lines + _preview_messages(errors)
        context["draft_invalid"] = bool(errors)
        return render(request, "automation/_preview.html", context)
    labels = presenters.action_labels()
    people = presenters.people_names([answer.get("actions")], request.user)
    answer["action_rows"] = presenters.result_rows(answer.get("actions"), labels, people)
    answer["entity_label"] = presenters.entity_labels().get(
        answer.get("entity"), answer.get("entity")
    )
    # Instants in the organisation's time zone, as on every rule page.
    answer["value_rows"] = presenters.local_rows(answer.get("condition_values") or {})
    answer["variable_rows"] = sorted(presenters.local_rows(answer.get("variables") or {}))
    if answer.get("due_at"):
        answer["due_at"] = presenters.local_value(answer["due_at"])
    context["answer"] = answer
    return render(request, "automation/_preview.html", context)


@login_required
@require_POST
def preview_draft(request):
    """ "Try it" from the builder: the rule as typed, not saved."""
    _require(request.user)
    values, errors = forms.values_from_post(request.POST)
    if errors:
        return render(request, "automation/_preview.html", {"problems": _preview_messages(errors)})
    return _preview(request, draft=forms.service_data(values))


@login_required
@require_POST
def rule_preview(request, pk):
    _require(request.user)
    return _preview(request, rule=_rule_or_404(request.user, pk))


# --- rule page ----------------------------------------------------------------------------
@login_required
@require_GET
def rule_detail(request, pk):
    _require(request.user)
    rule = _rule_or_404(request.user, pk)
    versions = selectors.rule_versions(user=request.user, rule=rule).select_related("created_by")
    firings = list(selectors.firing_list(user=request.user, rule=rule.pk)[:RECENT_FIRINGS])
    context = {
        "rule": rule,
        "definition": presenters.definition(rule.current_version),
        "versions": versions,
        "firings": presenters.decorate_firings(firings, request.user),
        "firings_url": f"{reverse('automation:firing_list')}?rule={rule.pk}",
        "tab": "rules",
    }
    return render(request, "automation/rule_detail.html", context)


@login_required
@require_GET
def version_detail(request, pk, number):
    _require(request.user)
    rule = _rule_or_404(request.user, pk)
    version = (
        selectors.rule_versions(user=request.user, rule=rule)
        .select_related("created_by")
        .filter(number=number)
        .first()
    )
    if version is None:
        raise Http404(_("This rule has no such version."))
    context = {"rule": rule, "definition": presenters.definition(version), "tab": "rules"}
    if _is_partial(request):
        return render(request, "automation/_definition.html", context)
    return render(request, "automation/version_detail.html", context)


# --- firings and deliveries ---------------------------------------------------------------
@login_required
@require_GET
def firing_list(request):
    _require(request.user)
    errors: dict = {}
    rule_id = _int_param(request, "rule", errors)
    object_id = _int_param(request, "object_id", errors)
    entity = request.GET.get("entity", "").strip()
    status = request.GET.get("status", "").strip()
    if status and status not in FiringStatus.values:
        errors["status"] = _("Unknown status.")
    labels = presenters.entity_labels()
    if entity and entity not in labels:
        errors["entity"] = _("Unknown entity.")
    qs = selectors.firing_list(
        user=request.user, rule=rule_id, entity=entity, object_id=object_id, status=status
    )
    if errors:
        qs = qs.none()
    page = _page(request, qs)
    current = {
        name: request.GET.get(name, "") for name in ("rule", "entity", "status", "object_id")
    }
    context = {
        "page_obj": page,
        "firings": presenters.decorate_firings(list(page.object_list), request.user),
        "current": current,
        "filtered": any(current.values()),
        "filter_errors": errors,
        "rules": _rule_choices(request.user),
        "entity_choices": sorted(labels.items()),
        "statuses": FiringStatus.choices,
        "tab": "firings",
    }
    return render(request, "automation/firing_list.html", context)


@login_required
@require_GET
def delivery_list(request):
    """Webhook deliveries moved to the one page of deliveries (notifications); this old
    address sends there, filtered to webhooks."""
    _require(request.user)
    query = {"channel": "webhook"}
    status = OLD_DELIVERY_STATUSES.get(request.GET.get("status", ""))
    if status:
        query["status"] = status
    return redirect(f"{reverse('notifications:delivery_list')}?{urlencode(query)}")


# The webhook deliveries' own statuses before they joined the one delivery log.
OLD_DELIVERY_STATUSES = {
    "pending": "pending",
    "retrying": "failed",
    "delivered": "sent",
    "failed": "gave_up",
}

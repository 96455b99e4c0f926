"""Settings · Inbox: the sources (WeCom, DingTalk, mailboxes, API) with their callback
URLs and a "Poll now" button, and the scenario keyword rules. Sales-ops admins and
directors only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from salesops.core.forms import attach_service_errors
from salesops.core.history import history_entries
from salesops.leads import configuration as lead_configuration

from . import configuration, forms, selectors, tasks
from .models import InboxSource, ScenarioRule, SourceKind


def _configurer(user) -> None:
    if not lead_configuration.can_configure(user):
        raise PermissionDenied(_("Only sales-ops admins and directors change the inbox settings."))


@login_required
def source_list(request):
    _configurer(request.user)
    rows = [
        (s, request.build_absolute_uri(_hook_url(s)) if _hook_url(s) else "")
        for s in selectors.sources()
    ]
    return render(request, "inbox/source_list.html", {"rows": rows})


def _hook_url(source: InboxSource) -> str:
    if source.kind == SourceKind.WECOM:
        return reverse("inbox:hook_wecom", args=[source.pk])
    if source.kind == SourceKind.DINGTALK:
        return reverse("inbox:hook_dingtalk", args=[source.pk])
    return ""


@login_required
@require_http_methods(["GET", "POST"])
def source_edit(request, pk: int | None = None):
    _configurer(request.user)
    source = get_object_or_404(InboxSource, pk=pk) if pk else None
    form = forms.SourceForm(request.POST or None, instance=source or InboxSource())
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                saved = configuration.source_save(
                    actor=request.user, source=source, **form.service_data()
                )
            except ValidationError as exc:
                attach_service_errors(form, exc)
            else:
                messages.success(request, _("Inbox source “%(name)s” saved.") % {"name": saved})
                return redirect("inbox:source_list")
    context = {
        "form": form,
        "source": source,
        "hook_url": request.build_absolute_uri(_hook_url(source))
        if source and _hook_url(source)
        else "",
        "entries": history_entries(source) if source else [],
    }
    return render(request, "inbox/source_form.html", context, status=status)


@login_required
@require_POST
def source_poll(request, pk: int):
    _configurer(request.user)
    source = get_object_or_404(InboxSource, pk=pk, kind=SourceKind.EMAIL)
    tasks.poll_source(source.pk)
    messages.success(
        request, _("Reading “%(name)s” now; new mail appears in the inbox.") % {"name": source}
    )
    return redirect("inbox:source_list")


@login_required
def rule_list(request):
    _configurer(request.user)
    return render(request, "inbox/rule_list.html", {"rows": selectors.rules()})


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request, pk: int | None = None):
    _configurer(request.user)
    rule = get_object_or_404(ScenarioRule, pk=pk) if pk else None
    form = forms.RuleForm(request.POST or None, instance=rule or ScenarioRule())
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                configuration.rule_save(actor=request.user, rule=rule, **form.service_data())
            except ValidationError as exc:
                attach_service_errors(form, exc)
            else:
                messages.success(request, _("Scenario rule saved; it applies to the next message."))
                return redirect("inbox:rule_list")
    context = {"form": form, "rule": rule, "entries": history_entries(rule) if rule else []}
    return render(request, "inbox/rule_form.html", context, status=status)


@login_required
@require_POST
def rule_delete(request, pk: int):
    _configurer(request.user)
    rule = get_object_or_404(ScenarioRule, pk=pk)
    configuration.rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("Scenario rule deleted."))
    return redirect("inbox:rule_list")

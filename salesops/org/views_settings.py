"""Settings · Organisation (SPEC P2): the business policy a sales-ops admin edits — lead
cap, working time and holidays, de-duplication, check-ins, reports — and the editable
lists (industry, company size, …). Everything is data in core; a save is effective at
once in every process and audited."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from salesops.core import choices, clock, orgsettings
from salesops.core.calendar import years_without_data
from salesops.core.forms import attach_service_errors
from salesops.core.history import history_entries
from salesops.core.models import CalendarDay, ChoiceList

from .forms import ChoiceRowFormSet, OrgSettingsForm


def _require_admin(request) -> None:
    if not request.user.is_admin_role:
        raise PermissionDenied(_("Only a sales-ops admin changes the organisation settings."))


def _days_initial() -> dict:
    days = {CalendarDay.Kind.HOLIDAY: {}, CalendarDay.Kind.WORKDAY: {}}
    for row in CalendarDay.objects.order_by("day"):
        days[row.kind][row.day] = row.note
    return {
        "extra_holidays": orgsettings.days_text(
            set(days[CalendarDay.Kind.HOLIDAY]), days[CalendarDay.Kind.HOLIDAY]
        ),
        "extra_workdays": orgsettings.days_text(
            set(days[CalendarDay.Kind.WORKDAY]), days[CalendarDay.Kind.WORKDAY]
        ),
    }


def _calendar_entries(limit: int = 20) -> list:
    """The latest changes to the holidays and make-up workdays (who, when, which day)."""
    rows = CalendarDay.history.select_related("history_user").order_by("-history_date")[:limit]
    return list(rows)


@login_required
@require_http_methods(["GET", "POST"])
def org_settings(request):
    _require_admin(request)
    stored = orgsettings.row()
    form = OrgSettingsForm(request.POST or None, stored=stored, days_initial=_days_initial())
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                form.begin(request.user)
                orgsettings.org_settings_update(actor=request.user, **form.policy_data())
                orgsettings.calendar_days_update(
                    actor=request.user,
                    holidays=form.cleaned_data["extra_holidays_days"],
                    workdays=form.cleaned_data["extra_workdays_days"],
                )
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("Organisation settings saved."))
            return redirect("org:settings")
    context = {
        "form": form,
        "missing_years": years_without_data(clock.today()),
        "lists": [
            (choice_list, choices.options(choice_list.key)) for choice_list in choices.lists()
        ],
        "entries": history_entries(stored) if stored.pk else [],
        "calendar_changes": _calendar_entries(),
    }
    return render(request, "org/org_settings.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def choice_list_edit(request, key):
    """One list's options: rename labels, reorder, deactivate, add."""
    _require_admin(request)
    choice_list = get_object_or_404(ChoiceList, key=key)
    stored = list(choice_list.choices.order_by("order", "id"))
    initial = [
        {
            "code": c.code,
            "label_en": c.label_en,
            "label_zh": c.label_zh,
            "order": c.order,
            "is_active": c.is_active,
        }
        for c in stored
    ]
    formset = ChoiceRowFormSet(
        request.POST or None,
        initial=initial,
        prefix="rows",
    )
    for i, row_form in enumerate(formset.forms):
        if i < len(stored):
            row_form.existing = True
            row_form.fields["code"].widget.attrs["readonly"] = True
    if request.method == "POST" and formset.is_valid():
        rows = []
        for i, row_form in enumerate(formset.forms):
            data = row_form.cleaned_data
            if i < len(stored):
                data["code"] = stored[i].code  # a stored code is never renamed
            elif not any(data.get(k) for k in ("code", "label_en", "label_zh")):
                continue  # an empty extra row
            rows.append(data)
        try:
            choices.choice_list_update(actor=request.user, choice_list=choice_list, rows=rows)
        except ValidationError as exc:
            formset._non_form_errors = formset.error_class(exc.messages)
        else:
            messages.success(request, _("List saved."))
            return redirect("org:choice_list", key=key)
    history = [
        entry
        for choice in stored
        for entry in history_entries(choice, limit=10)
        if entry["type"] != "created" or entry["user"] is not None
    ]
    history.sort(key=lambda e: e["date"], reverse=True)
    return render(
        request,
        "org/choice_list_form.html",
        {"choice_list": choice_list, "formset": formset, "entries": history[:50]},
    )

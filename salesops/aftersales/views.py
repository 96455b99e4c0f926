"""After-sales pages: for each kind a list (search, filters, sort, pagination, CSV/Excel
export), a detail page with its History tab, and create / edit forms.

Thin views: reads through ``selectors`` (visibility applied), writes through
``services``. A record the user may not see is a 404, never a 403.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from salesops.core.exports import column_getter, export_or_back
from salesops.core.forms import attach_service_errors
from salesops.core.history import history_entries
from salesops.core.listing import sees_owners
from salesops.core.pagination import TwoStepPaginator
from salesops.customization import selectors as custom_selectors
from salesops.customization.filters import filter_controls
from salesops.org import selectors as org_selectors

from . import forms, selectors, services
from .filters import TICKET_STATES
from .models import (
    Complaint,
    ComplaintStatus,
    NpsCategory,
    NpsResponse,
    Priority,
    Renewal,
    RenewalStatus,
    ServiceTicket,
    Severity,
)


def _label(model, name: str):
    return capfirst(model._meta.get_field(name).verbose_name)


def _columns(model, names) -> list[tuple[Any, str]]:
    return [(_label(model, n), n) for n in names]


@dataclass(frozen=True)
class Kind:
    """What the pages of one after-sales model need."""

    key: str  # URL names: aftersales:<key>_list …
    model: type
    form: type
    create: Any
    update: Any
    instance_arg: str
    icon: str
    title: Any  # plural, for the list
    search_hint: Any
    columns: list  # (label, accessor): the table and the export
    sorts: dict  # accessor → sort key of the filterset
    selects: list  # (filter name, label, choices)
    dates: tuple[str, str]  # the filterset's from / until filters
    export_extra: list = field(default_factory=list)

    @property
    def label(self):
        return capfirst(self.model._meta.verbose_name)

    @property
    def entity(self) -> str:
        """The entity key (custom fields, rules): the same as the URL key."""
        return self.key


COMMON_EXPORT = [
    (gettext_lazy("Account owner"), "account.owner.label"),
    (gettext_lazy("External id"), "external_id"),
    (gettext_lazy("Source"), "source"),
]
KINDS = {
    "complaint": Kind(
        "complaint",
        Complaint,
        forms.ComplaintForm,
        services.complaint_create,
        services.complaint_update,
        "complaint",
        "ti-mood-sad",
        gettext_lazy("Complaints"),
        gettext_lazy("Search summary, details, account, external id"),
        _columns(Complaint, ("summary", "account", "severity", "status", "raised_on"))
        + [
            (_label(Complaint, "resolved_on"), "resolved_on"),
            (_label(Complaint, "owner"), "owner.label"),
        ],
        {"raised_on": "raised", "severity": "severity", "status": "status", "account": "account"},
        [
            ("severity", gettext_lazy("Severity"), Severity.choices),
            ("status", gettext_lazy("Status"), ComplaintStatus.choices),
        ],
        ("raised_after", "raised_before"),
        [(_label(Complaint, "details"), "details"), (_label(Complaint, "contact"), "contact")],
    ),
    "nps": Kind(
        "nps",
        NpsResponse,
        forms.NpsForm,
        services.nps_create,
        services.nps_update,
        "response",
        "ti-mood-smile",
        gettext_lazy("NPS responses"),
        gettext_lazy("Search comment, survey, account, external id"),
        _columns(NpsResponse, ("account", "score", "category", "responded_on", "survey")),
        {"score": "score", "responded_on": "responded", "account": "account"},
        [("category", gettext_lazy("Category"), NpsCategory.choices)],
        ("responded_after", "responded_before"),
        [(_label(NpsResponse, "comment"), "comment"), (_label(NpsResponse, "contact"), "contact")],
    ),
    "ticket": Kind(
        "ticket",
        ServiceTicket,
        forms.TicketForm,
        services.ticket_create,
        services.ticket_update,
        "ticket",
        "ti-lifebuoy",
        gettext_lazy("Service tickets"),
        gettext_lazy("Search subject, details, account, external id"),
        _columns(
            ServiceTicket,
            (
                "subject",
                "account",
                "priority",
                "opened_at",
                "response_working_minutes",
                "response_hours",
                "resolved_at",
            ),
        ),
        {"opened_at": "opened", "priority": "priority", "response_working_minutes": "response"},
        [
            ("priority", gettext_lazy("Priority"), Priority.choices),
            ("state", gettext_lazy("State"), TICKET_STATES),
        ],
        ("opened_after", "opened_before"),
        _columns(
            ServiceTicket,
            ("first_response_at", "resolution_working_minutes", "resolution_hours", "details"),
        ),
    ),
    "renewal": Kind(
        "renewal",
        Renewal,
        forms.RenewalForm,
        services.renewal_create,
        services.renewal_update,
        "renewal",
        "ti-refresh",
        gettext_lazy("Renewals"),
        gettext_lazy("Search contract number, account, reason, external id"),
        _columns(
            Renewal, ("account", "contract_number", "due_on", "status", "amount", "closed_on")
        ),
        {"due_on": "due", "amount": "amount", "status": "status", "account": "account"},
        [("status", gettext_lazy("Status"), RenewalStatus.choices)],
        ("due_after", "due_before"),
        [(_label(Renewal, "lost_reason"), "lost_reason")],
    ),
}


def _kind(key: str) -> Kind:
    return KINDS[key]


def _get_or_404(kind: Kind, user, pk, *, edit=False):
    getter = selectors.record_get_for_edit if edit else selectors.record_get
    try:
        return getter(kind.model, user=user, pk=pk)
    except ObjectDoesNotExist:
        raise Http404(_("No such record, or you may not open it.")) from None


def _filter_names(kind: Kind, fs) -> tuple[str, ...]:
    names = ("q", "owner", "account", *(s[0] for s in kind.selects), *kind.dates)
    return names + fs.custom_filter_names


@login_required
@require_GET
def record_list(request, kind):
    kind = _kind(kind)
    user = request.user
    fs = selectors.filterset(kind.model, user=user, data=request.GET)
    valid = fs.is_valid()
    paginator = TwoStepPaginator(
        fs.qs if valid else fs.queryset.none(), settings.SALESOPS["PAGE_SIZE"]
    )
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    names = _filter_names(kind, fs)
    current = {name: request.GET.get(name, "") for name in names}
    errors = fs.errors if not valid else {}
    context = {
        "kind": kind,
        "page_obj": page,
        "rows": _rows(kind, page.object_list),
        "headers": [(label, kind.sorts.get(accessor)) for label, accessor in kind.columns],
        "filter_errors": errors,
        "filter_messages": [
            (fs.form.fields[name].label, " ".join(e)) for name, e in errors.items()
        ],
        "filtered": any(current.get(n) for n in names),
        "sort": request.GET.get("sort", ""),
        "current": current,
        "selects": [
            {
                "name": n,
                "label": label,
                "choices": choices,
                "value": current.get(n, ""),
                "error": errors.get(n),
            }
            for n, label, choices in kind.selects
        ],
        "dates": [
            {"name": n, "value": current.get(n, ""), "label": label, "error": errors.get(n)}
            for n, label in zip(kind.dates, (_("From"), _("Until")), strict=True)
        ],
        "owners": [
            (u.pk, u.label) for u in org_selectors.visible_users(user).order_by("display_name")
        ]
        if sees_owners(user)
        else [],
        "custom_columns": [d for d in fs.custom_definitions if d.show_in_list],
        "custom_filters": filter_controls(fs, request.GET),
        "can_create": not user.is_read_only_role,
        "sections": [(k.key, k.title, k.icon) for k in KINDS.values()],
    }
    return render(request, "aftersales/record_list.html", context)


def _rows(kind: Kind, records) -> list[dict]:
    getters = [(accessor, column_getter(kind.model, accessor)) for _l, accessor in kind.columns]
    return [
        {"record": r, "cells": [{"accessor": a, "value": get(r)} for a, get in getters]}
        for r in records
    ]


@login_required
@require_GET
def record_export(request, kind, fmt):
    kind = _kind(kind)
    fs = selectors.filterset(kind.model, user=request.user, data=request.GET)
    columns = (
        kind.columns
        + kind.export_extra
        + COMMON_EXPORT
        + custom_selectors.export_columns(kind.entity)
    )
    return export_or_back(request, fs, columns, fmt, f"{kind.key}s", f"aftersales:{kind.key}_list")


@login_required
@require_GET
def record_detail(request, kind, pk):
    kind = _kind(kind)
    record = _get_or_404(kind, request.user, pk)
    context = {
        "kind": kind,
        "record": record,
        "tab": "details",
        "can_edit": selectors.record_editable(user=request.user, record=record),
        "fields": _detail_fields(kind, record),
        "custom_rows": custom_selectors.display_rows(kind.entity, record),
    }
    return render(request, "aftersales/record_detail.html", context)


def _detail_fields(kind: Kind, record) -> list[tuple[Any, Any]]:
    columns = kind.columns + kind.export_extra + COMMON_EXPORT
    return [(label, column_getter(kind.model, a)(record)) for label, a in columns]


@login_required
@require_GET
def record_history(request, kind, pk):
    kind = _kind(kind)
    record = _get_or_404(kind, request.user, pk)
    entries = history_entries(record)
    if request.htmx and not request.htmx.boosted:
        return render(request, "web/_history.html", {"entries": entries})
    context = {
        "kind": kind,
        "record": record,
        "tab": "history",
        "entries": entries,
        "can_edit": selectors.record_editable(user=request.user, record=record),
    }
    return render(request, "aftersales/record_detail.html", context)


def _form_page(request, kind: Kind, record):
    user = request.user
    initial = {}
    if request.GET.get("account", "").isdigit():
        initial["account"] = int(request.GET["account"])
    form = kind.form(
        request.POST or None,
        instance=record,
        initial=initial,
        user=user,
        account_query=request.GET.get("account_q", ""),
    )
    if (
        request.htmx
        and not request.htmx.boosted
        and request.GET.get("part") in ("account", "contact")
    ):
        # The pickers refresh in place: accounts matching the search, the chosen
        # account's contacts.
        return render(request, "aftersales/_options.html", {"field": form[request.GET["part"]]})
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        try:
            with transaction.atomic():
                earlier = form.begin(user)  # version check / one-time token
                if earlier:
                    return redirect(earlier)
                if record is None:
                    saved = kind.create(actor=user, **data)
                else:
                    saved = kind.update(actor=user, **{kind.instance_arg: record}, **data)
                form.finish(saved)
        except ValidationError as exc:
            attach_service_errors(form, exc)
        else:
            messages.success(request, _("“%(name)s” saved.") % {"name": saved})
            return redirect(saved)
    if record is not None:
        cancel = record.get_absolute_url()
    else:
        cancel = reverse(f"aftersales:{kind.key}_list")
    return render(
        request,
        "aftersales/record_form.html",
        {"kind": kind, "form": form, "record": record, "cancel_url": cancel},
    )


@login_required
@require_http_methods(["GET", "POST"])
def record_create(request, kind):
    kind = _kind(kind)
    if request.user.is_read_only_role:
        raise PermissionDenied(_("Your role can read after-sales records but not change them."))
    return _form_page(request, kind, None)


@login_required
@require_http_methods(["GET", "POST"])
def record_edit(request, kind, pk):
    kind = _kind(kind)
    record = _get_or_404(kind, request.user, pk, edit=True)
    return _form_page(request, kind, record)

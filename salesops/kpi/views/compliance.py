"""The compliance review queue (K10): findings of the owners the reviewer sees (a rep:
their own, read-only), filters, search and pagination; confirm or dismiss (a reason to
dismiss); configurers run a scan now."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from salesops.core.visibility import visible_users

from .. import compliance, compliance_text, permissions
from ..forms_review import DecideForm, FindingFilterForm
from ..models import CompliancePolicy, ComplianceScan, FindingState


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def filtered_findings(user, form: FindingFilterForm):
    rows = compliance.visible_findings(user)
    if not form.is_valid():
        return rows.none()
    data = form.cleaned_data
    if data.get("kind"):
        rows = rows.filter(kind=data["kind"])
    if data.get("state"):
        rows = rows.filter(state=data["state"])
    if data.get("owner"):
        rows = rows.filter(owner_id=data["owner"])
    if data.get("date_from"):
        rows = rows.filter(occurred_at__gte=_day_start(data["date_from"]))
    if data.get("date_to"):
        rows = rows.filter(occurred_at__lt=_day_start(data["date_to"] + dt.timedelta(days=1)))
    q = (data.get("q") or "").strip()
    if q:
        rows = rows.filter(
            Q(excerpt__icontains=q)
            | Q(detail__icontains=q)
            | Q(account__name__icontains=q)
            | Q(owner__display_name__icontains=q)
        )
    return rows.order_by("-occurred_at", "-pk")


@login_required
@require_GET
def queue(request):
    user = request.user
    if not permissions.has_kpi(user):
        raise PermissionDenied
    reviewer = permissions.is_reviewer(user)
    owners = visible_users(user).order_by("display_name", "username") if reviewer else []
    params = request.GET.copy()
    if "state" not in params and reviewer:
        params["state"] = FindingState.OPEN
    form = FindingFilterForm(params, owners=owners)
    rows = filtered_findings(user, form)
    paginator = Paginator(rows, settings.SALESOPS["PAGE_SIZE"])
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    policy = CompliancePolicy.current()
    context = {
        "form": form,
        "reviewer": reviewer,
        "page_obj": page,
        "rows": [(f, compliance.can_decide(user, f)) for f in page.object_list],
        "approved": compliance_text.lines(policy.approved_phrases),
        "sources": compliance.SOURCES,
        "last_scan": ComplianceScan.objects.order_by("-started_at").first(),
        "can_scan": permissions.can_configure(user),
    }
    return render(request, "kpi/compliance/queue.html", context)


@login_required
@require_POST
def decide(request, finding_id: int):
    form = DecideForm(request.POST)
    back = request.POST.get("next") or reverse("kpi:compliance")
    if not back.startswith("/") or back.startswith("//"):
        back = reverse("kpi:compliance")
    if not form.is_valid():
        messages.error(request, _("Choose “confirm” or “dismiss”."))
        return redirect(back)
    try:
        finding = compliance.finding_decide(
            actor=request.user,
            finding_id=finding_id,
            decision=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"],
        )
    except ObjectDoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return redirect(back)
    messages.success(
        request,
        _("Finding #%(id)d: %(state)s.") % {"id": finding.pk, "state": finding.get_state_display()},
    )
    return redirect(back)


@login_required
@require_POST
def run_scan(request):
    full = request.POST.get("full") == "1"
    record = compliance.scan(by=request.user, full=full)
    messages.success(
        request,
        _(
            "Scan done: %(documents)d documents, %(texts)d notes, %(findings)d new findings "
            "(%(not_read)d images not read: no OCR engine)."
        )
        % {
            "documents": record.documents,
            "texts": record.texts,
            "findings": record.findings,
            "not_read": record.not_read,
        },
    )
    return redirect("kpi:compliance")


urlpatterns = [
    path("compliance/", queue, name="compliance"),
    path("compliance/<int:finding_id>/decide/", decide, name="compliance_decide"),
    path("compliance/scan/", run_scan, name="compliance_scan"),
]

"""KPI API: review — the credibility lists (K9), the compliance findings, scans and the
check of one file (K10), Settings · KPI review.

The black list reaches reviewers only: for anyone else the ``black`` key is absent and a
black listing on a figure row reads as "". A finding outside the caller's view is a 404.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from salesops.core import clock
from salesops.core.pagination import paginate
from salesops.customers.models import Account

from . import compliance, credibility, permissions, review_policy
from .models import CredibilityEntry
from .schemas_review import (
    CheckOut,
    CredibilityOut,
    DecideIn,
    EntryDetailOut,
    FindingOut,
    FindingPage,
    ReviewPolicyIn,
    ReviewPolicyOut,
    ScanIn,
    ScanOut,
)

router = Router(tags=["kpi"])
CHECK_MAX_BYTES = 50 * 1024 * 1024


def _entry(user, entry: CredibilityEntry) -> dict:
    return {
        "id": entry.pk,
        "user": entry.user,
        "team": entry.team.name if entry.team else None,
        "month": entry.month,
        "leads": entry.leads,
        "corrected": entry.corrected,
        "source_accuracy": entry.source_accuracy,
        "level_events": entry.level_events,
        "level_days": entry.level_days,
        "listed": credibility.shown_list(user, entry),
        "computed_at": entry.computed_at,
    }


def _require_kpi(user) -> None:
    if not permissions.has_kpi(user):
        raise PermissionDenied(_("You are not allowed to do this."))


@router.get(
    "/kpi/credibility",
    response=CredibilityOut,
    exclude_unset=True,
    summary="Credibility lists of a month",
)
def credibility_lists(request, month: dt.date | None = None):
    """The month's red list (everyone), black list (reviewers only; absent otherwise) and
    the figures of the reps you see. ``month``: any day of it (default: last month)."""
    user = request.user
    _require_kpi(user)
    month = (month or credibility.previous_month(clock.today())).replace(day=1)
    body = {
        "month": month,
        "red": [_entry(user, e) for e in credibility.red_list(user, month).order_by("user_id")],
        "figures": [
            _entry(user, e) for e in credibility.visible_entries(user, month).order_by("user_id")
        ],
    }
    if permissions.sees_black_list(user):
        body["black"] = [
            _entry(user, e) for e in credibility.black_list(user, month).order_by("user_id")
        ]
    return body


@router.get("/kpi/credibility/{entry_id}", response=EntryDetailOut, summary="One credibility entry")
def credibility_entry(request, entry_id: int):
    """A visible rep's month with the ids behind it (corrected leads, qualifying events)."""
    entry = CredibilityEntry.objects.select_related("user", "team").filter(pk=entry_id).first()
    if entry is None or not permissions.can_see_user(request.user, entry.user_id):
        raise Http404
    return {**_entry(request.user, entry), "inputs": entry.inputs}


class FindingQuery(Schema):
    kind: str | None = None
    state: str | None = None
    owner_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    q: str | None = None
    page: int = 1
    page_size: int | None = None


@router.get("/kpi/compliance/findings", response=FindingPage, summary="Compliance findings")
def list_findings(request, query: Query[FindingQuery]):
    """Reviewers: the findings of the owners they see; anyone else: their own."""
    _require_kpi(request.user)
    rows = compliance.visible_findings(request.user)
    if query.kind:
        rows = rows.filter(kind=query.kind)
    if query.state:
        rows = rows.filter(state=query.state)
    if query.owner_id is not None:
        rows = rows.filter(owner_id=query.owner_id)
    if query.date_from:
        rows = rows.filter(occurred_at__date__gte=query.date_from)
    if query.date_to:
        rows = rows.filter(occurred_at__date__lte=query.date_to)
    if query.q:
        rows = rows.filter(excerpt__icontains=query.q.strip())
    return paginate(rows.order_by("-occurred_at", "-pk"), query.page, query.page_size)


@router.post(
    "/kpi/compliance/findings/{finding_id}/decide",
    response=FindingOut,
    summary="Confirm or dismiss a finding",
)
def decide_finding(request, finding_id: int, payload: DecideIn):
    """``decision``: confirm or dismiss (``reason`` required to dismiss). The owner's
    managers and sales-ops admins/directors decide; never the owner."""
    return compliance.finding_decide(
        actor=request.user,
        finding_id=finding_id,
        decision=payload.decision,
        reason=payload.reason,
    )


@router.post("/kpi/compliance/check", response=CheckOut, summary="Check one file")
def check_file(
    request,
    file: File[UploadedFile] = None,
    account_id: Form[int | None] = None,
):
    """multipart/form-data ``file``: a PDF or an image (by its first bytes); anything else
    is a 422. Returns what the scan would find in it; writes nothing. ``account_id`` (an
    account you see) decides whether core parameters count (without: as if no NDA)."""
    _require_kpi(request.user)
    if file is None:
        raise ValidationError({"file": [_("Choose a PDF or image file to check.")]})
    if file.size > CHECK_MAX_BYTES:
        raise ValidationError(
            {"file": [_("The file is larger than %(mb)d MB.") % {"mb": CHECK_MAX_BYTES >> 20}]}
        )
    account = None
    if account_id is not None:
        account = Account.objects.visible_to(request.user).filter(pk=account_id).first()
        if account is None:
            raise ValidationError({"account_id": [_("Pick an account you can see.")]})
    result = compliance.check_upload(actor=request.user, data=file.read(), account=account)
    return {
        "file_kind": result.kind,
        "read": result.read,
        "findings": [
            {"kind": h.kind, "phrase": h.phrase, "excerpt": h.excerpt, "detail": h.detail}
            for h in result.hits
        ],
    }


@router.post("/kpi/compliance/scans", response={201: ScanOut}, summary="Run a scan now")
def run_scan(request, payload: ScanIn | None = None):
    """Configurers only: scan what changed since the last scan (``full``: everything)."""
    record = compliance.scan(by=request.user, full=bool(payload and payload.full))
    return Status(201, record)


@router.get("/kpi/settings/review", response=ReviewPolicyOut, summary="Review settings")
def get_review_policy(request):
    if not permissions.can_configure(request.user):
        raise PermissionDenied(_("Only a sales-ops admin or a director changes KPI settings."))
    return review_policy.current()


@router.put("/kpi/settings/review", response=ReviewPolicyOut, summary="Change review settings")
def put_review_policy(request, payload: ReviewPolicyIn):
    """Only the fields sent change; every bad value is reported at once (422 by field)."""
    review_policy.review_policy_update(
        actor=request.user, **payload.dict(exclude_unset=True, exclude_none=True)
    )
    return review_policy.current()

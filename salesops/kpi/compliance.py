"""The behaviour-compliance scan (K10) and its review queue.

What is scanned:

* **Documents** — pipeline evidence files whose type is one of
  :attr:`CompliancePolicy.quote_evidence_types` (quotes and proposals by default): the
  watermark, the forbidden wording and, for an account without an NDA signed on or before
  the upload day, the core parameters (:func:`.compliance_text.check_document`).
* **Texts** — activity notes (calls, visits, messages logged with a customer): the only
  free text a rep writes *to* customers today. Daily reports, account notes and
  after-sales details are internal and are not scanned.

A scan reads only what was created or changed since the previous scan started (their
``created_at``/``updated_at``), unless ``full=True`` or the compliance settings changed
since (a new phrase must be looked for everywhere). Findings are keyed by a fingerprint of
(kind, source, object id, phrase): a rescan adds nothing it already found, and a finding
dismissed once is not raised again.

Confirming a finding marks its owner dirty (:class:`DirtyRep`): the KPI engine's
``findings`` source counts confirmed findings into the quality metrics.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesops.activities.models import Activity
from salesops.core import clock
from salesops.customers.models import Account
from salesops.pipeline import evidence as evidence_files
from salesops.pipeline.models import Evidence

from . import compliance_text as checks
from . import permissions
from .models import (
    ComplianceFinding,
    CompliancePolicy,
    ComplianceScan,
    DirtyRep,
    FindingKind,
    FindingState,
)

SOURCE_EVIDENCE = "evidence"
SOURCE_ACTIVITY = "activity"
SOURCES = {
    SOURCE_EVIDENCE: gettext_lazy("quote file"),
    SOURCE_ACTIVITY: gettext_lazy("activity note"),
}
CHUNK = 2000
DECISIONS = ("confirm", "dismiss")
REASON_MAX = 500


@dataclass
class ScanTotals:
    documents: int = 0
    not_read: int = 0
    texts: int = 0
    candidates: list = field(default_factory=list)


def _local_day(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(moment).date() if moment else None


def nda_in_force(signed_on: dt.date | None, moment: dt.datetime | None) -> bool:
    """Whether an NDA signed on ``signed_on`` covers something said at ``moment``."""
    day = _local_day(moment)
    return signed_on is not None and day is not None and signed_on <= day


def _finding(hit: checks.Hit, *, source, object_id, owner_id, account_id, occurred_at):
    return ComplianceFinding(
        kind=hit.kind,
        owner_id=owner_id,
        account_id=account_id,
        source=source,
        object_id=object_id,
        excerpt=hit.excerpt[:500],
        detail=hit.detail[:500],
        fingerprint=checks.fingerprint(hit.kind, source, object_id, hit.phrase),
        occurred_at=occurred_at or clock.now(),
    )


def _since(full: bool, policy: CompliancePolicy) -> dt.datetime | None:
    if full:
        return None
    previous = (
        ComplianceScan.objects.filter(finished_at__isnull=False).order_by("-started_at").first()
    )
    if previous is None or policy.updated_at >= previous.started_at:
        return None
    return previous.started_at


def _changed(queryset, since):
    if since is None:
        return queryset
    return queryset.filter(Q(created_at__gte=since) | Q(updated_at__gte=since))


def _scan_documents(policy, since, totals: ScanTotals) -> None:
    types = checks.quote_types(policy)
    rows = (
        _changed(Evidence.objects.filter(type__in=types), since)
        .select_related("deal__account")
        .only("pk", "file", "created_at", "deal__owner_id", "deal__account__nda_signed_on")
        .order_by("pk")
    )
    for item in rows.iterator(chunk_size=CHUNK):
        account = item.deal.account
        try:
            with evidence_files.open_file(item) as handle:
                data = handle.read()
        except OSError as exc:
            hit = checks.Hit(
                FindingKind.UNREADABLE,
                "",
                "",
                _("The file is missing from storage: %(reason)s") % {"reason": str(exc)[:200]},
            )
            result = checks.DocumentResult(None, hits=[hit])
        else:
            nda = nda_in_force(account.nda_signed_on, item.created_at)
            result = checks.check_document(data, policy, nda=nda)
        totals.documents += 1
        if not result.read:
            totals.not_read += 1
        for hit in result.hits:
            totals.candidates.append(
                _finding(
                    hit,
                    source=SOURCE_EVIDENCE,
                    object_id=item.pk,
                    owner_id=item.deal.owner_id,
                    account_id=account.pk,
                    occurred_at=item.created_at,
                )
            )


def _scan_texts(policy, since, totals: ScanTotals) -> None:
    forbidden = checks.lines(policy.forbidden_phrases)
    parameters = checks.lines(policy.core_parameters)
    rows = (
        _changed(Activity.objects.exclude(note=""), since)
        .values(
            "pk",
            "owner_id",
            "account_id",
            "deal__account_id",
            "lead__account_id",
            "note",
            "started_at",
        )
        .order_by("pk")
    )
    batch: list[dict] = []

    def flush():
        ids = {r["account_id"] or r["deal__account_id"] or r["lead__account_id"] for r in batch} - {
            None
        }
        ndas = dict(Account.objects.filter(pk__in=ids).values_list("pk", "nda_signed_on"))
        for row in batch:
            account_id = row["account_id"] or row["deal__account_id"] or row["lead__account_id"]
            nda = nda_in_force(ndas.get(account_id), row["started_at"])
            hits = checks.check_text(
                row["note"], policy, nda=nda, forbidden=forbidden, parameters=parameters
            )
            for hit in hits:
                totals.candidates.append(
                    _finding(
                        hit,
                        source=SOURCE_ACTIVITY,
                        object_id=row["pk"],
                        owner_id=row["owner_id"],
                        account_id=account_id,
                        occurred_at=row["started_at"],
                    )
                )
        totals.texts += len(batch)
        batch.clear()

    for row in rows.iterator(chunk_size=CHUNK):
        batch.append(row)
        if len(batch) >= CHUNK:
            flush()
    flush()


def _new_findings(candidates: list[ComplianceFinding]) -> list[ComplianceFinding]:
    unique = {c.fingerprint: c for c in candidates}
    keys = list(unique)
    known: set[str] = set()
    for start in range(0, len(keys), 500):
        part = keys[start : start + 500]
        known.update(
            ComplianceFinding.objects.filter(fingerprint__in=part).values_list(
                "fingerprint", flat=True
            )
        )
    return [c for key, c in unique.items() if key not in known]


def scan(*, by=None, full: bool = False) -> ComplianceScan:
    """Scan what changed since the last scan (everything with ``full``); store the new
    findings and the scan's counts. The files are read outside any transaction; the
    findings and the scan row are written together (all or nothing)."""
    if by is not None and not permissions.can_configure(by):
        raise PermissionDenied(_("Only a sales-ops admin or a director runs a compliance scan."))
    started = clock.now()
    timer = time.perf_counter()
    policy = CompliancePolicy.current()
    since = _since(full, policy)
    totals = ScanTotals()
    _scan_documents(policy, since, totals)
    _scan_texts(policy, since, totals)
    with transaction.atomic():
        fresh = _new_findings(totals.candidates)
        record = ComplianceScan.objects.create(
            started_at=started,
            documents=totals.documents,
            texts=totals.texts,
            findings=len(fresh),
            created_by=by,
        )
        for item in fresh:
            item.scan = record
            item.created_at = clock.now()
        ComplianceFinding.objects.bulk_create(fresh, batch_size=500, ignore_conflicts=True)
        record.finished_at = clock.now()
        record.seconds = Decimal(str(round(time.perf_counter() - timer, 3)))
        record.save(update_fields=["finished_at", "seconds"])
    record.not_read = totals.not_read  # images without an OCR engine (not stored)
    record.full = since is None
    return record


# --- the review queue --------------------------------------------------------------------


def visible_findings(user):
    """The findings ``user`` may read: reviewers those of the owners they see, anyone else
    their own (read-only)."""
    rows = ComplianceFinding.objects.select_related("owner", "account", "reviewed_by")
    if not permissions.has_kpi(user):
        return rows.none()
    if permissions.is_reviewer(user):
        ids = permissions.visible_user_ids(user)
        return rows if ids is None else rows.filter(owner_id__in=ids)
    return rows.filter(owner_id=user.pk)


def can_decide(user, finding: ComplianceFinding) -> bool:
    if finding.state != FindingState.OPEN:
        return False
    if finding.owner_id is None:
        return permissions.can_configure(user)
    return permissions.can_decide_for(user, finding.owner_id)


def finding_for(user, finding_id: int) -> ComplianceFinding:
    """One visible finding (``ObjectDoesNotExist`` → 404 otherwise)."""
    return visible_findings(user).get(pk=finding_id)


@transaction.atomic
def finding_decide(*, actor, finding_id: int, decision: str, reason: str = ""):
    """Confirm or dismiss an open finding (a reason is required to dismiss). Confirming
    marks the owner dirty so their quality metric is recomputed."""
    try:
        finding = visible_findings(actor).select_for_update(of=("self",)).get(pk=finding_id)
    except ComplianceFinding.DoesNotExist:
        raise ObjectDoesNotExist(_("Not found, or you do not have access to it.")) from None
    reason = (reason or "").strip()
    errors: dict[str, list] = {}
    if decision not in DECISIONS:
        errors["decision"] = [_("Choose “confirm” or “dismiss”.")]
    if decision == "dismiss" and not reason:
        errors["reason"] = [_("Give the reason for dismissing this finding.")]
    if len(reason) > REASON_MAX:
        errors["reason"] = [_("Keep the reason to %(max)d characters.") % {"max": REASON_MAX}]
    if finding.state != FindingState.OPEN:
        errors["decision"] = [
            _("This finding was already decided (%(state)s).")
            % {"state": finding.get_state_display()}
        ]
    elif not can_decide(actor, finding):
        raise PermissionDenied(
            _("Only the owner's managers or a sales-ops admin decide about this finding.")
        )
    if errors:
        raise ValidationError(errors)
    finding.state = FindingState.CONFIRMED if decision == "confirm" else FindingState.DISMISSED
    finding.reviewed_by = actor
    finding.reviewed_at = clock.now()
    finding.review_reason = reason
    finding.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_reason"])
    if finding.state == FindingState.CONFIRMED and finding.owner_id:
        DirtyRep.objects.update_or_create(
            user_id=finding.owner_id, defaults={"marked_at": clock.now()}
        )
    return finding


def check_upload(*, actor, data: bytes, account: Account | None = None) -> checks.DocumentResult:
    """Check one file as the scan would, writing nothing. ``account`` (one the caller may
    see) decides whether core parameters count: without one, as if no NDA."""
    if not permissions.has_kpi(actor):
        raise PermissionDenied(_("You are not allowed to do this."))
    if not data or checks.sniff(data) is None:
        raise ValidationError({"file": [_("Only PDF or image files can be checked.")]})
    nda = nda_in_force(account.nda_signed_on, clock.now()) if account else False
    return checks.check_document(data, CompliancePolicy.current(), nda=nda)


def confirmed_count(user_id: int, start: dt.datetime, end: dt.datetime) -> int:
    """Confirmed findings about ``user_id`` that happened in [start, end) — what the
    engine's ``findings`` source counts."""
    return ComplianceFinding.objects.filter(
        owner_id=user_id,
        state=FindingState.CONFIRMED,
        occurred_at__gte=start,
        occurred_at__lt=end,
    ).count()

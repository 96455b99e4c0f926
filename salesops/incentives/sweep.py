"""The tranche sweep (SPEC I2): release and forfeit pending deal-bonus tranches.

:func:`sweep` (every 5 minutes, ``incentives.tranches``) does two things:

* it drains :class:`IncentiveQueue` — contracts whose payments changed, accounts with a
  new major complaint or a renewal (``signals``) — and settles what those records decide;
* it settles what is due by date: quality tranches whose quiet period ended, renewal
  tranches whose grace ran out.

With nothing queued and nothing due that is four small indexed queries (the policy, the
queue, and ``OpenTranche`` by ``(tranche, due_on)`` twice): it never reads the ledger.

The rules:

* **payment** — released when the payments of the contract add up to the tranche's
  ``paid_threshold`` (its instalments so far, or the contract amount). Every payment
  counts, flagged ones too: revenue flags a payment that takes the contract *over* its
  amount, so the money did arrive, and a threshold is never above the contract amount —
  the excess cannot release anything more. The event is the payment that crossed the
  threshold (payments in order of ``received_on``, then id); the release is dated on the
  later of its ``received_on`` and the tranche's month.
* **quality** — forfeited by a major complaint on the account raised between the
  tranche's ``starts_on`` (the signing) and ``due_on``, inclusive, as soon as the queue
  brings it (event: the complaint); released on ``due_on`` without one (event: "quiet
  period ended"). A minor complaint does nothing; a complaint made major later forfeits
  when that save queues the account.
* **renewal** — the first renewal of the account closed (``closed_on``) after the signing
  and no later than ``due_on`` + ``renewal_grace_days`` decides: renewed releases it,
  lost forfeits it; none by then forfeits it ("no renewal by <date>"). A renewal without
  ``closed_on`` has not been closed and decides nothing.

Every settlement goes through :func:`ledger.settle` (idempotent; a locked month sends it
to the next open one; the ``OpenTranche`` row goes), and each release of a mentee's
tranche pays their mentor (:func:`mentor.reward`) in the same transaction.

:func:`check_all` (nightly) is the safety net for writes that bypassed the signals (a bulk
load, SQL): every open payment tranche against its contract's payments, every open
quality and renewal tranche against the complaints and renewals — grouped queries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, Min, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from salesops.aftersales.models import Complaint, Renewal, RenewalStatus, Severity
from salesops.core import clock, sweeps
from salesops.core.money import format_cny, to_money
from salesops.revenue.models import Contract, Payment

from . import ledger, mentor
from .models import IncentivePolicy, IncentiveQueue, OpenTranche, QueueKind, Tranche

SWEEP_NAME = "incentives.tranches"
CHECK_NAME = "incentives.tranches_check"
BATCH = 500  # open tranches or queued rows read at a time
MAX_BATCHES = 40  # per sweep: a huge due day is finished by the next sweeps


def _result() -> dict:
    return {"released": 0, "forfeited": 0, "mentor": 0, "queued": 0}


def _record(model: str, pk: int, label: str) -> dict:
    return {"model": model, "id": pk, "label": label}


def _settle(opened: OpenTranche, *, released: bool, on: dt.date, event: dict, reason: str, result):
    """Settle one open tranche (dated no earlier than its own month) and, for a release,
    pay the mentor; all or nothing."""
    line = opened.line
    on = max(on, line.period)
    with transaction.atomic():
        settlement = ledger.settle(line, released=released, on=on, event=event, reason=reason)
        if released:
            result["released"] += 1
            result["mentor"] += len(mentor.reward(settlement))
        else:
            result["forfeited"] += 1
    return settlement


# --- payment tranches ----------------------------------------------------------------------------


def settle_payments(contract_ids, today: dt.date, result: dict) -> None:
    """Release the open payment tranches of these contracts that their payments reach."""
    opens = defaultdict(list)
    for opened in (
        OpenTranche.objects.filter(tranche=Tranche.PAYMENT, contract_id__in=list(contract_ids))
        .select_related("line")
        .order_by("contract_id", "paid_threshold", "line_id")
    ):
        opens[opened.contract_id].append(opened)
    if not opens:
        return
    numbers = dict(Contract.objects.filter(pk__in=list(opens)).values_list("pk", "number"))
    payments = defaultdict(list)
    rows = (
        Payment.objects.filter(contract_id__in=list(opens), received_on__lte=today)
        .order_by("contract_id", "received_on", "pk")
        .values_list("pk", "contract_id", "amount", "received_on")
    )
    for pk, contract_id, amount, received_on in rows:
        payments[contract_id].append((pk, to_money(amount), received_on))
    for contract_id, tranches in opens.items():
        for opened in tranches:
            crossed = _crossing(payments[contract_id], opened.paid_threshold)
            if crossed is None:
                continue
            pk, amount, received_on, paid = crossed
            number = numbers.get(contract_id, "")
            event = {
                "kind": "payment",
                "model": "revenue.payment",
                "id": pk,
                "label": f"{number} · {received_on.isoformat()} · {amount}",
                "amount": str(amount),
                "received_on": received_on.isoformat(),
                "paid": str(paid),
                "threshold": str(opened.paid_threshold),
                "records": [
                    _record("revenue.payment", pk, f"{received_on.isoformat()} · {amount}"),
                    _record("revenue.contract", contract_id, number),
                ],
            }
            reason = _(
                "Payments on %(number)s reached %(paid)s of the %(threshold)s this tranche "
                "waited for (payment received %(day)s)."
            ) % {
                "number": number,
                "paid": format_cny(paid),
                "threshold": format_cny(opened.paid_threshold),
                "day": received_on.isoformat(),
            }
            _settle(
                opened, released=True, on=received_on, event=event, reason=reason, result=result
            )


def _crossing(payments, threshold):
    """The payment with which the running total first reaches ``threshold``:
    ``(id, amount, received_on, total then)``, or None."""
    if threshold is None:
        return None
    total = Decimal("0.00")
    for pk, amount, received_on in payments:
        total += amount
        if total >= threshold:
            return pk, amount, received_on, total
    return None


# --- quality tranches -------------------------------------------------------------------------


def _major_complaints(account_ids, today) -> dict[int, list[tuple]]:
    found = defaultdict(list)
    rows = (
        Complaint.objects.filter(
            account_id__in=list(account_ids), severity=Severity.MAJOR, raised_on__lte=today
        )
        .order_by("account_id", "raised_on", "pk")
        .values_list("pk", "account_id", "raised_on", "summary")
    )
    for pk, account_id, raised_on, summary in rows:
        found[account_id].append((pk, raised_on, summary))
    return found


def settle_quality(opens: list[OpenTranche], today: dt.date, result: dict) -> None:
    """Forfeit those with a major complaint in their quiet period; release the rest
    whose quiet period ended."""
    if not opens:
        return
    complaints = _major_complaints({o.account_id for o in opens}, today)
    for opened in opens:
        hit = next(
            (
                c
                for c in complaints.get(opened.account_id, ())
                if opened.starts_on <= c[1] <= opened.due_on
            ),
            None,
        )
        if hit is not None:
            pk, raised_on, summary = hit
            event = {
                "kind": "complaint",
                "model": "aftersales.complaint",
                "id": pk,
                "label": summary,
                "raised_on": raised_on.isoformat(),
                "records": [_record("aftersales.complaint", pk, summary)],
            }
            reason = _("Major complaint raised %(day)s, within the quiet period to %(due)s.") % {
                "day": raised_on.isoformat(),
                "due": opened.due_on.isoformat(),
            }
            _settle(opened, released=False, on=raised_on, event=event, reason=reason, result=result)
        elif opened.due_on <= today:
            event = {
                "kind": "quiet_period",
                "label": "quiet period ended",
                "starts_on": opened.starts_on.isoformat(),
                "due_on": opened.due_on.isoformat(),
                "records": [],
            }
            reason = _("Quiet period ended on %(due)s without a major complaint.") % {
                "due": opened.due_on.isoformat()
            }
            _settle(
                opened, released=True, on=opened.due_on, event=event, reason=reason, result=result
            )


# --- renewal tranches -------------------------------------------------------------------------


def _closed_renewals(account_ids, today) -> dict[int, list[tuple]]:
    found = defaultdict(list)
    rows = (
        Renewal.objects.filter(
            account_id__in=list(account_ids),
            status__in=[RenewalStatus.RENEWED, RenewalStatus.LOST],
            closed_on__isnull=False,
            closed_on__lte=today,
        )
        .order_by("account_id", "closed_on", "pk")
        .values_list("pk", "account_id", "status", "closed_on", "contract_number", "due_on")
    )
    for pk, account_id, status, closed_on, number, due_on in rows:
        found[account_id].append((pk, status, closed_on, number, due_on))
    return found


def settle_renewal(opens: list[OpenTranche], today: dt.date, grace_days: int, result) -> None:
    """Settle by the first renewal closed in the window; forfeit past the grace."""
    if not opens:
        return
    renewals = _closed_renewals({o.account_id for o in opens}, today)
    grace = dt.timedelta(days=grace_days)
    for opened in opens:
        deadline = opened.due_on + grace
        hit = next(
            (r for r in renewals.get(opened.account_id, ()) if opened.starts_on < r[2] <= deadline),
            None,
        )
        if hit is not None:
            pk, status, closed_on, number, due_on = hit
            label = number or due_on.isoformat()
            won = status == RenewalStatus.RENEWED
            event = {
                "kind": "renewal",
                "model": "aftersales.renewal",
                "id": pk,
                "label": label,
                "status": status,
                "closed_on": closed_on.isoformat(),
                "records": [_record("aftersales.renewal", pk, label)],
            }
            if won:
                reason = _("Renewed on %(day)s.") % {"day": closed_on.isoformat()}
            else:
                reason = _("Renewal lost on %(day)s.") % {"day": closed_on.isoformat()}
            _settle(opened, released=won, on=closed_on, event=event, reason=reason, result=result)
        elif today > deadline:
            event = {
                "kind": "deadline",
                "label": f"no renewal by {deadline.isoformat()}",
                "deadline": deadline.isoformat(),
                "records": [],
            }
            reason = _("No renewal by %(day)s.") % {"day": deadline.isoformat()}
            on = deadline + dt.timedelta(days=1)
            _settle(opened, released=False, on=on, event=event, reason=reason, result=result)


# --- accounts from the queue --------------------------------------------------------------------


def settle_accounts(account_ids, today: dt.date, policy, result: dict) -> None:
    quality, renewal = [], []
    for opened in (
        OpenTranche.objects.filter(
            tranche__in=[Tranche.QUALITY, Tranche.RENEWAL], account_id__in=list(account_ids)
        )
        .select_related("line")
        .order_by("pk")
    ):
        (quality if opened.tranche == Tranche.QUALITY else renewal).append(opened)
    settle_quality(quality, today, result)
    settle_renewal(renewal, today, policy.renewal_grace_days, result)


# --- the sweep ------------------------------------------------------------------------------------


def _drain_queue(today, policy, result) -> None:
    for _round in range(MAX_BATCHES):
        rows = list(
            IncentiveQueue.objects.order_by("pk").values_list(
                "pk", "kind", "object_id", "queued_at"
            )[:BATCH]
        )
        if not rows:
            return
        contracts = [oid for _pk, kind, oid, _at in rows if kind == QueueKind.CONTRACT]
        accounts = [oid for _pk, kind, oid, _at in rows if kind == QueueKind.ACCOUNT]
        settle_payments(contracts, today, result)
        settle_accounts(accounts, today, policy, result)
        # Only what was read, and only as it was read: a row queued again meanwhile stays.
        latest = max(at for *_rest, at in rows)
        IncentiveQueue.objects.filter(
            pk__in=[pk for pk, *_rest in rows], queued_at__lte=latest
        ).delete()
        result["queued"] += len(rows)
        if len(rows) < BATCH:
            return


def _due(tranche: str, before: dt.date):
    return (
        OpenTranche.objects.filter(tranche=tranche, due_on__lte=before)
        .select_related("line")
        .order_by("due_on", "pk")
    )


def sweep(today: dt.date | None = None) -> dict:
    """Drain the queue, then settle what is due by date. Returns how many tranches were
    released and forfeited, mentor lines written and queued rows read."""
    today = today or clock.today()
    policy = IncentivePolicy.current()
    result = _result()
    _drain_queue(today, policy, result)
    for _round in range(MAX_BATCHES):
        batch = list(_due(Tranche.QUALITY, today)[:BATCH])
        settle_quality(batch, today, result)
        if len(batch) < BATCH:
            break
    last_due = today - dt.timedelta(days=policy.renewal_grace_days + 1)
    for _round in range(MAX_BATCHES):
        batch = list(_due(Tranche.RENEWAL, last_due)[:BATCH])
        settle_renewal(batch, today, policy.renewal_grace_days, result)
        if len(batch) < BATCH:
            break
    return result


def check_all(today: dt.date | None = None) -> dict:
    """The nightly safety net: every open tranche against the records that decide it,
    whatever the queue holds (grouped queries; only the tranches found settle)."""
    today = today or clock.today()
    policy = IncentivePolicy.current()
    result = _result()
    thresholds = dict(
        OpenTranche.objects.filter(tranche=Tranche.PAYMENT)
        .values("contract_id")
        .annotate(lowest=Min("paid_threshold"))
        .values_list("contract_id", "lowest")
    )
    ids = sorted(thresholds)
    for start in range(0, len(ids), BATCH * 4):
        chunk = ids[start : start + BATCH * 4]
        paid = (
            Payment.objects.filter(contract_id__in=chunk, received_on__lte=today)
            .values("contract_id")
            .annotate(total=Sum("amount"))
            .values_list("contract_id", "total")
        )
        reached = [cid for cid, total in paid if total is not None and total >= thresholds[cid]]
        if reached:
            settle_payments(reached, today, result)
    complaint = Complaint.objects.filter(
        account_id=OuterRef("account_id"),
        severity=Severity.MAJOR,
        raised_on__gte=OuterRef("starts_on"),
        raised_on__lte=OuterRef("due_on"),
    ).filter(raised_on__lte=today)
    renewal = Renewal.objects.filter(
        account_id=OuterRef("account_id"),
        status__in=[RenewalStatus.RENEWED, RenewalStatus.LOST],
        closed_on__gt=OuterRef("starts_on"),
        closed_on__lte=today,
    )
    accounts = set(
        OpenTranche.objects.filter(tranche=Tranche.QUALITY)
        .filter(Exists(complaint))
        .values_list("account_id", flat=True)
    ) | set(
        OpenTranche.objects.filter(tranche=Tranche.RENEWAL)
        .filter(Exists(renewal))
        .values_list("account_id", flat=True)
    )
    accounts = sorted(accounts)
    for start in range(0, len(accounts), BATCH):
        settle_accounts(accounts[start : start + BATCH], today, policy, result)
    due = sweep(today)
    for name in ("released", "forfeited", "mentor"):
        result[name] += due[name]
    result["queued"] = due["queued"]
    return result


def _summary(result: dict) -> str:
    parts = [f"{result[k]} {k}" for k in ("released", "forfeited", "mentor") if result[k]]
    if result["queued"]:
        parts.append(f"{result['queued']} queued read")
    return ", ".join(parts)


@sweeps.sweep(SWEEP_NAME, every_minutes=5, description="Release and forfeit bonus tranches.")
def tranche_sweep(now) -> str:
    """Drain the tranche queue and settle the tranches due (SPEC I2)."""
    return _summary(sweep(timezone.localtime(now).date()))


@sweeps.sweep(CHECK_NAME, every_minutes=24 * 60, description="Check every open bonus tranche.")
def tranche_check(now) -> str:
    """Once a day (local midnight): every open tranche against payments, complaints and
    renewals, in case a write bypassed the queue."""
    return _summary(check_all(timezone.localtime(now).date()))

"""The healthy-deal check (SPEC D7): five criteria, each from real data, with the risk
signal of each failure and the thresholds of the pipeline policy (Settings · Pipeline).

1. ``roles`` — the deal's decision chain (its contacts) covers at least
   ``health_min_roles`` distinct decision roles. "Other" is no role (as the account's
   decision chain counts it, ``customers.selectors.CHAIN_ROLES``).
2. ``custom_service`` — the deal's contract has a customised-service clause
   (``Contract.has_custom_service``, with its annex).
3. ``first_payment`` — the contract's first payment is at least
   ``health_min_first_payment`` % of the amount (the first instalment of the plan; without
   a plan, the first payment received) and was not paid later than
   ``health_payment_delay_days`` after it was due (the first instalment's due date, else
   the signing date). Unpaid and overdue by more than that fails too.
4. ``implementation`` — the contract has an implementation milestone planned to the week
   (a delivery milestone, not cancelled; its ``planned_week`` is an ISO week).
5. ``success`` — a customer-success user worked the account or the deal (an activity)
   on or before the day the contract was signed (before now while unsigned), or the
   account has an assigned customer-success manager.

The contract of a deal is the one linked to it (``Contract.deal``; a signed one before a
draft). An open (or lost) deal without a contract has nothing to judge for 2–4 yet: they
are "not yet applicable" (``passed`` None) and count neither way. A won deal without a
contract fails 2–4 with the signal "no contract linked".

The result is stored on the deal by ``pipeline.health.store_health``; stale deals are
recomputed by the ``reports.deal_health`` sweep (see ``health_subscriptions``), every deal
by ``manage.py deal_health`` and nightly.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from salesops.activities import selectors as activity_selectors
from salesops.core import choices, clock, sweeps
from salesops.core.money import percent
from salesops.customers.models import Account
from salesops.customers.selectors import CHAIN_ROLES
from salesops.org.models import Role
from salesops.pipeline import health
from salesops.pipeline.models import Deal, DealStatus, PipelinePolicy
from salesops.revenue import selectors as revenue_selectors
from salesops.revenue.models import Contract

SWEEP_NAME = "reports.deal_health"
# Deals one sweep run checks at most (the rest wait a minute): a policy change makes every
# deal stale, and one run must not overlap the next.
SWEEP_BATCH = 2000


def _row(code: str, passed, value, threshold, signal="") -> dict:
    return {
        "code": code,
        "label": str(health.LABELS[code]),
        "passed": passed,
        "value": str(value),
        "threshold": str(threshold),
        "signal": str(signal) if passed is False else "",
    }


def _day(value: dt.date | None) -> str:
    return date_format(value, "Y-m-d") if value else "—"


# --- the five criteria ----------------------------------------------------------------------


def _roles(roles: set[str], policy: PipelinePolicy) -> dict:
    minimum = policy.health_min_roles
    covered = [role for role in CHAIN_ROLES if role in roles]
    labels = [choices.label(choices.DECISION_ROLE, role) for role in covered]
    value = ", ".join(labels) if labels else _("none")
    threshold = _("at least %(n)s decision roles") % {"n": minimum}
    passed = len(covered) >= minimum
    if not covered:
        signal = _("No decision-chain contact on the deal")
    elif len(covered) == 1:
        signal = _("Only %(role)s contacted") % {"role": labels[0]}
    else:
        signal = _("Only %(n)s decision roles covered (%(roles)s)") % {
            "n": len(covered),
            "roles": value,
        }
    return _row("roles", passed, f"{len(covered)}: {value}", threshold, signal)


def _custom_service(contract: Contract) -> dict:
    threshold = _("a customised-service clause in the contract")
    if contract.has_custom_service:
        annex = " ".join(contract.custom_service_annex.split())
        value = _("yes: %(annex)s") % {"annex": annex[:80]}
        return _row("custom_service", True, value, threshold)
    has_attachment = bool(contract.attachment_links)
    signal = (
        _("Standard template only")
        if has_attachment
        else _("Standard template only, no attachment")
    )
    return _row("custom_service", False, _("no"), threshold, signal)


def _first_payment(contract: Contract, policy: PipelinePolicy, today: dt.date) -> dict:
    minimum, allowed = policy.health_min_first_payment, policy.health_payment_delay_days
    threshold = _("at least %(pct)s%% of the contract, paid within %(days)s days of due") % {
        "pct": minimum,
        "days": allowed,
    }
    plan = sorted(contract.instalments.all(), key=lambda i: i.sequence)
    payments = list(contract.payments.all())  # prefetched in date order
    if plan:
        share, due, needed = plan[0].percent, plan[0].due_on, plan[0].amount
    elif payments and contract.amount:
        share = percent(payments[0].amount, contract.amount, places=2)
        due, needed = contract.signed_on, payments[0].amount
    else:
        signal = _("No payment plan and no payment yet")
        return _row("first_payment", False, _("no payment plan"), threshold, signal)
    paid_on, running = None, Decimal("0")
    for payment in payments:
        running += payment.amount
        if running >= needed:
            paid_on = payment.received_on
            break
    delay = None
    if due is not None:
        delay = ((paid_on or today) - due).days
    late = delay is not None and delay > allowed
    low = share < minimum
    signals = []
    if low:
        signals.append(
            _("First payment below %(min)s%% (%(pct)s%%)")
            % {"min": minimum, "pct": f"{share.normalize():f}"}
        )
    if late:
        if paid_on:
            signals.append(
                _("First payment delayed more than %(days)s days (paid %(n)s days after due)")
                % {"days": allowed, "n": delay}
            )
        else:
            signals.append(
                _("First payment delayed more than %(days)s days (unpaid %(n)s days after due)")
                % {"days": allowed, "n": delay}
            )
    value = _("%(pct)s%%, due %(due)s, paid %(paid)s") % {
        "pct": f"{share.normalize():f}",
        "due": _day(due),
        "paid": _day(paid_on) if paid_on else _("not yet"),
    }
    return _row("first_payment", not (low or late), value, threshold, "; ".join(signals))


def _implementation(contract: Contract) -> dict:
    threshold = _("an implementation milestone planned to the week")
    milestones = list(contract.deliveries.all())  # prefetched, cancelled ones left out
    if not milestones:
        return _row("implementation", False, _("none"), threshold, _("No implementation date"))
    first = milestones[0]
    value = f"{first.planned_week} · {first.name}"
    if len(milestones) > 1:
        value += " " + _("(+%(n)s more)") % {"n": len(milestones) - 1}
    return _row("implementation", True, value, threshold)


def _success(deal: Deal, contract: Contract | None, activities: list[dict], account: dict):
    threshold = _("a customer-success activity before signing, or an assigned CS manager")
    signed = contract.signed_on if contract is not None and contract.is_signed else None
    cutoff = activity_selectors.day_start(signed + dt.timedelta(days=1)) if signed else None
    before = [
        row
        for row in activities
        if (row["deal_id"] == deal.pk or row["account_id"] == deal.account_id)
        and (cutoff is None or row["first"] < cutoff)
    ]
    if before:
        first = min(before, key=lambda row: row["first"])
        who = first["owner__display_name"] or first["owner__username"]
        value = _("%(who)s, activity on %(day)s") % {
            "who": who,
            "day": _day(timezone.localtime(first["first"]).date()),
        }
        return _row("success", True, value, threshold)
    if account.get("success_owner_id"):
        who = account["success_owner__display_name"] or account["success_owner__username"]
        return _row("success", True, _("%(who)s (assigned)") % {"who": who}, threshold)
    later = [
        row
        for row in activities
        if row["deal_id"] == deal.pk or row["account_id"] == deal.account_id
    ]
    signal = (
        _("Customer success involved only after signing")
        if later
        else _("Customer success not involved")
    )
    return _row("success", False, _("none before signing"), threshold, signal)


def _not_applicable(code: str) -> dict:
    threshold = {
        "custom_service": _("a customised-service clause in the contract"),
        "first_payment": _("first payment per the pipeline settings"),
        "implementation": _("an implementation milestone planned to the week"),
    }[code]
    return _row(code, None, _("no contract yet"), threshold)


def _no_contract(code: str) -> dict:
    row = _not_applicable(code)
    row.update(passed=False, value=_("no contract"), signal=_("Won without a contract linked"))
    return row


# --- evaluation -----------------------------------------------------------------------------


def evaluate_many(deals, *, policy: PipelinePolicy | None = None, today=None) -> dict:
    """``{deal id: result}`` for the deals, in a fixed number of queries (about eight)."""
    deals = list(deals)
    if not deals:
        return {}
    policy = policy or PipelinePolicy.current()
    today = today or clock.today()
    ids = [deal.pk for deal in deals]
    account_ids = {deal.account_id for deal in deals}
    roles: dict[int, set[str]] = {pk: set() for pk in ids}
    for deal_id, role in Deal.contacts.through.objects.filter(deal_id__in=ids).values_list(
        "deal_id", "contact__decision_role"
    ):
        roles[deal_id].add(role)
    contracts = revenue_selectors.deal_contracts(ids)
    activities = activity_selectors.earliest_by_role(
        role=Role.CUSTOMER_SUCCESS, account_ids=account_ids, deal_ids=ids
    )
    accounts = {
        row["id"]: row
        for row in Account.objects.filter(pk__in=account_ids).values(
            "id", "success_owner_id", "success_owner__display_name", "success_owner__username"
        )
    }
    results = {}
    for deal in deals:
        contract = contracts.get(deal.pk)
        rows = [_roles(roles[deal.pk], policy)]
        if contract is not None:
            rows += [
                _custom_service(contract),
                _first_payment(contract, policy, today),
                _implementation(contract),
            ]
        elif deal.status == DealStatus.WON:
            rows += [
                _no_contract(code) for code in ("custom_service", "first_payment", "implementation")
            ]
        else:
            rows += [
                _not_applicable(code)
                for code in ("custom_service", "first_payment", "implementation")
            ]
        rows.append(_success(deal, contract, activities, accounts.get(deal.account_id, {})))
        results[deal.pk] = {
            "criteria": rows,
            "passed": sum(1 for row in rows if row["passed"] is True),
            "total": health.TOTAL,
        }
    return results


def evaluate(deal: Deal, *, policy: PipelinePolicy | None = None, today=None) -> dict:
    """The healthy-deal check of one deal (see the module docstring), not stored."""
    return evaluate_many([deal], policy=policy, today=today)[deal.pk]


def recompute(deals, *, policy: PipelinePolicy | None = None) -> int:
    """Evaluate and store the deals' checks, in the organisation's language (the stored
    texts are read by everyone; the deal page relabels the criteria in the reader's)."""
    deals = list(deals)
    with translation.override(settings.LANGUAGE_CODE):
        results = evaluate_many(deals, policy=policy)
    with transaction.atomic():
        for deal in deals:
            health.store_health(deal, results[deal.pk])
    return len(deals)


def recompute_deal(deal: Deal) -> dict:
    recompute([deal])
    return deal.health


def recompute_stale(limit: int = SWEEP_BATCH) -> int:
    """Check the deals marked stale, never checked, or checked before the pipeline policy
    last changed (at most ``limit``)."""
    deals = list(health.stale_deals(limit))
    return recompute(deals) if deals else 0


def recompute_all(*, batch: int = 1000, status=None) -> int:
    """Every deal that is not lost (or of ``status``), in batches; returns how many."""
    queryset = (
        Deal.objects.exclude(status=DealStatus.LOST)
        if status is None
        else Deal.objects.filter(status=status)
    )
    policy = PipelinePolicy.current()
    done, last = 0, 0
    while True:
        deals = list(queryset.filter(pk__gt=last).order_by("pk")[:batch])
        if not deals:
            return done
        done += recompute(deals, policy=policy)
        last = deals[-1].pk


@sweeps.sweep(SWEEP_NAME, description="Recheck the healthy-deal criteria of changed deals.")
def deal_health_sweep(now) -> str:
    """Every minute: the deals whose contract, payments, milestones, activities or
    decision chain changed (queued by their events), or checked before the policy did."""
    n = recompute_stale()
    return f"checked {n} deal(s)" if n else "no deal changed"


@db_periodic_task(crontab(hour="3", minute="10"))
@lock_task("salesops-deal-health-dated")
def deal_health_dated_task() -> int:
    """Nightly: the checks that change with the date alone (an unpaid first instalment
    growing late) — deals with a contract, queued for the sweep."""
    stale = Deal.objects.exclude(status=DealStatus.LOST).filter(~Q(contracts=None))
    return health.mark_stale(deal_ids=stale.values_list("pk", flat=True).distinct())

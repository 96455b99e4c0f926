"""Customer lifetime value (SPEC C4): per account, realised revenue to date plus a
configured projection; per rep, the total and average LTV of the accounts they own.

The projection is a formula (an :class:`LtvFormula` version an admin adds, or
:data:`DEFAULT_FORMULA`) evaluated with ``salesops.core.expressions`` against the inputs
in :data:`INPUTS`. Each result is stored as an :class:`AccountValue` *with* those inputs,
the formula's source and version, so the 360 page can show how the figure was reached and
re-evaluating the stored formula on the stored inputs gives the stored projection.

Recomputed off the request path (a payment written by the feed costs nothing more): the
events of the records a value is computed from (payments, contracts with their
instalments, renewals, NPS answers, complaints) queue the account (``subscriptions``), a
sweep every minute recomputes the queued accounts, and a nightly task recomputes every
account (years as a customer grow; a write that bypasses the services leaves no event).
"""

from __future__ import annotations

import logging
import uuid
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Avg, Count, DecimalField, Max, Min, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from salesops.aftersales.models import Complaint, NpsResponse, Renewal, RenewalStatus
from salesops.core import clock, expressions, sweeps
from salesops.core.money import CENT, to_money
from salesops.customers.models import Account
from salesops.revenue.models import SIGNED_STATUSES, Contract, ContractStatus, Payment

from .formulas import DEFAULT_FORMULA, DEFAULT_VERSION, INPUTS, formula_problems
from .formulas import as_money as _as_money
from .models import AccountValue, LtvFormula, LtvQueue

log = logging.getLogger(__name__)
ZERO = Decimal("0.00")


def current_formula() -> tuple[int, str]:
    """``(version, source)`` of the formula in force: the newest version, else the default."""
    row = LtvFormula.objects.order_by("-version").values_list("version", "source").first()
    return row or (DEFAULT_VERSION, DEFAULT_FORMULA)


@transaction.atomic
def ltv_formula_create(*, actor, source: str, note: str = "") -> LtvFormula:
    """Put a new formula version in force (admins only). Values are recomputed by the
    nightly task, or at once with :func:`ltv_recompute_all`."""
    if not (actor and actor.is_admin_role):
        raise ValidationError({"source": _("Only an administrator can change the LTV formula.")})
    problems = formula_problems(source)
    if problems:
        raise ValidationError({"source": problems})
    last = LtvFormula.objects.select_for_update().aggregate(v=Max("version"))["v"] or 0
    return LtvFormula.objects.create(
        version=last + 1,
        source=source.strip(),
        note=note,
        created_by=actor,
        created_at=clock.now(),
    )


def _money_total(field: str, condition: Q | None = None):
    return Coalesce(
        Sum(field, filter=condition),
        Value(ZERO),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )


def gather_inputs(account) -> dict:
    """The figures the formula reads for ``account``, from five aggregate queries."""
    open_statuses = (ContractStatus.SIGNED, ContractStatus.ACTIVE)
    signed = Q(status__in=SIGNED_STATUSES)
    contracts = Contract.objects.filter(account=account).aggregate(
        contracted=_money_total("amount", signed),
        open_amount=_money_total("amount", Q(status__in=open_statuses)),
        active_contracts=Count("id", filter=Q(status__in=open_statuses)),
        first_signed=Min("signed_on", filter=signed),
    )
    payments = Payment.objects.filter(account=account).aggregate(
        realised=_money_total("amount"),
        paid_open=_money_total("amount", Q(contract__status__in=open_statuses)),
    )
    renewals = Renewal.objects.filter(account=account).aggregate(
        pending=_money_total("amount", Q(status=RenewalStatus.PENDING)),
        renewed=_money_total("amount", Q(status=RenewalStatus.RENEWED)),
        lost=Count("id", filter=Q(status=RenewalStatus.LOST)),
    )
    nps = NpsResponse.objects.filter(account=account).aggregate(avg=Avg("score"), n=Count("id"))
    complaints = (
        Complaint.objects.filter(account=account)
        .open()
        .aggregate(n=Count("id"), major=Count("id", filter=Q(severity="major")))
    )
    since = contracts["first_signed"]
    years = ZERO
    if since is not None:
        years = (Decimal((clock.today() - since).days) / Decimal("365.25")).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
    average = nps["avg"]
    return {
        "realised": to_money(payments["realised"]),
        "contracted": to_money(contracts["contracted"]),
        "active_contracts": contracts["active_contracts"],
        "outstanding": max(to_money(contracts["open_amount"] - payments["paid_open"]), ZERO),
        "pending_renewals": to_money(renewals["pending"]),
        "renewed": to_money(renewals["renewed"]),
        "renewals_lost": renewals["lost"],
        "nps_average": None
        if average is None
        else Decimal(str(average)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
        "nps_responses": nps["n"],
        "open_complaints": complaints["n"],
        "open_major_complaints": complaints["major"],
        "years_as_customer": max(years, Decimal("0.0")),
    }


def _to_json(inputs: dict) -> dict:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in inputs.items()}


def _from_json(stored: dict) -> dict:
    """Stored inputs back as the formula saw them (money and scores as Decimal)."""
    return {k: (Decimal(v) if isinstance(v, str) else v) for k, v in stored.items()}


def project(source: str, inputs: dict) -> tuple[Decimal, str]:
    """``(projection, error)``: the formula's result as money, or 0 and why not."""
    try:
        return _as_money(expressions.evaluate(source, inputs)), ""
    except expressions.ExpressionError as exc:
        return ZERO, str(exc)[:500]
    except (TypeError, ValueError):
        return ZERO, _("The formula did not give an amount of money.")


@transaction.atomic
def ltv_recompute(*, account, formula: tuple[int, str] | None = None) -> AccountValue:
    """Compute and store ``account``'s LTV with its explanation (inputs, formula, result)."""
    version, source = formula or current_formula()
    inputs = gather_inputs(account)
    projected, error = project(source, inputs)
    realised = inputs["realised"]
    value, _created = AccountValue.objects.update_or_create(
        account=account,
        defaults={
            "realised": realised,
            "projected": projected,
            "total": (realised + projected).quantize(CENT),
            "inputs": _to_json(inputs),
            "formula_source": source,
            "formula_version": version,
            "error": error,
            "computed_at": clock.now(),
        },
    )
    if error:
        log.warning("LTV formula v%s failed for account %s: %s", version, account.pk, error)
    return value


def ltv_recompute_all() -> int:
    """Recompute every account (the formula read once); returns how many."""
    formula = current_formula()
    n = 0
    for account in Account.objects.only("id", "created_at").iterator(chunk_size=500):
        ltv_recompute(account=account, formula=formula)
        n += 1
    return n


def explain(value: AccountValue) -> dict:
    """The breakdown the page shows: each input with its meaning, the formula and the
    result, and whether the stored formula still gives the stored projection."""
    inputs = _from_json(value.inputs)
    again, _error = project(value.formula_source, inputs)
    return {
        "inputs": [
            {"name": name, "label": str(INPUTS.get(name, name)), "value": inputs[name]}
            for name in (
                *[n for n in INPUTS if n in inputs],
                *[n for n in inputs if n not in INPUTS],
            )
        ],
        "formula": value.formula_source,
        "version": value.formula_version,
        "realised": value.realised,
        "projected": value.projected,
        "total": value.total,
        "error": value.error,
        "computed_at": value.computed_at,
        "consistent": again == value.projected,
    }


def payload(value: AccountValue, explained: dict | None = None) -> dict:
    """An :class:`AccountValue` with its breakdown as JSON-ready data (the API's shape)."""
    explained = explained or explain(value)
    return {
        "account_id": value.account_id,
        "realised": value.realised,
        "projected": value.projected,
        "total": value.total,
        "formula": value.formula_source,
        "formula_version": value.formula_version,
        "inputs": [
            {**row, "value": None if row["value"] is None else str(row["value"])}
            for row in explained["inputs"]
        ],
        "error": value.error,
        "consistent": explained["consistent"],
        "computed_at": value.computed_at,
    }


def rep_ltv(*, user, owner_ids=None) -> list[dict]:
    """Per account owner that ``user`` sees: accounts, total LTV and average LTV per
    account (accounts not yet computed count as 0). One grouped query."""
    qs = Account.objects.visible_to(user)
    if owner_ids is not None:
        qs = qs.filter(owner_id__in=owner_ids)
    rows = (
        qs.values("owner_id", "owner__display_name", "owner__username")
        .annotate(accounts=Count("id"), total=_money_total("ltv__total"))
        .order_by("-total", "owner_id")
    )
    return [
        {
            "owner_id": r["owner_id"],
            "owner": r["owner__display_name"] or r["owner__username"],
            "accounts": r["accounts"],
            "total": to_money(r["total"]),
            "average": to_money(r["total"] / r["accounts"]) if r["accounts"] else ZERO,
        }
        for r in rows
    ]


def account_value_get(*, user, account_id: int) -> AccountValue | None:
    return AccountValue.objects.visible_to(user).filter(account_id=account_id).first()


# --- keeping values fresh, off the request path ----------------------------------------------

SWEEP_NAME = "reports.ltv_queue"
# Accounts one sweep run recomputes at most (oldest queued first; the rest wait a minute),
# so a flood of feed events cannot make one run overlap the next.
DRAIN_BATCH = 5000


def queue_accounts(account_ids) -> None:
    """Queue accounts for a recompute by the next sweep: one statement, one row per
    account however often it is queued, a new token each time (see :class:`LtvQueue`)."""
    now = clock.now()
    LtvQueue.objects.bulk_create(
        [
            LtvQueue(account_id=pk, token=uuid.uuid4().hex, queued_at=now)
            for pk in sorted(set(account_ids))
        ],
        update_conflicts=True,
        unique_fields=["account_id"],
        update_fields=["token", "queued_at"],
    )


def drain_queue() -> int:
    """Recompute every queued account (the formula read once); returns how many. A row is
    removed only with the token it was read with: an account queued again meanwhile stays
    queued for the next run, so no change is missed, and recomputing twice is harmless."""
    queued = list(
        LtvQueue.objects.order_by("queued_at").values_list("account_id", "token")[:DRAIN_BATCH]
    )
    if not queued:
        return 0
    formula = current_formula()
    accounts = Account.objects.only("id", "created_at").in_bulk([pk for pk, _token in queued])
    for account_id, token in queued:
        with transaction.atomic():
            if account_id in accounts:  # a deleted account has nothing left to value
                ltv_recompute(account=accounts[account_id], formula=formula)
            LtvQueue.objects.filter(account_id=account_id, token=token).delete()
    return len(accounts)


@sweeps.sweep(SWEEP_NAME, description="Recompute the LTV of accounts whose records changed.")
def ltv_changed_sweep(now) -> str:
    """Every minute: recompute the accounts queued by the events of their payments,
    contracts, instalments, renewals, NPS answers and complaints. The request that wrote
    the record pays one queue row for it, so the finance feed's throughput is kept."""
    n = drain_queue()
    if not n:
        return "no account changed"
    return f"recomputed {n} account(s)"


@db_periodic_task(crontab(hour="2", minute="40"))
@lock_task("salesops-ltv-all")
def ltv_recompute_all_task() -> int:
    """Nightly: every account (years as a customer grow; writes that bypass the services,
    such as an admin deleting a payment, leave no event)."""
    return ltv_recompute_all()

"""The Account 360 page's data (issue 5, SPEC C1–C4): one account with its decision
chain, contracts and their payment progress, invoices, deliveries, tickets with response
times, complaints, NPS trend, renewals, lifetime value and recent history.

Visibility is the account's: :func:`account_360` raises ``Account.DoesNotExist`` (→ 404)
for an account ``user`` may not see; every section then belongs to that account (reps see
their accounts' records, managers their team's, directors, admins and finance all).

The number of queries is fixed, whatever the number of records: figures are aggregated
in SQL and each list is the latest :data:`LATEST` rows, with a "see all" link to the list
page filtered by the account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse

from salesops.activities import selectors as activity_selectors
from salesops.aftersales import selectors as aftersales_selectors
from salesops.aftersales.models import Complaint, Renewal, ServiceTicket, Severity
from salesops.core import clock
from salesops.core.history import history_entries
from salesops.core.money import percent
from salesops.customers import selectors
from salesops.customers.models import Account
from salesops.revenue import selectors as revenue_selectors
from salesops.revenue.models import (
    SIGNED_STATUSES,
    Contract,
    Delivery,
    DeliveryStatus,
    Invoice,
    InvoiceStatus,
    Payment,
)
from salesops.revenue.weeks import week_of

from . import ltv

LATEST = 10
HISTORY = 10
ZERO = Decimal("0.00")
_MAJOR_FIRST = Case(When(severity=Severity.MAJOR, then=Value(0)), default=Value(1))


def _total(field_name: str, condition: Q | None = None):
    return Coalesce(
        Sum(field_name, filter=condition),
        Value(ZERO),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )


@dataclass
class ContractRow:
    """One contract with what has been paid and its overdue instalments."""

    contract: Contract
    paid: Decimal
    paid_percent: Decimal
    overdue: list = field(default_factory=list)

    @property
    def remaining(self) -> Decimal:
        return self.contract.amount - self.paid

    @property
    def overdue_amount(self) -> Decimal:
        return sum((s.outstanding for s in self.overdue), ZERO)


@dataclass
class Account360:
    """Everything the page and ``GET /accounts/{id}/360`` show, each list capped."""

    account: Account
    chain: selectors.DecisionChain
    contracts: list[ContractRow]
    contract_totals: dict
    invoices: list
    invoice_totals: dict
    deliveries: list
    delivery_totals: dict
    tickets: list
    ticket_times: dict
    complaints: list
    open_complaints: dict
    nps_trend: list
    renewals: list
    renewal_totals: dict
    ltv: dict
    ltv_value: object
    owner_ltv: dict | None
    activities: list
    history: list
    links: dict

    @property
    def overdue_instalments(self) -> int:
        return sum(len(row.overdue) for row in self.contracts)


def _contracts(account: Account) -> tuple[list[ContractRow], dict]:
    """The latest contracts with paid totals and instalment states (three queries:
    contracts, their plans, their payments) and the totals over all of them (one)."""
    latest = list(
        revenue_selectors.with_figures(Contract.objects.filter(account=account))
        .select_related("owner")
        .prefetch_related("instalments")
        .order_by("-signed_on", "-id")[:LATEST]
    )
    by_contract: dict[int, list] = {c.pk: [] for c in latest}
    if latest:
        payments = (
            Payment.objects.filter(contract_id__in=by_contract)
            .only("id", "contract_id", "instalment_id", "amount", "received_on")
            .order_by("received_on", "id")
        )
        for payment in payments:
            by_contract[payment.contract_id].append(payment)
    rows = []
    for contract in latest:
        states = revenue_selectors.instalment_states(contract, by_contract[contract.pk])
        rows.append(
            ContractRow(
                contract=contract,
                paid=contract.paid_total,
                paid_percent=percent(contract.paid_total, contract.amount),
                overdue=[s for s in states if s.state == "overdue"],
            )
        )
    signed = Q(status__in=SIGNED_STATUSES)
    totals = Contract.objects.filter(account=account).aggregate(
        count=Count("id"),
        signed=Count("id", filter=signed),
        signed_amount=_total("amount", signed),
    )
    return rows, totals


def _deliveries(account: Account) -> tuple[list, dict]:
    current = week_of(clock.today())
    late = Q(
        status__in=(DeliveryStatus.PLANNED, DeliveryStatus.IN_PROGRESS),
        planned_week__lt=current,
    ) | (Q(status=DeliveryStatus.DONE, actual_week__gt=F("planned_week")) & ~Q(actual_week=""))
    qs = Delivery.objects.filter(account=account)
    latest = list(qs.select_related("contract").order_by("-planned_week", "-id")[:LATEST])
    totals = qs.aggregate(
        count=Count("id"),
        done=Count("id", filter=Q(status=DeliveryStatus.DONE)),
        late=Count("id", filter=late),
    )
    return latest, totals


def account_360(*, user, pk: int) -> Account360:
    """The 360 view of one account ``user`` may see (``Account.DoesNotExist`` otherwise)."""
    account = (
        Account.objects.visible_to(user).select_related("owner", "created_by", "ltv").get(pk=pk)
    )
    contracts, contract_totals = _contracts(account)
    invoices = Invoice.objects.filter(account=account)
    deliveries, delivery_totals = _deliveries(account)
    value = getattr(account, "ltv", None)
    if value is None:  # not computed yet (an account before its first revenue event)
        value = ltv.ltv_recompute(account=account)
    owner_rows = ltv.rep_ltv(user=user, owner_ids=[account.owner_id])
    return Account360(
        account=account,
        chain=selectors.decision_chain(account),
        contracts=contracts,
        contract_totals=contract_totals,
        invoices=list(invoices.select_related("contract").order_by("-issued_on", "-id")[:LATEST]),
        invoice_totals=invoices.aggregate(
            count=Count("id"),
            issued_amount=_total("amount", Q(status=InvoiceStatus.ISSUED)),
        ),
        deliveries=deliveries,
        delivery_totals=delivery_totals,
        tickets=list(
            ServiceTicket.objects.filter(account=account).order_by("-opened_at", "-id")[:LATEST]
        ),
        ticket_times=aftersales_selectors.ticket_response_times(account),
        complaints=list(
            Complaint.objects.filter(account=account)
            .open()
            .select_related("owner")
            .order_by(_MAJOR_FIRST, "-raised_on", "-id")[:LATEST]
        ),
        open_complaints=aftersales_selectors.open_complaints_by_severity(account),
        nps_trend=aftersales_selectors.nps_trend(account),
        renewals=list(Renewal.objects.filter(account=account).order_by("-due_on", "-id")[:LATEST]),
        renewal_totals=aftersales_selectors.renewal_totals(account),
        ltv=ltv.explain(value),
        ltv_value=value,
        owner_ltv=owner_rows[0] if owner_rows else None,
        activities=list(
            activity_selectors.account_activities(user=user, account=account)
            .select_related(None)
            .select_related("owner", "tag", "contact")
            .order_by("-started_at", "-id")[:LATEST]
        ),
        history=history_entries(account, limit=HISTORY),
        links=see_all_links(account),
    )


def see_all_links(account: Account) -> dict[str, str]:
    """The list pages filtered by the account, for each section's "see all"."""
    q = f"?account={account.pk}"
    return {
        "contacts": reverse("customers:contact_list") + q,
        "contracts": reverse("revenue:contract_list") + q,
        "payments": reverse("revenue:payment_list") + q,
        "invoices": reverse("revenue:invoice_list") + q,
        "tickets": reverse("aftersales:ticket_list") + q,
        "complaints": reverse("aftersales:complaint_list") + q,
        "nps": reverse("aftersales:nps_list") + q,
        "renewals": reverse("aftersales:renewal_list") + q,
        "activities": reverse("activities:activity_list") + q,
        "history": reverse("customers:account_history", args=[account.pk]),
    }


def _money(value) -> str:
    return str(value if value is not None else ZERO)


def as_json(data: Account360) -> dict:
    """The 360 view as JSON-ready data (``GET /api/v1/accounts/{id}/360``)."""
    account = data.account
    return {
        "account": {
            "id": account.pk,
            "name": account.name,
            "owner": {"id": account.owner_id, "label": account.owner.label},
            "level": account.level,
            "url": reverse("customers:account_360", args=[account.pk]),
        },
        "decision_chain": {
            "reached": data.chain.reached,
            "total": data.chain.total,
            "roles": [
                {
                    "role": link.role,
                    "reached": link.reached,
                    "contacts": [
                        {"id": c.pk, "name": c.name, "title": c.title} for c in link.contacts
                    ],
                }
                for link in data.chain.links
            ],
            "others": [{"id": c.pk, "name": c.name} for c in data.chain.others],
        },
        "contracts": {
            **data.contract_totals,
            "signed_amount": _money(data.contract_totals["signed_amount"]),
            "latest": [
                {
                    "id": row.contract.pk,
                    "number": row.contract.number,
                    "status": row.contract.status,
                    "amount": _money(row.contract.amount),
                    "paid": _money(row.paid),
                    "paid_percent": str(row.paid_percent),
                    "overdue_instalments": [
                        {
                            "sequence": s.instalment.sequence,
                            "due_on": s.instalment.due_on,
                            "outstanding": _money(s.outstanding),
                        }
                        for s in row.overdue
                    ],
                }
                for row in data.contracts
            ],
        },
        "invoices": {
            "count": data.invoice_totals["count"],
            "issued_amount": _money(data.invoice_totals["issued_amount"]),
            "latest": [
                {
                    "id": i.pk,
                    "number": i.number,
                    "amount": _money(i.amount),
                    "issued_on": i.issued_on,
                    "status": i.status,
                }
                for i in data.invoices
            ],
        },
        "deliveries": {
            **data.delivery_totals,
            "latest": [
                {
                    "id": d.pk,
                    "name": d.name,
                    "contract": d.contract.number,
                    "planned_week": d.planned_week,
                    "actual_week": d.actual_week,
                    "status": d.status,
                    "late": d.is_late,
                }
                for d in data.deliveries
            ],
        },
        "tickets": {
            **{k: (str(v) if isinstance(v, Decimal) else v) for k, v in data.ticket_times.items()},
            "latest": [
                {
                    "id": t.pk,
                    "subject": t.subject,
                    "priority": t.priority,
                    "state": t.state,
                    "opened_at": t.opened_at,
                    "response_working_minutes": t.response_working_minutes,
                    "resolution_working_minutes": t.resolution_working_minutes,
                }
                for t in data.tickets
            ],
        },
        "complaints": {
            "open": data.open_complaints,
            "latest_open": [
                {
                    "id": c.pk,
                    "summary": c.summary,
                    "severity": c.severity,
                    "status": c.status,
                    "raised_on": c.raised_on,
                }
                for c in data.complaints
            ],
        },
        "nps_trend": [
            {**row, "average": None if row["average"] is None else str(row["average"])}
            for row in data.nps_trend
        ],
        "renewals": {
            **{k: v for k, v in data.renewal_totals.items() if k != "renewed_amount"},
            "renewed_amount": _money(data.renewal_totals["renewed_amount"]),
            "latest": [
                {
                    "id": r.pk,
                    "contract_number": r.contract_number,
                    "due_on": r.due_on,
                    "status": r.status,
                    "amount": _money(r.amount),
                }
                for r in data.renewals
            ],
        },
        "ltv": ltv.payload(data.ltv_value, data.ltv),
        "owner_ltv": None
        if data.owner_ltv is None
        else {
            **data.owner_ltv,
            "total": _money(data.owner_ltv["total"]),
            "average": _money(data.owner_ltv["average"]),
        },
        "activities": [
            {"id": a.pk, "kind": a.kind, "started_at": a.started_at, "owner": a.owner.label}
            for a in data.activities
        ],
        "history": [
            {
                "date": e["date"],
                "user": e["user"].label if e["user"] else None,
                "type": e["type"],
                "changes": [
                    {"field": c["field"], "old": c["old"], "new": c["new"]} for c in e["changes"]
                ],
            }
            for e in data.history
        ],
        "links": data.links,
    }

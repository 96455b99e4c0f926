"""The visit data snapshot (SPEC A8): what a rep should know about an account while
logging a visit or call on it — its last 30 days of order fulfilment, service-ticket
response times, open complaints and the knowledge searches made for it.

Served as an htmx fragment beside the check-in form (``reports:account_snapshot``).
Visibility is the account's: :func:`account_snapshot` raises ``Account.DoesNotExist``
(→ 404) for an account the user may not see; every figure then belongs to that account.
A fixed number of aggregate queries, whatever the account's history.

Definitions (last 30 days = the 30 calendar days up to and including today):

* orders: placed in the window — how many, their amount, the amount fulfilled, still
  open, cancelled; fulfilment = fulfilled ÷ (ordered − cancelled);
* deliveries: milestones planned for an ISO week touching the window — done (on time
  or late) against planned, and those overdue (not done, planned week over);
* tickets: opened in the window — average first response (working minutes and hours),
  how many still wait for a first response; plus the account's unresolved tickets of
  any age;
* complaints: every open complaint of the account (any age: an open one matters
  whenever it was raised), major first, the latest three named;
* knowledge searches made for the account (its leads, its deals): :func:`knowledge_searches`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce

from salesops.aftersales import selectors as aftersales_selectors
from salesops.aftersales.models import Complaint, ServiceTicket
from salesops.core import clock
from salesops.core.money import percent
from salesops.customers.models import Account
from salesops.knowledge import selectors as knowledge_selectors
from salesops.revenue.models import Delivery, DeliveryStatus, Order, OrderStatus
from salesops.revenue.weeks import week_of

WINDOW_DAYS = 30
LATEST_COMPLAINTS = 3
ZERO = Decimal("0.00")


def _money(condition: Q | None = None):
    return Coalesce(
        Sum("amount", filter=condition),
        Value(ZERO),
        output_field=DecimalField(max_digits=16, decimal_places=2),
    )


@dataclass
class Snapshot:
    account: Account
    since: dt.date
    until: dt.date
    orders: dict
    deliveries: dict
    tickets: dict
    open_tickets: int
    complaints: dict
    latest_complaints: list
    knowledge: list

    @property
    def is_empty(self) -> bool:
        return not (
            self.orders["count"]
            or self.deliveries["planned"]
            or self.tickets["count"]
            or self.open_tickets
            or self.complaints["total"]
            or self.knowledge
        )


def _orders(account: Account, since: dt.date, until: dt.date) -> dict:
    row = Order.objects.filter(account=account, ordered_on__gte=since, ordered_on__lte=until)
    row = row.aggregate(
        count=Count("id"),
        ordered=_money(),
        fulfilled=_money(Q(status=OrderStatus.FULFILLED)),
        open=_money(Q(status=OrderStatus.OPEN)),
        cancelled=_money(Q(status=OrderStatus.CANCELLED)),
        fulfilled_count=Count("id", filter=Q(status=OrderStatus.FULFILLED)),
    )
    row["fulfilment"] = percent(row["fulfilled"], row["ordered"] - row["cancelled"])
    return row


def _deliveries(account: Account, since: dt.date, until: dt.date) -> dict:
    first, current = week_of(since), week_of(until)
    done = Q(status=DeliveryStatus.DONE)
    overdue = Q(
        status__in=(DeliveryStatus.PLANNED, DeliveryStatus.IN_PROGRESS), planned_week__lt=current
    )
    done_late = done & Q(actual_week__gt=F("planned_week")) & ~Q(actual_week="")
    row = (
        Delivery.objects.filter(account=account, planned_week__gte=first, planned_week__lte=current)
        .exclude(status=DeliveryStatus.CANCELLED)
        .aggregate(
            planned=Count("id"),
            done=Count("id", filter=done),
            done_late=Count("id", filter=done_late),
            overdue=Count("id", filter=overdue),
        )
    )
    row["done_rate"] = percent(row["done"], row["planned"])
    return row


def knowledge_searches(user, account: Account) -> list[dict]:
    """The knowledge-base searches made for this account (or its leads and deals) in the
    window, as ``[{"query": str, "count": int, "last": datetime}]``, most frequent first
    (``knowledge.selectors.searches_for_account``: those of people ``user`` may see)."""
    found: dict[str, dict] = {}
    for usage in knowledge_selectors.searches_for_account(
        user, account, days=WINDOW_DAYS, limit=200
    ):
        query = (usage.query or "").strip()
        if not query:
            continue
        row = found.setdefault(query, {"query": query, "count": 0, "last": usage.at})
        row["count"] += 1
        row["last"] = max(row["last"], usage.at)
    return sorted(found.values(), key=lambda r: (-r["count"], -r["last"].timestamp()))[:10]


def account_snapshot(*, user, pk: int) -> Snapshot:
    """The snapshot of one account ``user`` may see (``Account.DoesNotExist`` otherwise)."""
    account = Account.objects.visible_to(user).get(pk=pk)
    until = clock.today()
    since = until - dt.timedelta(days=WINDOW_DAYS - 1)
    start = clock.now() - dt.timedelta(days=WINDOW_DAYS)
    counts = aftersales_selectors.open_complaints_by_severity(account)
    complaints = {"total": sum(counts.values()), **counts}
    latest = list(
        Complaint.objects.filter(account=account)
        .open()
        .order_by("-raised_on", "-id")
        .only("id", "summary", "severity", "raised_on", "status")[:LATEST_COMPLAINTS]
    )
    return Snapshot(
        account=account,
        since=since,
        until=until,
        orders=_orders(account, since, until),
        deliveries=_deliveries(account, since, until),
        tickets=aftersales_selectors.ticket_response_times(account, since=start),
        open_tickets=ServiceTicket.objects.filter(account=account).unresolved().count(),
        complaints=complaints,
        latest_complaints=latest,
        knowledge=knowledge_searches(user, account),
    )

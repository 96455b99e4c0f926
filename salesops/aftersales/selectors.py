"""Reads of after-sales records, always through visibility, and the per-account signals
the Account 360 page, deal health and bonus coefficients read (NPS trend, response
times, open complaints, renewals due)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Q, Sum
from django.db.models.functions import TruncMonth

from salesops.core import clock
from salesops.core.visibility import editable_owner_ids, is_customer_success
from salesops.customers.models import Account
from salesops.org import selectors as org_selectors
from salesops.org.models import Role, User

from .filters import ComplaintFilterSet, NpsFilterSet, RenewalFilterSet, TicketFilterSet
from .models import (
    Complaint,
    NpsCategory,
    NpsResponse,
    Renewal,
    RenewalStatus,
    ServiceTicket,
    Severity,
)

FILTERSETS = {
    Complaint: ComplaintFilterSet,
    NpsResponse: NpsFilterSet,
    ServiceTicket: TicketFilterSet,
    Renewal: RenewalFilterSet,
}
_JOINS = {Complaint: ("account", "account__owner", "owner", "contact")}


def _visible(model, user):
    joins = _JOINS.get(model, ("account", "account__owner"))
    return model.objects.visible_to(user).select_related(*joins)


def filterset(model, *, user, data):
    """The model's filterset over what ``user`` may see (page, API and export share it)."""
    return FILTERSETS[model](data, queryset=_visible(model, user))


def record_list(model, *, user, filters: dict | None = None):
    qs = _visible(model, user)
    if filters:
        fs = FILTERSETS[model](filters, queryset=qs)
        qs = fs.qs if fs.is_valid() else qs.none()
    return qs


def record_get(model, *, user, pk: int):
    """One record ``user`` may see; ``DoesNotExist`` otherwise (→ 404)."""
    return _visible(model, user).select_related("created_by").get(pk=pk)


def record_get_for_edit(model, *, user, pk: int):
    joins = _JOINS.get(model, ("account", "account__owner"))
    return model.objects.editable_by(user).select_related(*joins).get(pk=pk)


def record_editable(*, user, record) -> bool:
    """Whether ``user`` may change ``record``; no query beyond the (cached) team lookup."""
    if user.is_read_only_role:
        return False
    ids = editable_owner_ids(user)
    if ids is None or record.account.owner_id in ids:
        return True
    if isinstance(record, Complaint) and record.owner_id == user.pk:
        return True
    # Customer success works the records of the accounts in their book (one query).
    return (
        is_customer_success(user) and editable_accounts(user).filter(pk=record.account_id).exists()
    )


def editable_accounts(user):
    """Accounts ``user`` may record after-sales facts for: those they may edit, and for
    customer success the accounts of their book (core.visibility)."""
    if is_customer_success(user):
        return Account.objects.editable_by(user) | Account.objects.in_success_book(user)
    return Account.objects.editable_by(user)


def handler_options(user, *, current_id: int | None = None):
    """Who may be offered as the handler of a complaint ``user`` records.

    A handler sees and edits the complaint (``record_editable``), so offering someone is
    handing them the record. Offered: the users ``user`` may give records to
    (``org.selectors.visible_users``: themselves; for a manager, everyone in the team
    subtrees they manage; everyone for directors and admins), plus every active
    customer-success manager, since working complaints handed over is their job
    company-wide. Never other reps the user cannot see: listing them would show other
    teams' people, and a rep could hand a customer's complaint to someone outside the
    account's line. ``current_id`` (the handler of the record being edited) stays
    selectable so saving other fields keeps them."""
    condition = Q(pk__in=org_selectors.visible_users(user).values("pk")) | Q(
        is_active=True, role=Role.CUSTOMER_SUCCESS
    )
    if current_id:
        condition |= Q(pk=current_id)
    return User.objects.filter(condition)


# --- per-account signals ------------------------------------------------------------------------


def _one_place(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def nps_score(promoters: int, detractors: int, total: int) -> int | None:
    """Net Promoter Score: % promoters − % detractors, −100…100; ``None`` without answers."""
    if not total:
        return None
    value = Decimal(promoters - detractors) * 100 / Decimal(total)
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def nps_trend(account: Account, *, months: int = 12) -> list[dict]:
    """NPS by calendar month for the last ``months`` months (oldest first), one grouped
    query: ``{"month": date (1st), "count", "average", "promoters", "detractors", "nps"}``.
    Months without answers are left out."""
    today = clock.today()
    year, month = divmod(today.year * 12 + today.month - 1 - (months - 1), 12)
    first = dt.date(year, month + 1, 1)
    rows = (
        NpsResponse.objects.filter(account=account, responded_on__gte=first)
        .annotate(month=TruncMonth("responded_on"))
        .values("month")
        .annotate(
            count=Count("id"),
            average=Avg("score"),
            promoters=Count("id", filter=Q(category=NpsCategory.PROMOTER)),
            detractors=Count("id", filter=Q(category=NpsCategory.DETRACTOR)),
        )
        .order_by("month")
    )
    trend = []
    for row in rows:
        month = row["month"]
        if isinstance(month, dt.datetime):  # some backends truncate a date to a datetime
            month = month.date()
        trend.append(
            {
                "month": month,
                "count": row["count"],
                "average": _one_place(row["average"]),
                "promoters": row["promoters"],
                "detractors": row["detractors"],
                "nps": nps_score(row["promoters"], row["detractors"], row["count"]),
            }
        )
    return trend


def ticket_response_times(account: Account, *, since: dt.datetime | None = None) -> dict:
    """Averages over the account's tickets (opened since ``since``): first response and
    resolution in working minutes and wall-clock hours, and how many still wait for a
    first response. One aggregate query."""
    qs = ServiceTicket.objects.filter(account=account)
    if since is not None:
        qs = qs.filter(opened_at__gte=since)
    row = qs.aggregate(
        count=Count("id"),
        waiting=Count("id", filter=Q(first_response_at__isnull=True, resolved_at__isnull=True)),
        unresolved=Count("id", filter=Q(resolved_at__isnull=True)),
        response_working_minutes=Avg("response_working_minutes"),
        response_hours=Avg("response_hours"),
        resolution_working_minutes=Avg("resolution_working_minutes"),
        resolution_hours=Avg("resolution_hours"),
    )
    for key in (
        "response_working_minutes",
        "response_hours",
        "resolution_working_minutes",
        "resolution_hours",
    ):
        row[key] = _one_place(row[key])
    return row


def open_complaints_by_severity(account: Account) -> dict[str, int]:
    """``{"major": n, "minor": n}`` of the account's complaints not yet resolved."""
    rows = (
        Complaint.objects.filter(account=account)
        .open()
        .values("severity")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {value: 0 for value, _label in Severity.choices}
    counts.update({row["severity"]: row["n"] for row in rows})
    return counts


def renewals_due(account: Account | None = None, *, user=None, days: int = 90):
    """Pending renewals due from today to ``days`` days ahead, soonest first: of one
    account, or of every account ``user`` sees (a dashboard card)."""
    today = clock.today()
    qs = Renewal.objects.filter(
        status=RenewalStatus.PENDING,
        due_on__gte=today,
        due_on__lte=today + dt.timedelta(days=days),
    )
    if account is not None:
        qs = qs.filter(account=account)
    if user is not None:
        qs = qs.visible_to(user)
    return qs.select_related("account").order_by("due_on", "id")


def renewal_totals(account: Account) -> dict:
    """Renewed and lost amounts and counts of the account (for its 360 page)."""
    return Renewal.objects.filter(account=account).aggregate(
        renewed=Count("id", filter=Q(status=RenewalStatus.RENEWED)),
        lost=Count("id", filter=Q(status=RenewalStatus.LOST)),
        pending=Count("id", filter=Q(status=RenewalStatus.PENDING)),
        renewed_amount=Sum("amount", filter=Q(status=RenewalStatus.RENEWED)),
    )


def account_signals(account: Account, *, days: int = 90) -> dict:
    """Everything above for one account (the Account 360 page)."""
    return {
        "nps_trend": nps_trend(account),
        "tickets": ticket_response_times(account),
        "open_complaints": open_complaints_by_severity(account),
        "renewals_due": list(renewals_due(account, days=days)),
        "renewals": renewal_totals(account),
    }

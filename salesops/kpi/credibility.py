"""Data-credibility red and black lists (K9), computed once a month per active rep.

* **Source accuracy** = 100 × (1 − corrected ÷ leads) over the leads the rep owns that were
  created in the month. A lead is *corrected* when any later version of it (its
  simple-history rows) has a different channel from its creation row — the source a rep
  picked was wrong and someone changed it.
* **Level timeliness**: the qualifying event is a **contract signed** (``signed_on`` in
  the month) on an account the rep owns. For each, the calendar days from the signing day
  until the account's ``level`` next changed (its history rows). When the level has not
  changed by the day of the computation, the event counts the days from signing until
  that day (at least until the month's end) and is marked *open*: it is still counting,
  so a later recomputation gives it more days. The rep's figure is the average.
* **Lists** (thresholds on :class:`GrowthPolicy`), only for a rep with at least
  ``credibility_min_leads`` leads in the month: *black* when accuracy <
  ``black_max_accuracy`` or average days ≥ ``black_min_days``; otherwise *red* when
  accuracy ≥ ``red_min_accuracy`` and average days ≤ ``red_max_days`` (a rep with no
  qualifying event has nothing late and passes the second condition).

The entry keeps the counts, the ids behind them and the thresholds used (P4).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from salesops.core import clock
from salesops.customers.models import Account
from salesops.leads.models import Channel, Lead
from salesops.org.models import Role
from salesops.revenue.models import Contract

from . import permissions
from .models import CredibilityEntry, CredibilityList, GrowthPolicy
from .periods import month_bounds

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
_DAY = dt.timedelta(days=1)
THRESHOLDS = (
    "red_min_accuracy",
    "red_max_days",
    "black_max_accuracy",
    "black_min_days",
    "credibility_min_leads",
)


def previous_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def corrected_leads(lead_ids: list[int]) -> dict[int, dict]:
    """Per corrected lead: the channel it was created with and the one it has now."""
    history = Lead.history.model.objects.filter(id__in=lead_ids).order_by(
        "id", "history_date", "history_id"
    )
    first: dict[int, int] = {}
    out: dict[int, dict] = {}
    for row in history.values("id", "history_type", "channel_id").iterator(chunk_size=2000):
        lead_id = row["id"]
        if lead_id not in first:
            first[lead_id] = row["channel_id"]
        elif row["channel_id"] != first[lead_id]:
            out[lead_id] = {"id": lead_id, "from": first[lead_id], "to": row["channel_id"]}
    return out


def level_events(owner_id: int, first: dt.date, last: dt.date, as_of: dt.date) -> list[dict]:
    """Each contract signed in [first, last] on the rep's accounts, with the days until
    the account's level next changed (``open`` when it has not changed by ``as_of``)."""
    contracts = list(
        Contract.objects.filter(
            account__owner_id=owner_id, signed_on__gte=first, signed_on__lte=last
        )
        .order_by("signed_on", "pk")
        .values("pk", "account_id", "signed_on")
    )
    if not contracts:
        return []
    accounts = {c["account_id"] for c in contracts}
    changes: dict[int, list[tuple[dt.datetime, str]]] = defaultdict(list)
    previous: dict[int, str] = {}
    rows = (
        Account.history.model.objects.filter(id__in=accounts)
        .order_by("id", "history_date", "history_id")
        .values_list("id", "history_date", "level")
    )
    for account_id, moment, level in rows:
        if account_id in previous and previous[account_id] != level:
            changes[account_id].append((moment, level))
        previous[account_id] = level
    events = []
    for contract in contracts:
        start = _aware(contract["signed_on"])
        change = next((c for c in changes[contract["account_id"]] if c[0] >= start), None)
        if change is None:
            until = max(as_of, last)
            days, level, is_open = (until - contract["signed_on"]).days, "", True
        else:
            changed_on = timezone.localtime(change[0]).date()
            days, level, is_open = (changed_on - contract["signed_on"]).days, change[1], False
        events.append(
            {
                "contract_id": contract["pk"],
                "account_id": contract["account_id"],
                "signed_on": contract["signed_on"].isoformat(),
                "days": days,
                "level": level,
                "open": is_open,
            }
        )
    return events


def listed(policy: GrowthPolicy, leads: int, accuracy: Decimal | None, days: Decimal | None) -> str:
    """The list a rep's month puts them on ("red", "black" or "")."""
    if leads < policy.credibility_min_leads or accuracy is None:
        return CredibilityList.NONE
    if accuracy < policy.black_max_accuracy or (days is not None and days >= policy.black_min_days):
        return CredibilityList.BLACK
    if accuracy >= policy.red_min_accuracy and (days is None or days <= policy.red_max_days):
        return CredibilityList.RED
    return CredibilityList.NONE


def figures_for(user, first: dt.date, last: dt.date, policy: GrowthPolicy, as_of: dt.date):
    """One rep's month: the entry's fields (not saved)."""
    lead_ids = list(
        Lead.objects.filter(
            owner_id=user.pk, created_at__gte=_aware(first), created_at__lt=_aware(last) + _DAY
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    corrected = corrected_leads(lead_ids) if lead_ids else {}
    accuracy = None
    if lead_ids:
        share = Decimal(len(corrected)) / Decimal(len(lead_ids))
        accuracy = (HUNDRED * (1 - share)).quantize(CENT, ROUND_HALF_UP)
    events = level_events(user.pk, first, last, as_of)
    days = None
    if events:
        days = (Decimal(sum(e["days"] for e in events)) / len(events)).quantize(CENT, ROUND_HALF_UP)
    return {
        "team_id": user.team_id,
        "leads": len(lead_ids),
        "corrected": len(corrected),
        "source_accuracy": accuracy,
        "level_events": len(events),
        "level_days": days,
        "listed": listed(policy, len(lead_ids), accuracy, days),
        "inputs": {
            "as_of": as_of.isoformat(),
            "event": "contract_signed",
            "lead_ids": lead_ids,
            "corrected": list(corrected.values()),
            "events": events,
            "thresholds": {name: getattr(policy, name) for name in THRESHOLDS},
        },
    }


def reps():
    return get_user_model().objects.filter(is_active=True, role=Role.REP).order_by("pk")


@transaction.atomic
def compute_month(month_start: dt.date) -> int:
    """Compute (or recompute) the month's entry of every active rep; returns how many."""
    first, last = month_bounds(month_start)
    policy = GrowthPolicy.current()
    as_of = clock.today()
    now = clock.now()
    count = 0
    for user in reps():
        values = figures_for(user, first, last, policy, as_of)
        CredibilityEntry.objects.update_or_create(
            user=user, month=first, defaults={**values, "computed_at": now}
        )
        count += 1
    return count


# --- what each viewer sees ---------------------------------------------------------------


def visible_entries(user, month: dt.date):
    """The month's figures of the reps ``user`` may see (a rep: their own)."""
    rows = CredibilityEntry.objects.filter(month=month.replace(day=1)).select_related(
        "user", "team"
    )
    if not permissions.has_kpi(user):
        return rows.none()
    ids = permissions.visible_user_ids(user)
    return rows if ids is None else rows.filter(user_id__in=ids)


def red_list(user, month: dt.date):
    """The month's red list: public to everyone with KPI access."""
    rows = CredibilityEntry.objects.filter(
        month=month.replace(day=1), listed=CredibilityList.RED
    ).select_related("user", "team")
    return rows if permissions.has_kpi(user) else rows.none()


def black_list(user, month: dt.date):
    """The month's black list: reviewers only, for the reps they see; nothing for others."""
    if not permissions.sees_black_list(user):
        return CredibilityEntry.objects.none()
    return visible_entries(user, month).filter(listed=CredibilityList.BLACK)


def shown_list(user, entry: CredibilityEntry) -> str:
    """The list to show on ``entry``'s row: a black listing only to those who see the
    black list."""
    if entry.listed == CredibilityList.BLACK and not permissions.sees_black_list(user):
        return CredibilityList.NONE
    return entry.listed


def months_available() -> list[dt.date]:
    return list(
        CredibilityEntry.objects.order_by("-month").values_list("month", flat=True).distinct()[:24]
    )


def drill_down(entry: CredibilityEntry) -> dict:
    """The corrected leads and the qualifying events behind ``entry``, with the records."""
    inputs = entry.inputs or {}
    corrected = inputs.get("corrected", [])
    leads = Lead.objects.in_bulk([c["id"] for c in corrected])
    channels = Channel.objects.in_bulk(
        {c["from"] for c in corrected} | {c["to"] for c in corrected}
    )
    events = inputs.get("events", [])
    contracts = Contract.objects.in_bulk([e["contract_id"] for e in events])
    accounts = Account.objects.in_bulk([e["account_id"] for e in events])
    return {
        "corrected": [
            {
                **c,
                "lead": leads.get(c["id"]),
                "from_channel": channels.get(c["from"]),
                "to_channel": channels.get(c["to"]),
            }
            for c in corrected
        ],
        "events": [
            {
                **e,
                "contract": contracts.get(e["contract_id"]),
                "account": accounts.get(e["account_id"]),
            }
            for e in events
        ],
        "thresholds": inputs.get("thresholds", {}),
        "as_of": inputs.get("as_of"),
    }

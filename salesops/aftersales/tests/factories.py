"""Factories for after-sales records, built through the services (audit + events)."""

import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

from salesops.aftersales import services

SH = ZoneInfo("Asia/Shanghai")
_seq = itertools.count(1)


def at(day: str, hhmm: str) -> dt.datetime:
    """An instant in Shanghai time (where the business calendar counts working hours)."""
    return dt.datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=SH)


def make_complaint(account, **data):
    data.setdefault("summary", f"投诉 {next(_seq)}")
    data.setdefault("severity", "minor")
    data.setdefault("raised_on", dt.date(2026, 3, 2))
    return services.complaint_create(
        actor=data.pop("actor", account.owner), account=account, **data
    )


def make_nps(account, **data):
    data.setdefault("score", 9)
    data.setdefault("responded_on", dt.date(2026, 3, 2))
    return services.nps_create(actor=data.pop("actor", account.owner), account=account, **data)


def make_ticket(account, **data):
    data.setdefault("subject", f"工单 {next(_seq)}")
    data.setdefault("opened_at", at("2026-03-02", "10:00"))
    return services.ticket_create(actor=data.pop("actor", account.owner), account=account, **data)


def make_renewal(account, **data):
    data.setdefault("due_on", dt.date(2026, 6, 30))
    data.setdefault("amount", Decimal("12000.00"))
    return services.renewal_create(actor=data.pop("actor", account.owner), account=account, **data)

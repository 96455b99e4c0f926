"""Data for the growth tests (K6–K8): closed business, radar rows, points."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from salesops.customers.tests.factories import make_account, make_contact
from salesops.kpi.models import RadarScore
from salesops.revenue.tests.factories import make_contract

TZ = timezone.get_default_timezone()


def at(day: dt.date, hhmm: str = "10:00") -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(f"{day.isoformat()}T{hhmm}"), TZ)


def closed_accounts(rep, n: int, signed_on: dt.date, *, email: bool = True) -> list:
    """``n`` accounts of ``rep``, each with a contract signed on ``signed_on`` and a
    contact (with an e-mail address unless told otherwise)."""
    accounts = []
    for _i in range(n):
        account = make_account(rep)
        make_contract(
            account,
            signed_on=signed_on,
            instalments=[{"due_on": signed_on + dt.timedelta(days=30), "percent": "100"}],
        )
        data = {"email": f"buyer{account.pk}@example.com"} if email else {}
        make_contact(account, **data)
        accounts.append(account)
    return accounts


def radar(user, start: dt.date, value, team_average=None, *, dimension="customer_depth"):
    end = dt.date(start.year + (start.month > 9), (start.month + 2) % 12 + 1, 1) - dt.timedelta(
        days=1
    )
    return RadarScore.objects.create(
        user=user,
        team=user.team,
        dimension=dimension,
        period_start=start,
        period_end=end,
        value=Decimal(str(value)),
        team_average=None if team_average is None else Decimal(str(team_average)),
    )

"""The home page's incentives cards: a rep's "My bonus" and finance's months to approve."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from salesops.incentives import ledger
from salesops.incentives.models import LineKind, LineState, PayoutPeriod, PeriodState
from salesops.org.models import Role
from salesops.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 10, 10, 0, tzinfo=dt.UTC)


def _line(rep, month, amount, key, state=LineState.EARNED, kind=LineKind.MONTHLY):
    return ledger.write(
        rep=rep, period=month, kind=kind, state=state, amount=Decimal(amount), key=key
    )


@time_machine.travel(NOW, tick=False)
def test_a_rep_sees_this_and_last_months_bonus_and_only_their_own(client):
    rep, other = UserFactory(role=Role.REP), UserFactory(role=Role.REP)
    _line(rep, dt.date(2026, 12, 1), "300.00", "a")
    _line(rep, dt.date(2026, 11, 1), "1000.00", "b")
    _line(rep, dt.date(2026, 12, 1), "50.00", "c", state=LineState.PENDING, kind=LineKind.TRANCHE)
    _line(other, dt.date(2026, 12, 1), "99999.00", "d")
    client.force_login(rep)
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="bonus-card"' in page
    assert "¥300.00" in page and "¥1,000.00" in page
    assert "99,999" not in page


@time_machine.travel(NOW, tick=False)
def test_finance_sees_the_closed_months_not_yet_locked(client):
    rep = UserFactory(role=Role.REP)
    _line(rep, dt.date(2026, 10, 1), "10.00", "oct")
    _line(rep, dt.date(2026, 11, 1), "10.00", "nov")
    _line(rep, dt.date(2026, 12, 1), "10.00", "dec")  # the current month: not closed yet
    PayoutPeriod.objects.create(month=dt.date(2026, 10, 1), state=PeriodState.LOCKED)
    client.force_login(UserFactory(role=Role.FINANCE))
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="approve-card-count">1<' in page
    assert "2026-11" in page and "2026-10" not in page

"""Per-account after-sales signals: NPS trend, response-time averages, open complaints,
renewals due."""

import datetime as dt
from decimal import Decimal

from salesops.aftersales import selectors
from salesops.aftersales.tests.factories import (
    at,
    make_complaint,
    make_nps,
    make_renewal,
    make_ticket,
)
from salesops.core import clock

NOW = at("2026-03-20", "10:00")


def test_nps_trend_by_month(account, accounts):
    with clock.frozen(NOW):
        for score in (10, 9, 6):  # 2 promoters, 1 detractor → NPS 33
            make_nps(account, score=score, responded_on=dt.date(2026, 2, 10))
        for score in (8, 3):  # 1 passive, 1 detractor → NPS −50
            make_nps(account, score=score, responded_on=dt.date(2026, 3, 5))
        make_nps(account, score=10, responded_on=dt.date(2024, 1, 5))  # outside 12 months
        make_nps(accounts["rep_b"], score=0, responded_on=dt.date(2026, 3, 5))  # other account
        trend = selectors.nps_trend(account)
    assert [(r["month"], r["count"], r["average"], r["nps"]) for r in trend] == [
        (dt.date(2026, 2, 1), 3, Decimal("8.3"), 33),
        (dt.date(2026, 3, 1), 2, Decimal("5.5"), -50),
    ]


def test_nps_score_edges():
    assert selectors.nps_score(0, 0, 0) is None
    assert selectors.nps_score(4, 0, 4) == 100
    assert selectors.nps_score(0, 4, 4) == -100


def test_ticket_response_time_averages(account):
    make_ticket(
        account, opened_at=at("2026-03-02", "10:00"), first_response_at=at("2026-03-02", "10:30")
    )
    make_ticket(
        account,
        opened_at=at("2026-03-02", "17:30"),
        first_response_at=at("2026-03-03", "09:30"),
        resolved_at=at("2026-03-03", "10:30"),
    )
    make_ticket(account, opened_at=at("2026-03-04", "10:00"))
    times = selectors.ticket_response_times(account)
    assert times["count"] == 3 and times["waiting"] == 1 and times["unresolved"] == 2
    assert times["response_working_minutes"] == Decimal("45.0")  # (30 + 60) / 2
    assert times["response_hours"] == Decimal("8.3")  # (0.5 + 16) / 2, one place
    assert times["resolution_working_minutes"] == Decimal("120.0")


def test_open_complaints_by_severity(account):
    make_complaint(account, severity="major")
    make_complaint(account, severity="major", status="in_progress")
    make_complaint(account, severity="minor")
    make_complaint(account, severity="major", status="resolved")
    assert selectors.open_complaints_by_severity(account) == {"major": 2, "minor": 1}


def test_renewals_due_in_the_next_days(org, account, accounts):
    with clock.frozen(NOW):
        soon = make_renewal(account, due_on=dt.date(2026, 4, 1))
        later = make_renewal(account, due_on=dt.date(2026, 6, 1))
        make_renewal(account, due_on=dt.date(2026, 3, 1))  # overdue: not "due"
        make_renewal(account, due_on=dt.date(2026, 4, 2), status="renewed")
        theirs = make_renewal(accounts["rep_b"], due_on=dt.date(2026, 4, 1))
        assert list(selectors.renewals_due(account, days=30)) == [soon]
        assert list(selectors.renewals_due(account, days=90)) == [soon, later]
        assert list(selectors.renewals_due(user=org.rep_a, days=30)) == [soon]
        assert set(selectors.renewals_due(user=org.manager_east, days=30)) == {soon, theirs}


def test_account_signals_bundle(account):
    make_renewal(account, status="renewed", amount="5000")
    signals = selectors.account_signals(account)
    assert signals["renewals"]["renewed"] == 1
    assert signals["renewals"]["renewed_amount"] == Decimal("5000.00")
    assert signals["open_complaints"] == {"major": 0, "minor": 0}

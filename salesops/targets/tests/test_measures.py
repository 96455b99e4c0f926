"""The measures a target counts and the fiscal periods (hand-computed sums)."""

import datetime as dt
from decimal import Decimal

import pytest

from salesops.customers.tests.factories import make_account
from salesops.org.tests.factories import UserFactory
from salesops.revenue.tests.factories import make_contract, make_payment
from salesops.targets import measures
from salesops.targets.models import TargetPolicy

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def books():
    ann, bob = UserFactory(), UserFactory()
    a1 = make_contract(
        make_account(ann),
        amount=D("100000.00"),
        signed_on=dt.date(2026, 1, 10),
        product_line="software",
    )
    a2 = make_contract(
        make_account(ann),
        amount=D("50000.00"),
        signed_on=dt.date(2026, 2, 3),
        product_line="hardware",
    )
    b1 = make_contract(
        make_account(bob),
        amount=D("80000.00"),
        signed_on=dt.date(2026, 2, 20),
        product_line="software",
    )
    make_contract(
        make_account(bob), amount=D("9999.00"), signed_on=dt.date(2026, 2, 21), status="draft"
    )
    make_payment(a1, "30000.00", received_on=dt.date(2026, 1, 31))
    make_payment(a1, "20000.50", received_on=dt.date(2026, 2, 1))
    make_payment(a2, "10000.00", received_on=dt.date(2026, 3, 1))
    make_payment(b1, "40000.00", received_on=dt.date(2026, 2, 28))
    return ann, bob


def test_payments_by_owner_month_and_product_line(books):
    ann, bob = books
    start, end = dt.date(2026, 1, 1), dt.date(2026, 3, 1)  # March excluded
    assert measures.total("payments", start=start, end=end) == D("90000.50")
    assert measures.by_owner("payments", start=start, end=end) == {
        ann.pk: D("50000.50"),
        bob.pk: D("40000.00"),
    }
    months = measures.by_month("payments", start=start, end=end, owner_ids=[ann.pk])
    assert months == {dt.date(2026, 1, 1): D("30000.00"), dt.date(2026, 2, 1): D("20000.50")}
    software = measures.by_owner_month(
        "payments", start=start, end=dt.date(2026, 4, 1), product_line="software"
    )
    assert software == {
        ann.pk: {dt.date(2026, 1, 1): D("30000.00"), dt.date(2026, 2, 1): D("20000.50")},
        bob.pk: {dt.date(2026, 2, 1): D("40000.00")},
    }


def test_signed_contracts_ignore_drafts(books):
    ann, bob = books
    got = measures.by_owner("contracts", start=dt.date(2026, 1, 1), end=dt.date(2027, 1, 1))
    assert got == {ann.pk: D("150000.00"), bob.pk: D("80000.00")}


def test_fiscal_periods_follow_the_policy():
    policy = TargetPolicy.current()
    assert measures.fiscal_range(2026, policy) == (dt.date(2026, 1, 1), dt.date(2027, 1, 1))
    policy.fiscal_year_start_month = 4
    policy.save()
    months = measures.fiscal_months(2026, policy)
    assert months[0] == dt.date(2026, 4, 1) and months[-1] == dt.date(2027, 3, 1)
    assert measures.quarter_of(dt.date(2026, 6, 1), 2026, policy) == 1
    assert measures.quarter_of(dt.date(2027, 1, 1), 2026, policy) == 4
    with pytest.raises(ValueError):
        measures.quarter_of(dt.date(2026, 3, 1), 2026, policy)
    assert measures.months_between(dt.date(2025, 11, 15), dt.date(2026, 2, 1)) == [
        dt.date(2025, 11, 1),
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 1),
    ]

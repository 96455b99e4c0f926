"""The pure maths of the split: largest remainder (hand-computed and by hypothesis), the
monthly split by the seasonal index, medians and quarters."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesops.targets.allocation import decimal_median, largest_remainder, monthly_split, quarters

pytestmark = pytest.mark.django_db  # the session's seeded-rows fixture needs the test database
D = Decimal


def test_proportional_parts_floor_then_largest_remainders():
    # 100.00 by 1:1:1 → 33.333… each: floors 33.33 ×3 = 99.99, one cent left, ties → index 0.
    assert largest_remainder(D("100.00"), [D(1), D(1), D(1)]) == [
        D("33.34"),
        D("33.33"),
        D("33.33"),
    ]
    # 10.00 by 1.3 : 1.0 : 0.7 (sum 3.0) → 4.333…, 3.333…, 2.333… → 4.33, 3.33, 2.33 + 0.01
    # remainders: .333…, .333…, .333… (equal) → the first index gets the cent.
    assert largest_remainder(D("10.00"), [D("1.3"), D("1.0"), D("0.7")]) == [
        D("4.34"),
        D("3.33"),
        D("2.33"),
    ]
    # 1.00 by 1:2 → 33.33… and 66.66… cents: floors 33 + 66 = 99; remainders .33, .67 → second.
    assert largest_remainder(D("1.00"), [D(1), D(2)]) == [D("0.33"), D("0.67")]


def test_zero_weights_split_equally_and_zero_weight_gets_nothing():
    assert largest_remainder(D("0.05"), [D(0), D(0)]) == [D("0.03"), D("0.02")]
    assert largest_remainder(D("9.99"), [D(0), D(1)]) == [D("0.00"), D("9.99")]
    assert largest_remainder(D("0.00"), [D(1), D(3)]) == [D("0.00"), D("0.00")]
    assert largest_remainder(D("0.00"), []) == []


@pytest.mark.parametrize(
    "total, weights",
    [(D("-1.00"), [D(1)]), (D("1.001"), [D(1)]), (D("1.00"), [D(-1), D(2)]), (D("1.00"), [])],
)
def test_refuses_bad_input(total, weights):
    with pytest.raises(ValueError):
        largest_remainder(total, weights)


pools = st.integers(min_value=0, max_value=10**12).map(lambda c: D(c) / 100)
weights = st.lists(
    st.one_of(st.just(D(0)), st.decimals(min_value=0, max_value=1000, places=4)),
    min_size=1,
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(total=pools, weights=weights)
def test_parts_always_add_up_and_follow_the_weights(total, weights):
    parts = largest_remainder(total, weights)
    assert len(parts) == len(weights)
    assert sum(parts, D("0.00")) == total
    assert all(p >= 0 and p == p.quantize(D("0.01")) for p in parts)
    for i, wi in enumerate(weights):
        for j, wj in enumerate(weights):
            if wi > wj:
                assert parts[i] >= parts[j] - D("0.01")


def test_monthly_split_by_the_seasonal_index():
    # Equal indices → equal months; 1200.05 → 100.00 ×12 + 5 cents to the first five.
    months = monthly_split(D("1200.05"), ["1.00"] * 12)
    assert months == [D("100.01")] * 5 + [D("100.00")] * 7
    # 0.5 in January, 1.5 in December, 1 elsewhere (sum 12): 1200 → 50, 100 ×10, 150.
    index = ["0.5"] + ["1"] * 10 + ["1.5"]
    assert monthly_split(D("1200.00"), index) == [D(50)] + [D(100)] * 10 + [D(150)]
    assert quarters(monthly_split(D("1200.00"), index)) == [D(250), D(300), D(300), D(350)]


def test_median():
    assert decimal_median([D(3), D(1), D(2)]) == D(2)
    assert decimal_median([D(4), D(1), D(2), D(3)]) == D("2.5")
    assert decimal_median([]) is None

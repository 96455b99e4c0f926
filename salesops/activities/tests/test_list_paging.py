"""The list paginator's capped count and recent-first pages (core.pagination) on real
activities: the pages read from recent windows are exactly the pages of the whole list."""

import datetime as dt

import pytest
from django.core.paginator import Paginator

from salesops.activities.models import Activity
from salesops.activities.tests.conftest import account_for
from salesops.core import clock
from salesops.core.pagination import TwoStepPaginator


@pytest.fixture
def history(org):
    """60 activities of two reps over 200 days, denser recently (bulk: no rollup needed)."""
    now = clock.now()
    accounts = {
        org.rep_a: account_for(org.rep_a),
        org.rep_b: account_for(org.rep_b, "宁波海曙恒瑞贸易有限公司"),
    }
    rows = []
    for i in range(60):
        owner = org.rep_a if i % 3 else org.rep_b
        rows.append(
            Activity(
                kind="call",
                owner=owner,
                account=accounts[owner],
                started_at=now - dt.timedelta(hours=i * i),  # 0 h … 3,481 h (145 days)
            )
        )
    Activity.objects.bulk_create(rows)
    return rows


def ids(page):
    return [row.pk for row in page.object_list]


@pytest.mark.parametrize("number", [1, 2, 3])
def test_recent_windows_give_the_same_pages(history, org, number):
    lists = {
        "everyone": Activity.objects.order_by("-started_at", "-id"),
        "one rep": Activity.objects.filter(owner=org.rep_b).order_by("-started_at", "-id"),
    }
    for queryset in lists.values():
        plain = Paginator(queryset, 7)
        recent = TwoStepPaginator(queryset, 7, recent=("started_at", (1, 10, 60)), recent_min=0)
        if number <= plain.num_pages:
            assert ids(recent.page(number)) == ids(plain.page(number))


def test_recent_windows_only_for_the_list_order(history):
    by_kind = Activity.objects.order_by("kind", "id")
    paginator = TwoStepPaginator(by_kind, 7, recent=("started_at", (1,)), recent_min=0)
    assert paginator.recent is None
    assert ids(paginator.page(1)) == ids(Paginator(by_kind, 7).page(1))


def test_the_count_stops_at_the_cap(history):
    queryset = Activity.objects.order_by("-started_at", "-id")
    capped = TwoStepPaginator(queryset, 7, cap=20)
    assert capped.capped and capped.count == 20 and capped.num_pages == 3
    assert capped.count_display == "20+"
    exact = TwoStepPaginator(queryset, 7, cap=60)
    assert not exact.capped and exact.count == 60 and exact.count_display == ""

"""The LTV leaderboard (I6): totals and averages from the stored account values, the
cohort of first signing, team subtrees, competition ranks, visibility as for KPI
rankings, the page with its chart, the API (422 on bad input) and the export.

Given the ``org`` fixture's reps and these customers (value, first signing)::

    rep_a (East)      300,000 (2026-01-10)  100,000 (2026-02-05)     → 400,000 / 2 = 200,000
    rep_b (East)      300,000 (2025-11-20, renewed 2026-01-05)        → 300,000 / 1 = 300,000
    rep_c (Shanghai)  100,000 ×3 (2026-01-15, 2026-01-20, 2025-06-01) → 300,000 / 3 = 100,000
    rep_d (South)      50,000 (2026-03-01), one not computed yet (2026-03-02), one prospect
                                                                      →  50,000 / 2 =  25,000
"""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from salesops.core import clock
from salesops.customers.tests.factories import AccountFactory
from salesops.incentives import ltv_board
from salesops.kpi.models import KpiPolicy, RankingVisibility
from salesops.reports.models import AccountValue
from salesops.revenue.tests.factories import ContractFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 4, 10, 9, 0, tzinfo=dt.UTC)
API = "/api/v1/incentives/ltv"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


def customer(owner, value, *signed, computed=True):
    """An account of ``owner`` with a signed contract on each day of ``signed`` and, when
    ``computed``, a stored lifetime value of ``value``."""
    account = AccountFactory(owner=owner)
    for day in signed:
        ContractFactory(account=account, owner=owner, signed_on=day)
    if computed:
        AccountValue.objects.update_or_create(
            account=account,
            defaults={
                "realised": Decimal(value),
                "projected": Decimal("0.00"),
                "total": Decimal(value),
                "inputs": {},
                "formula_source": "0",
                "formula_version": 1,
                "computed_at": clock.now(),
            },
        )
    return account


@pytest.fixture
def book(org):
    d = dt.date
    customer(org.rep_a, "300000.00", d(2026, 1, 10))
    customer(org.rep_a, "100000.00", d(2026, 2, 5))
    customer(org.rep_b, "300000.00", d(2025, 11, 20), d(2026, 1, 5))
    for day in (d(2026, 1, 15), d(2026, 1, 20), d(2025, 6, 1)):
        customer(org.rep_c, "100000.00", day)
    customer(org.rep_d, "50000.00", d(2026, 3, 1))
    customer(org.rep_d, "0", d(2026, 3, 2), computed=False)
    customer(org.rep_d, "999999.00")  # a prospect: never signed, not a customer
    return org


def set_visibility(mode):
    policy = KpiPolicy.current()
    policy.ranking_visibility = mode
    policy.save()


def table(board):
    return [
        (r.name, r.accounts, r.total, r.average, r.rank_total, r.rank_average) for r in board.rows
    ]


def test_totals_averages_and_competition_ranks(book):
    result = ltv_board.board(book.director)
    assert table(result) == [
        ("Rep A", 2, Decimal("400000.00"), Decimal("200000.00"), 1, 2),
        ("Rep B", 1, Decimal("300000.00"), Decimal("300000.00"), 2, 1),
        ("Rep C", 3, Decimal("300000.00"), Decimal("100000.00"), 2, 3),
        ("Rep D", 2, Decimal("50000.00"), Decimal("25000.00"), 4, 4),
    ]
    assert result.total == 4 and result.names == "all" and result.me is None
    by_average = ltv_board.board(book.director, sort="average")
    assert [r.name for r in by_average.rows] == ["Rep B", "Rep A", "Rep C", "Rep D"]


def test_cohort_keeps_the_customers_first_signed_in_the_period(book):
    january = ltv_board.board(book.director, period="2026-01")
    assert table(january) == [
        ("Rep A", 1, Decimal("300000.00"), Decimal("300000.00"), 1, 1),
        ("Rep C", 2, Decimal("200000.00"), Decimal("100000.00"), 2, 2),
    ]  # rep_b's renewal in January does not make an old customer new
    quarter = ltv_board.board(book.director, period="2026-Q1")
    assert {r.name: r.accounts for r in quarter.rows} == {"Rep A": 2, "Rep C": 2, "Rep D": 2}
    year = ltv_board.board(book.director, period="2025")
    assert {r.name: r.total for r in year.rows} == {
        "Rep B": Decimal("300000.00"),
        "Rep C": Decimal("100000.00"),
    }
    assert ltv_board.board(book.director, period="2024").rows == []
    assert len(ltv_board.board(book.director, period="all").rows) == 4


def test_team_filter_ranks_the_subtree(book):
    east = ltv_board.board(book.director, team=book.east.pk)
    assert [(r.name, r.rank_total) for r in east.rows] == [
        ("Rep A", 1),
        ("Rep B", 2),
        ("Rep C", 2),
    ]
    shanghai = ltv_board.board(book.director, team=str(book.shanghai.pk))
    assert [r.name for r in shanghai.rows] == ["Rep C"] and shanghai.total == 1


def test_bad_filters_name_the_field(book):
    with pytest.raises(ValidationError) as exc:
        ltv_board.board(book.director, period="2026-13", team="999999", sort="size")
    assert set(exc.value.message_dict) == {"period", "team", "sort"}
    for bad in ("January", "2026-Q5", "1999", "2026-1-1"):
        with pytest.raises(ValidationError):
            ltv_board.parse_cohort(bad)
    assert ltv_board.parse_cohort("2026-q2").start == dt.date(2026, 4, 1)
    assert ltv_board.parse_cohort("2026-Q2").end == dt.date(2026, 6, 30)


def test_a_rep_always_sees_own_row_and_others_per_the_ranking_policy(book):
    set_visibility(RankingVisibility.RANK_ONLY)
    mine = ltv_board.board(book.rep_b)
    assert [r.name for r in mine.rows] == ["Rep B"] and mine.names == "own"
    assert (mine.me.rank_total, mine.me.rank_average, mine.total) == (2, 1, 4)

    set_visibility(RankingVisibility.TEAM)  # rep_b's team is East (not its Shanghai group)
    assert [r.name for r in ltv_board.board(book.rep_b).rows] == ["Rep A", "Rep B"]

    set_visibility(RankingVisibility.ORG)
    assert len(ltv_board.board(book.rep_b).rows) == 4


def test_manager_sees_their_team_finance_everyone(book):
    set_visibility(RankingVisibility.ORG)  # the reps' policy does not widen a manager's view
    east = ltv_board.board(book.manager_east)
    assert [r.name for r in east.rows] == ["Rep A", "Rep B", "Rep C"]
    assert east.total == 4 and east.names == "team"
    south = ltv_board.board(book.manager_east, team=book.south.pk)
    assert south.rows == [] and south.total == 1
    assert len(ltv_board.board(book.finance).rows) == 4
    set_visibility(RankingVisibility.RANK_ONLY)
    assert ltv_board.board(book.cs).rows == []  # customer success has no row of its own
    assert len(ltv_board.board(book.manager_east).rows) == 3


def test_search(book):
    assert [r.name for r in ltv_board.board(book.director, search="rep c").rows] == ["Rep C"]
    assert [r.name for r in ltv_board.board(book.director, search="south").rows] == ["Rep D"]


def test_page_shows_rows_ranks_and_the_chart(client, book):
    set_visibility(RankingVisibility.RANK_ONLY)
    client.force_login(book.rep_c)
    response = client.get(reverse("incentives:ltv_board"), {"period": "2026-01"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="search"' in html and 'data-testid="ltv-chart"' in html
    assert html.count('data-testid="ltv-row"') == 1 and "Rep A" not in html
    assert 'data-testid="names-hidden"' in html
    assert response.context["board"].me.rank_total == 2
    assert response.context["chart"]["labels"] == ["Rep C"]

    client.force_login(book.director)
    html = client.get(reverse("incentives:ltv_board")).content.decode()
    assert html.count('data-testid="ltv-row"') == 4 and "¥400,000.00" in html
    assert f"?owner={book.rep_a.pk}" in html  # the accounts behind the figure


def test_page_bad_filter_is_a_message_and_the_default(client, book):
    client.force_login(book.director)
    response = client.get(reverse("incentives:ltv_board"), {"period": "last year", "sort": "x"})
    assert response.status_code == 200
    text = " ".join(str(m) for m in response.context["messages"])
    assert "2026-Q3" in text and "average" in text
    assert response.context["board"].cohort.key == "all"


def test_api(client, book):
    set_visibility(RankingVisibility.RANK_ONLY)
    client.force_login(book.rep_a)
    body = client.get(API, {"period": "2026-Q1"}).json()
    assert body["total"] == 3 and body["names"] == "own"
    assert (body["my_rank_total"], body["my_rank_average"]) == (1, 1)
    assert [(r["name"], r["total"], r["average"]) for r in body["results"]] == [
        ("Rep A", "400000.00", "200000.00")
    ]
    client.force_login(book.manager_east)
    body = client.get(API, {"team": book.east.pk, "sort": "average"}).json()
    assert [r["name"] for r in body["results"]] == ["Rep B", "Rep A", "Rep C"]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"period": "2026-14"}, "period"), ({"team": 999999}, "team"), ({"sort": "x"}, "sort")],
)
def test_api_bad_input_is_422_naming_the_field(client, book, query, field):
    client.force_login(book.director)
    response = client.get(API, query)
    assert response.status_code == 422
    assert field in response.content.decode()


def test_api_needs_a_login(client, book):
    assert client.get(API).status_code == 401


def test_export_holds_the_rows_the_viewer_sees(client, book):
    client.force_login(book.manager_east)
    response = client.get(reverse("incentives:ltv_board_export"), {"format": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["Rank by total", "Rank by average", "Name"]
    assert [r[2] for r in rows[1:]] == ["Rep A", "Rep B", "Rep C"]
    assert rows[1][5:] == ["400000.00", "200000.00"]
    xlsx = client.get(reverse("incentives:ltv_board_export"), {"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd")
    assert client.get(reverse("incentives:ltv_board_export"), {"format": "pdf"}).status_code == 404

"""Statement and finance pages (SPEC I7): my statement, a rep's (404 for another rep), the
line page's "why", the statements list (team / everyone, search, export), the payout months,
approving (409 the second time) and the adjustment form (422 without a reason)."""

from __future__ import annotations

import io

import pytest
import time_machine
from openpyxl import load_workbook

from salesops.incentives.models import LedgerLine, PayoutPeriod

from .test_statements import NOW, deal, earned, factors

pytestmark = pytest.mark.django_db


@pytest.fixture
def month(org):
    with time_machine.travel(NOW, tick=False):
        _contract, lines = deal(org.rep_a)
        factors(org.rep_a)
        earned(org.rep_a, amount="150.00")
        earned(org.rep_c, amount="80.00")
        earned(org.rep_d, amount="90.00")
        yield lines


def _page(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def test_my_statement_shows_totals_lines_coefficient_and_chart(client, org, month):
    with time_machine.travel(NOW, tick=False):
        response = _page(client, org.rep_a, "/incentives/statement/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="total-payable">¥150.00<' in html
    assert 'data-testid="total-pending">¥2,200.00<' in html
    assert html.count('data-testid="line-row"') == 6
    assert 'data-testid="coefficient">1.100<' in html
    assert "statement-chart-data" in html and "incentives/statements.js" in html
    assert "when ¥30,000.00 has been received on contract" in html


def test_a_bad_month_is_a_message_and_the_current_month(client, org, month):
    with time_machine.travel(NOW, tick=False):
        response = _page(client, org.rep_a, "/incentives/statement/", month="nope")
    assert response.status_code == 200
    assert "is not a month" in response.content.decode()


@pytest.mark.parametrize(
    "who, rep, status",
    [
        ("rep_b", "rep_a", 404),
        ("manager_east", "rep_a", 200),
        ("manager_south", "rep_a", 404),
        ("finance", "rep_a", 200),
        ("cs", "rep_a", 404),
    ],
)
def test_a_reps_statement_page_visibility(client, org, month, who, rep, status):
    url = f"/incentives/statements/{getattr(org, rep).pk}/2026-11/"
    assert _page(client, getattr(org, who), url).status_code == status


def test_the_line_page_explains_the_number(client, org, month):
    line = month[0]
    response = _page(client, org.rep_a, f"/incentives/lines/{line.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "contract_amount * 0.02" in html
    assert "contract_amount = 100000.00" in html
    assert 'data-testid="line-coefficient">1.100<' in html
    assert "when ¥30,000.00 has been received on contract" in html
    assert f"/revenue/contracts/{line.contract_id}/" in html
    assert f"/accounts/{line.account_id}/" in html
    assert _page(client, org.rep_b, f"/incentives/lines/{line.pk}/").status_code == 404


def test_statements_list_team_everyone_search_and_export(client, org, month):
    response = _page(client, org.manager_east, "/incentives/statements/", month="2026-11")
    reps = {r["rep"].username for r in response.context["rows"]}
    assert "rep_a" in reps and "rep_c" in reps and "rep_d" not in reps
    response = _page(client, org.finance, "/incentives/statements/", month="2026-11", q="Rep D")
    assert [r["rep"].username for r in response.context["rows"]] == ["rep_d"]
    assert response.context["rows"][0]["payable"] == 90
    assert 'role="search"' in response.content.decode()
    export = _page(client, org.finance, "/incentives/statements/", month="2026-11", format="xlsx")
    book = load_workbook(io.BytesIO(b"".join(export.streaming_content)))
    rows = list(book.active.values)
    assert rows[0][0] == "Rep" and len(rows) > 4
    assert _page(client, org.cs, "/incentives/statements/").status_code == 404
    assert _page(client, org.rep_a, "/incentives/statements/").status_code == 302


def test_finance_approves_on_the_period_page_and_twice_is_a_409(client, org, month):
    client.force_login(org.finance)
    assert client.get("/incentives/periods/").status_code == 200
    page = client.get("/incentives/periods/2026-11/")
    assert page.status_code == 200 and 'data-testid="approve"' in page.content.decode()
    with time_machine.travel(NOW, tick=False):
        done = client.post("/incentives/periods/2026-11/approve/")
    assert done.status_code == 302
    assert PayoutPeriod.objects.get(month="2026-11-01").is_locked
    again = client.post("/incentives/periods/2026-11/approve/")
    assert again.status_code == 409
    assert "already approved and locked on 2026-11-20" in again.content.decode()
    client.force_login(org.rep_a)
    assert client.get("/incentives/periods/").status_code == 404
    assert client.post("/incentives/periods/2026-11/approve/").status_code == 403


def test_period_export_downloads_the_payroll_workbook(client, org, month):
    response = _page(client, org.finance, "/incentives/periods/2026-11/export/", format="xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('payroll-2026-11.xlsx"')
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    total = list(book.worksheets[0].values)[-1]
    assert total[0] == "Total" and str(total[-1]) == "320"
    assert _page(client, org.rep_a, "/incentives/periods/2026-11/export/").status_code == 404


def test_the_adjustment_form(client, org, month):
    client.force_login(org.finance)
    assert client.get("/incentives/adjustments/new/").status_code == 200
    before = LedgerLine.objects.count()
    data = {"rep_id": org.rep_a.pk, "amount": "-20", "reason": ""}
    response = client.post("/incentives/adjustments/new/", data)
    assert response.status_code == 422
    assert 'data-testid="error-reason"' in response.content.decode()
    assert LedgerLine.objects.count() == before
    with time_machine.travel(NOW, tick=False):
        response = client.post("/incentives/adjustments/new/", {**data, "reason": "gift back"})
    assert response.status_code == 302
    line = LedgerLine.objects.order_by("-pk").first()
    assert (line.reason, str(line.amount), line.approved_by_id) == (
        "gift back",
        "-20.00",
        org.finance.pk,
    )
    client.force_login(org.rep_a)
    assert client.get("/incentives/adjustments/new/").status_code == 404


def test_who_has_a_statement_page(client, org, month):
    # finance is not paid by the plans: their statement page is the list; CS has none
    assert _page(client, org.finance, "/incentives/statement/").status_code == 302
    assert _page(client, org.cs, "/incentives/statement/").status_code == 404
    response = _page(client, org.rep_a, f"/incentives/statements/{org.rep_a.pk}/2026-11/")
    assert response.status_code == 302 and response["Location"].endswith("?month=2026-11")


def test_my_statement_opens_on_the_latest_month_with_lines(client, org, month):
    """A month without lines yet (the month-end run writes them after it closes) is not
    where a rep wants to land: the page opens on their latest month with lines."""
    later = (
        NOW.replace(month=NOW.month + 1)
        if NOW.month < 12
        else NOW.replace(year=NOW.year + 1, month=1)
    )
    with time_machine.travel(later, tick=False):
        html = _page(client, org.rep_a, "/incentives/statement/").content.decode()
        assert 'data-testid="total-payable">¥150.00<' in html
        empty = _page(client, org.rep_a, "/incentives/statement/", month=later.strftime("%Y-%m"))
    assert 'data-testid="total-payable">¥0.00<' in empty.content.decode()


def test_the_statement_page_pages_through_a_long_month(client, org):
    from decimal import Decimal

    from salesops.incentives import ledger
    from salesops.incentives.models import LineKind, LineState

    for n in range(60):
        ledger.write(rep=org.rep_a, period=NOW.date().replace(day=1), kind=LineKind.MONTHLY,
                     state=LineState.EARNED, amount=Decimal("2.00"), key=f"long:{n}")  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        first = _page(client, org.rep_a, "/incentives/statement/").content.decode()
        second = _page(client, org.rep_a, "/incentives/statement/", month="2026-11", page="2")
        bad = _page(client, org.rep_a, "/incentives/statement/", month="2026-11", page="x")
    assert first.count('data-testid="line-row"') == 50
    assert 'data-testid="next-page"' in first and 'data-testid="total-payable">¥120.00<' in first
    assert second.content.decode().count('data-testid="line-row"') == 10
    assert bad.status_code == 200  # a bad page number is page 1

"""The statements API (SPEC I7): visibility (a rep their own, 404 for another's; a manager
the team's; finance everyone's; customer success nothing), approve (403 not finance, 409
when locked, nothing changed), adjustments (422 naming the field, nothing written), the
payroll export."""

from __future__ import annotations

import io

import pytest
import time_machine
from openpyxl import load_workbook

from salesops.incentives.models import LedgerLine, PayoutPeriod, PeriodState

from .test_statements import NOW, deal, earned, factors

pytestmark = pytest.mark.django_db

API = "/api/v1/incentives"


@pytest.fixture
def ledger_lines(org):
    _contract, lines = deal(org.rep_a)
    factors(org.rep_a)
    earned(org.rep_c, amount="80.00")
    earned(org.rep_d, amount="90.00")
    return lines


def _get(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_a_rep_reads_their_own_statement_with_lines_and_coefficient(client, org, ledger_lines):
    response = _get(client, org.rep_a, f"{API}/statements/me?month=2026-11")
    assert response.status_code == 200
    body = response.json()
    assert body["pending"] == "2200.00" and body["payable"] == "0.00"
    line = body["groups"][0]["lines"][0]
    assert line["state"] == "pending"
    assert line["condition"].startswith("when ¥30,000.00 has been received on contract")
    assert line["inputs"] == {"contract_amount": "100000.00"}
    assert line["formula"] == "contract_amount * 0.02"
    assert body["coefficient"]["cs_points"] == 7
    same = _get(client, org.rep_a, f"{API}/statements/{org.rep_a.pk}/2026-11").json()
    assert same == body


@pytest.mark.parametrize(
    "who, rep, status",
    [
        ("rep_a", "rep_b", 404),
        ("rep_a", "rep_d", 404),
        ("manager_east", "rep_c", 200),  # Shanghai is under East
        ("manager_east", "rep_d", 404),
        ("manager_south", "rep_d", 200),
        ("finance", "rep_d", 200),
        ("director", "rep_a", 200),
        ("admin", "rep_c", 200),
        ("cs", "rep_a", 404),
    ],
)
def test_statement_visibility(client, org, ledger_lines, who, rep, status):
    rep_id = getattr(org, rep).pk
    response = _get(client, getattr(org, who), f"{API}/statements/{rep_id}/2026-11")
    assert response.status_code == status


def test_a_line_is_visible_as_its_statement_is(client, org, ledger_lines):
    pk = ledger_lines[0].pk
    assert _get(client, org.rep_a, f"{API}/lines/{pk}").status_code == 200
    assert _get(client, org.rep_b, f"{API}/lines/{pk}").status_code == 404
    assert _get(client, org.cs, f"{API}/lines/{pk}").status_code == 404
    body = _get(client, org.finance, f"{API}/lines/{pk}").json()
    assert body["line"]["id"] == pk and body["coefficient"]["coefficient"] == "1.100"


def test_a_bad_month_is_a_422_naming_it(client, org):
    response = _get(client, org.rep_a, f"{API}/statements/me?month=2026-13")
    assert response.status_code == 422
    assert response.json()["field"] == "month"


def test_approve_403_then_200_then_409_and_nothing_changes(client, org, ledger_lines):
    client.force_login(org.manager_east)
    assert client.post(f"{API}/periods/2026-11/approve").status_code == 403
    client.force_login(org.finance)
    with time_machine.travel(NOW, tick=False):
        ok = client.post(f"{API}/periods/2026-11/approve")
    assert ok.status_code == 200
    assert ok.json()["state"] == "locked" and ok.json()["payable"] == "170.00"
    before = PayoutPeriod.objects.get(month="2026-11-01")
    # signed in again: the request under the travelled clock saved the session (the day
    # it was seen) with an expiry counted from that clock, already past at today's
    client.force_login(org.finance)
    again = client.post(f"{API}/periods/2026-11/approve")
    assert again.status_code == 409
    assert "already approved and locked on 2026-11-20" in again.json()["message"]
    after = PayoutPeriod.objects.get(month="2026-11-01")
    assert (after.state, after.locked_at, after.totals) == (
        PeriodState.LOCKED, before.locked_at, before.totals
    )  # fmt: skip
    months = client.get(f"{API}/periods").json()
    assert next(m for m in months if m["month"] == "2026-11")["locked_by"] == "Finance Fang"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"amount": "10", "reason": ""}, "reason"),
        ({"amount": "0", "reason": "x"}, "amount"),
        ({"amount": "10", "reason": "x", "rep_id": 999999}, "rep_id"),
    ],
)
def test_adjustment_bad_input_is_a_422_and_writes_nothing(client, org, payload, field):
    client.force_login(org.finance)
    data = {"rep_id": org.rep_a.pk, **payload}
    with time_machine.travel(NOW, tick=False):
        response = client.post(f"{API}/adjustments", data, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert not LedgerLine.objects.exists()


def test_finance_writes_an_adjustment_and_others_may_not(client, org):
    data = {"rep_id": org.rep_a.pk, "amount": "-12.30", "reason": "returned gift"}
    client.force_login(org.rep_a)
    assert (
        client.post(f"{API}/adjustments", data, content_type="application/json").status_code == 403
    )
    client.force_login(org.finance)
    with time_machine.travel(NOW, tick=False):
        response = client.post(f"{API}/adjustments", data, content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["amount"], body["month"]) == ("adjustment", "-12.30", "2026-11")
    assert body["approved_by"] == "Finance Fang"


def test_payroll_export_for_finance_not_for_reps(client, org, ledger_lines):
    assert _get(client, org.rep_a, f"{API}/periods/2026-11/export").status_code == 403
    response = _get(client, org.finance, f"{API}/periods/2026-11/export?format=xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    total = list(book.worksheets[0].values)[-1]
    assert total[0] == "Total" and str(total[-1]) == "170"
    csv = _get(client, org.finance, f"{API}/periods/2026-11/export?format=csv")
    assert csv.status_code == 200 and csv.content.decode().strip().endswith(",170.00")
    assert _get(client, org.finance, f"{API}/periods/2026-11/export?format=pdf").status_code == 422

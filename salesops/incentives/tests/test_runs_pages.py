"""The bonus runs admin pages and API: run a month (a Huey task; inline under tests) with
its progress page, the list, a run's lines and the replay; a locked month refused (409);
configurers only (403); factors visible as statements are (a rep: own only, 404)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from salesops.customers.tests.factories import make_account
from salesops.incentives import factors, monthend
from salesops.incentives.models import BonusRun, LedgerLine, PayoutPeriod, PeriodState
from salesops.org.models import Role
from salesops.revenue.tests.factories import make_contract

from .factories import make_plan

pytestmark = pytest.mark.django_db
MARCH = dt.date(2026, 3, 1)
NOW = timezone.make_aware(dt.datetime(2026, 4, 2, 9, 0), timezone.get_default_timezone())


@pytest.fixture(autouse=True)
def _april():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(org):
    make_plan(Role.REP)
    account = make_account(org.rep_a, level="A")
    contract = make_contract(
        account, amount=Decimal("100000.00"), signed_on=dt.date(2026, 3, 10), instalments=[]
    )
    return org, contract


def test_run_a_month_progress_list_detail_replay(client, world):
    org, contract = world
    client.force_login(org.admin)
    response = client.post(reverse("incentives:run_start"), {"month": "2026-03"})
    assert response.status_code == 302
    progress = client.get(response["Location"]).content.decode()
    assert 'data-testid="run-done"' in progress and 'data-testid="run-link"' in progress
    run = BonusRun.objects.get()
    assert run.started_by == org.admin and run.summary["kinds"]["breakthrough"]["count"] == 1
    listing = client.get(reverse("incentives:run_list"), {"q": "2026-03"}).content.decode()
    assert f'data-id="{run.pk}"' in listing and 'role="search"' in listing
    assert not client.get(reverse("incentives:run_list"), {"q": "2026-02"}).context["rows"]
    detail = client.get(reverse("incentives:run_detail", args=[run.pk])).content.decode()
    assert detail.count('data-testid="line-row"') == LedgerLine.objects.filter(run=run).count()
    assert contract.number in detail and 'id="incentives-run-chart-data"' in detail
    assert "incentives/runs.js" in detail and "style=" not in detail
    breakthroughs = client.get(
        reverse("incentives:run_detail", args=[run.pk]), {"kind": "breakthrough"}
    )
    assert len(breakthroughs.context["rows"]) == 1
    replay = client.post(reverse("incentives:run_replay", args=[run.pk])).content.decode()
    assert 'data-testid="replay-same"' in replay
    # data change: a second contract signed in March
    make_contract(
        contract.account, amount=Decimal("1000.00"), signed_on=dt.date(2026, 3, 30), instalments=[]
    )
    replay = client.post(reverse("incentives:run_replay", args=[run.pk])).content.decode()
    assert 'data-testid="replay-differences"' in replay and "deal:" in replay


def test_bad_and_locked_months_are_refused(client, world):
    org, _contract = world
    client.force_login(org.admin)
    response = client.post(reverse("incentives:run_start"), {"month": "2026-13"})
    assert response.status_code == 422 and "YYYY-MM" in response.content.decode()
    response = client.post(reverse("incentives:run_start"), {"month": "2026-06"})
    assert response.status_code == 422 and "not started" in response.content.decode()
    PayoutPeriod.objects.create(month=MARCH, state=PeriodState.LOCKED)
    response = client.post(reverse("incentives:run_start"), {"month": "2026-03"})
    assert response.status_code == 422 and "locked" in response.content.decode()
    assert not BonusRun.objects.exists()


def test_pages_only_for_configurers(client, world):
    org, _contract = world
    run = monthend.run_month(MARCH)
    for user in (org.rep_a, org.manager_east, org.finance):
        client.force_login(user)
        assert client.get(reverse("incentives:run_list")).status_code == 403
        assert client.get(reverse("incentives:run_detail", args=[run.pk])).status_code == 403
        response = client.post(reverse("incentives:run_start"), {"month": "2026-03"})
        assert response.status_code == 403
    assert BonusRun.objects.count() == 1
    client.force_login(org.director)
    assert client.get(reverse("incentives:run_list")).status_code == 200


def test_api_runs(client, world):
    org, _contract = world
    client.force_login(org.admin)
    response = client.post(
        "/api/v1/incentives/runs", {"month": "2026-03"}, content_type="application/json"
    )
    assert response.status_code == 202
    status = client.get(response.json()["status_url"]).json()
    assert status["done"] and status["run"]
    run = BonusRun.objects.get()
    assert client.get(f"/api/v1/incentives/runs/{run.pk}").json()["summary"]["new"] > 0
    assert client.get("/api/v1/incentives/runs", {"month": "2026-03"}).json()["count"] == 1
    assert client.get("/api/v1/incentives/runs/999999").status_code == 404
    replay = client.get("/api/v1/incentives/runs/2026-03/replay").json()
    assert replay == {"month": "2026-03", "same": True, "differences": []}
    bad = client.post(
        "/api/v1/incentives/runs", {"month": "March"}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "month"
    PayoutPeriod.objects.filter(month=MARCH).update(state=PeriodState.LOCKED)
    locked = client.post(
        "/api/v1/incentives/runs", {"month": "2026-03"}, content_type="application/json"
    )
    assert locked.status_code == 409 and "2026-03" in locked.json()["message"]
    client.force_login(org.rep_a)
    assert client.get("/api/v1/incentives/runs").status_code == 403
    response = client.post(
        "/api/v1/incentives/runs", {"month": "2026-02"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert client.get("/api/v1/incentives/runs/2026-03/replay").status_code == 403


def test_api_factors_visibility(client, world):
    org, _contract = world
    factors.compute(MARCH, [org.rep_a.pk, org.rep_b.pk, org.rep_d.pk])
    client.force_login(org.rep_a)
    mine = client.get("/api/v1/incentives/factors", {"month": "2026-03"}).json()
    assert [row["rep_id"] for row in mine] == [org.rep_a.pk]
    assert mine[0]["explanation"]["cs"]["points"] == 0
    other = client.get("/api/v1/incentives/factors", {"month": "2026-03", "rep": org.rep_b.pk})
    assert other.status_code == 404
    client.force_login(org.manager_east)
    team = client.get("/api/v1/incentives/factors", {"month": "2026-03"}).json()
    assert {row["rep_id"] for row in team} == {org.rep_a.pk, org.rep_b.pk}
    client.force_login(org.finance)
    everyone = client.get("/api/v1/incentives/factors", {"month": "2026-03"}).json()
    assert len(everyone) == 3
    assert client.get("/api/v1/incentives/factors", {"month": "x"}).status_code == 422

"""Issue 21: forecast accuracy, target coverage, target consensus, KPI process share,
forfeited tranches and stage evidence, each green, amber and red on hand-built data
(default thresholds), with the value worked out by hand, the records behind it, and no
light without data; then a manager's team scope counting only the team's reps.

The clock stands at Tuesday 2026-09-15 10:00 Shanghai: the last closed month is August,
the year's target plans (fiscal 2026) are in force, the diagnosis window opens 08-16.
Every case has data outside the scope (rep D, South) or outside the window that would
change the figures if it leaked in.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from salesops.aftersales.tests.factories import make_complaint
from salesops.diagnosis import checks, services
from salesops.diagnosis.models import DiagnosisPolicy
from salesops.diagnosis.scope import org_scope, scope_for, team_scope
from salesops.incentives import tranches
from salesops.incentives.models import LedgerLine, LineKind, Tranche
from salesops.kpi.models import Scheme
from salesops.kpi.tests.factories import make_scheme
from salesops.org.models import Role
from salesops.org.tests.factories import UserFactory, team
from salesops.pipeline import evidence, stages
from salesops.pipeline.tests.factories import make_deal, stage
from salesops.reports import forecast_snapshots
from salesops.reports.tests.pipeline_data import move, opened
from salesops.revenue.tests.factories import make_contract
from salesops.targets.tests.factories_health import allocate, make_plan, pay, pipeline
from salesops.targets.tests.factories_survey import answers

pytestmark = pytest.mark.django_db

D = Decimal
TZ = timezone.get_default_timezone()


def local(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, hour), TZ)


NOW = local(2026, 9, 15)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


def result(scope, code):
    return next(r for r in services.evaluate(scope) if r["code"] == code)


def records(scope, code):
    """What the records page lists, read with the settings in force."""
    policy = DiagnosisPolicy.current()
    ctx = checks.Context.from_policy(policy, thresholds=services.thresholds(policy))
    return checks.get(code).records(scope, ctx)


def assert_judged(row, light, value, numerator=None, denominator=None):
    assert row["light"] == light
    assert D(row["value"]) == D(value)
    if numerator is not None:
        assert D(row["numerator"]) == D(numerator)
    if denominator is not None:
        assert D(row["denominator"]) == D(denominator)


def assert_no_light(row):
    assert (row["available"], row["value"], row["light"]) == (True, None, "none")


def test_the_defaults_these_cases_are_built_for():
    limits = services.thresholds()
    assert limits["forecast_accuracy"] == (D(85), D(70))
    assert limits["target_coverage"] == (D("1.8"), D("1.5"))
    assert limits["target_consensus"] == (D(85), D(70))
    assert limits["kpi_process_share"] == (D(95), D(80))
    assert limits["tranche_forfeits"] == (D(5), D(10))  # lower is better
    assert limits["stage_evidence"] == (D(90), D(70))
    policy = DiagnosisPolicy.current()
    assert (policy.window_days, policy.process_min, policy.process_max) == (30, 25, 40)
    assert policy.tranche_months == 12


# --- forecast accuracy ----------------------------------------------------------------------
# Deals opened 07-20 closing 08-25; the snapshot of Monday 08-03 is the one read 4 weeks
# before August's end (08-31 − 28 days = 08-03). Stage probabilities: signing 90 %,
# negotiation 80 %, proposal 40 %. Rep A 100,000 and rep B 50,000 are won on 08-20.


def forecast_deal(rep, stage_code, amount):
    return opened(
        rep,
        local(2026, 7, 20),
        stage_code=stage_code,
        amount=D(amount),
        expected_close_date=dt.date(2026, 8, 25),
    )


@pytest.mark.parametrize(
    ("a_stage", "b_stage", "light", "value", "forecast", "behind"),
    [
        # A 90,000 / B 45,000 forecast against 150,000 won: 1 − 15,000 ÷ 150,000
        ("signing", "signing", "green", "90.0", "135000", []),
        # B 20,000: 1 − 40,000 ÷ 150,000 = 73.3 %; B alone 1 − 30,000 ÷ 50,000 = 40 %
        ("signing", "proposal", "amber", "73.3", "110000", [("Rep B", "40.0")]),
        # A 40,000 and B 20,000: 1 − 90,000 ÷ 150,000 = 40 %
        ("proposal", "proposal", "red", "40.0", "60000", [("Rep A", "40.0"), ("Rep B", "40.0")]),
    ],
)
def test_forecast_accuracy(org, a_stage, b_stage, light, value, forecast, behind):
    a = forecast_deal(org.rep_a, a_stage, "100000")
    b = forecast_deal(org.rep_b, b_stage, "50000")
    d = forecast_deal(org.rep_d, "negotiation", "200000")  # South: 160,000, then lost
    forecast_snapshots.take_snapshot(on=dt.date(2026, 8, 3))
    move(a, "won", local(2026, 8, 20), "20")
    move(b, "won", local(2026, 8, 20), "20")
    move(d, "lost", local(2026, 8, 21), "20")
    scope = team_scope(org.east)

    assert_judged(result(scope, "forecast_accuracy"), light, value, "150000", forecast)
    rows = records(scope, "forecast_accuracy").rows
    assert [(r["rep"], str(r["accuracy"])) for r in rows] == behind


def test_forecast_accuracy_has_no_light_without_a_snapshot(org):
    """Won business in August, but no snapshot was taken before it: nothing to judge,
    and no rep listed as 0 % accurate."""
    deal = forecast_deal(org.rep_a, "signing", "100000")
    move(deal, "won", local(2026, 8, 20), "20")
    forecast_snapshots.take_snapshot(on=dt.date(2026, 8, 24))  # after the 08-03 cut-off
    assert_no_light(result(team_scope(org.east), "forecast_accuracy"))
    assert records(team_scope(org.east), "forecast_accuracy").rows == []


# --- target coverage ------------------------------------------------------------------------
# The company plan of 2026: A 1,000,000 (200,000 paid in March), B 500,000, D 600,000
# (South, no pipeline). Gap of East: 800,000 + 500,000 = 1,300,000.


@pytest.mark.parametrize(
    ("a_pipeline", "b_pipeline", "light", "value", "behind"),
    [
        # 2,600,000 ÷ 1,300,000; A 2.00, B 2.00
        ("1600000", "1000000", "green", "2.00", []),
        # 2,100,000 ÷ 1,300,000 = 1.615; B 500,000 ÷ 500,000
        ("1600000", "500000", "amber", "1.62", [("Rep B", "1.00")]),
        # 1,200,000 ÷ 1,300,000 = 0.923; A 800,000 ÷ 800,000, B 400,000 ÷ 500,000
        ("800000", "400000", "red", "0.92", [("Rep B", "0.80"), ("Rep A", "1.00")]),
    ],
)
def test_target_coverage(org, a_pipeline, b_pipeline, light, value, behind):
    plan = make_plan(org.company)
    allocate(plan, org.rep_a, "1000000.00")
    allocate(plan, org.rep_b, "500000.00")
    allocate(plan, org.rep_d, "600000.00")
    pay(org.rep_a, "200000.00", dt.date(2026, 3, 10))
    pipeline(org.rep_a, a_pipeline)
    pipeline(org.rep_a, "900000", qualified=False)  # not qualified: not counted
    pipeline(org.rep_b, b_pipeline)
    scope = team_scope(org.east)

    pipe = D(a_pipeline) + D(b_pipeline)
    assert_judged(result(scope, "target_coverage"), light, value, pipe, "1300000")
    rows = records(scope, "target_coverage").rows
    assert [(r["rep"], str(r["coverage"])) for r in rows] == behind
    assert {r["plan_id"] for r in rows} <= {plan.pk}


def test_target_coverage_has_no_light_without_a_plan_in_force(org):
    last_year = make_plan(org.company, year=2025)  # not in force in 2026
    allocate(last_year, org.rep_a, "1000000.00")
    pipeline(org.rep_a, "100000")
    assert_no_light(result(team_scope(org.east), "target_coverage"))
    assert records(team_scope(org.east), "target_coverage").rows == []


# --- target consensus -----------------------------------------------------------------------
# Targets of the company plan per team subtree: East 1,000,000 (A 500,000, B 300,000 and
# Shanghai's C 200,000), Shanghai 200,000, South 400,000. Three managers and three reps
# of each team answer. Shanghai: managers 200,000, reps 180,000 on average →
# 1 − 20,000 ÷ 200,000 = 90 %. South (outside East): 1 − 320,000 ÷ 400,000 = 20 %.


def consensus_plan(org):
    plan = make_plan(org.company)
    for rep, amount in (
        (org.rep_a, "500000"),
        (org.rep_b, "300000"),
        (org.rep_c, "200000"),
        (org.rep_d, "400000"),
    ):
        allocate(plan, rep, amount)
    return plan


@pytest.mark.parametrize(
    ("east_reps", "light", "value", "behind"),
    [
        # East: 1 − 0 ÷ 1,000,000 = 100 %; (100 + 90) ÷ 2
        (["950000", "1000000", "1050000"], "green", "95.0", []),
        # East: 1 − 300,000 ÷ 1,000,000 = 70 %; (70 + 90) ÷ 2
        (["600000", "700000", "800000"], "amber", "80.0", [("East", "70.0")]),
        # East: 1 − 900,000 ÷ 1,000,000 = 10 %; (10 + 90) ÷ 2
        (["50000", "100000", "150000"], "red", "50.0", [("East", "10.0")]),
    ],
)
def test_target_consensus(org, east_reps, light, value, behind):
    plan = consensus_plan(org)
    answers(plan, org.east, Role.MANAGER, ["1000000"] * 3)
    answers(plan, org.east, Role.REP, east_reps)
    answers(plan, org.shanghai, Role.MANAGER, ["200000"] * 3)
    answers(plan, org.shanghai, Role.REP, ["170000", "180000", "190000"])
    answers(plan, org.south, Role.MANAGER, ["400000"] * 3)
    answers(plan, org.south, Role.REP, ["80000"] * 3)
    scope = team_scope(org.east)

    row = result(scope, "target_consensus")
    assert_judged(row, light, value, denominator=2)  # East and Shanghai
    rows = records(scope, "target_consensus").rows
    assert [(r["team"], str(r["consensus"])) for r in rows] == behind


def test_target_consensus_has_no_light_with_one_level_shown(org):
    """Two managers are below the smallest group shown (3): only the reps' level is left,
    and one level has nothing to agree with."""
    plan = consensus_plan(org)
    answers(plan, org.east, Role.MANAGER, ["1000000"] * 2)
    answers(plan, org.east, Role.REP, ["100000"] * 3)
    assert_no_light(result(team_scope(org.east), "target_consensus"))
    assert records(team_scope(org.east), "target_consensus").rows == []


# --- KPI process share ----------------------------------------------------------------------
# East's scheme weighs the process group 30 % (inside 25–40), the scheme of its "Pilot"
# group 50 % (outside), South's 10 % (outside, not East's). East has 10 active reps: A, B,
# C (Shanghai, under East's scheme) and new ones in East or the pilot.


def kpi_schemes(org):
    pilot = team("Pilot", parent=org.east)
    for name, group, weights in (
        ("East scheme", org.east, (50, 30, 20)),
        ("Pilot scheme", pilot, (40, 50, 10)),
        ("South scheme", org.south, (80, 10, 10)),
    ):
        result_weight, process_weight, quality_weight = weights
        make_scheme(
            name=name,
            team=group,
            result_weight=result_weight,
            process_weight=process_weight,
            quality_weight=quality_weight,
        )
    return pilot


@pytest.mark.parametrize(
    ("in_pilot", "light", "value", "behind"),
    [
        (0, "green", "100.0", []),  # 10 of 10
        (1, "amber", "90.0", [("Pilot scheme", D(50), 1)]),  # 9 of 10
        (5, "red", "50.0", [("Pilot scheme", D(50), 5)]),  # 5 of 10
    ],
)
def test_kpi_process_share(org, in_pilot, light, value, behind):
    pilot = kpi_schemes(org)
    for _n in range(in_pilot):
        UserFactory(role=Role.REP, team=pilot)
    for _n in range(10 - 3 - in_pilot):
        UserFactory(role=Role.REP, team=org.east)
    UserFactory(role=Role.REP, team=pilot, is_active=False)  # gone: not counted
    UserFactory(role=Role.MANAGER, team=pilot)  # not a rep: not counted
    scope = team_scope(org.east)

    assert_judged(result(scope, "kpi_process_share"), light, value, 10 - in_pilot, 10)
    rows = records(scope, "kpi_process_share").rows
    assert [(r["scheme"], r["process"], r["reps"]) for r in rows] == behind


def test_kpi_process_share_has_no_light_without_reps(org):
    pilot = kpi_schemes(org)
    assert_no_light(result(team_scope(pilot), "kpi_process_share"))
    assert records(team_scope(pilot), "kpi_process_share").rows == []


def test_kpi_reps_no_scheme_scores_count_against_and_are_listed(org, client):
    """A rep no active scheme scores is not measured on process at all: counted outside
    the band, and listed, so the red tile has records behind it."""
    Scheme.objects.filter(role=Role.REP).update(is_active=False)
    make_scheme(name="East scheme", team=org.east, process_weight=30, quality_weight=10)
    scope = org_scope()
    # A, B, C under East's scheme; D (South) under none: 3 of 4
    assert_judged(result(scope, "kpi_process_share"), "red", "75.0", 3, 4)
    rows = records(scope, "kpi_process_share").rows
    assert [(r["pk"], r["process"], r["reps"]) for r in rows] == [(None, None, 1)]
    client.force_login(org.director)
    page = client.get("/diagnosis/kpi_process_share/")
    assert page.status_code == 200 and "No KPI scheme" in page.content.decode()


# --- forfeited tranches ---------------------------------------------------------------------
# Contracts signed 2026-03-02 with a deferred bonus: the quality tranche is due 09-02 (six
# quiet months). A major complaint on the account in May forfeits it; the 09-02 sweep
# settles every one. Twelve of East's (A and B); one forfeit of rep D (South) and one of
# rep A settled in May 2025, before the 12 months looked back (from 2025-09-15); that
# contract's renewal tranche, settled by the 2026 sweep, is not a quality tranche.


def quality_tranche(rep, signed=dt.date(2026, 3, 2)):
    with time_machine.travel(local(signed.year, signed.month, signed.day), tick=False):
        contract = make_contract(owner=rep, signed_on=signed, instalments=[])
        tranches.accrue_deal(
            contract=contract,
            rep_id=rep.pk,
            month=signed.replace(day=1),
            base=D("10000.00"),
            coefficient=None,
            plan_version=None,
            formula="contract_amount * 0.1",
            deferred=True,
            explanation={},
        )
    return contract


def major_complaint(contract, raised_on):
    with time_machine.travel(local(raised_on.year, raised_on.month, raised_on.day), tick=False):
        make_complaint(contract.account, severity="major", raised_on=raised_on)


def sweep_on(day: dt.date):
    with time_machine.travel(local(day.year, day.month, day.day), tick=False):
        return tranches.sweep()


def forfeits_of(contracts):
    return set(
        LedgerLine.objects.filter(
            kind=LineKind.FORFEIT, tranche=Tranche.QUALITY, contract__in=contracts
        ).values_list("pk", flat=True)
    )


@pytest.mark.parametrize(
    ("lost", "light", "value"),
    [(0, "green", "0.0"), (1, "amber", "8.3"), (3, "red", "25.0")],  # of 12
)
def test_tranche_forfeits(org, lost, light, value):
    old = quality_tranche(org.rep_a, signed=dt.date(2025, 3, 3))
    major_complaint(old, dt.date(2025, 5, 9))
    sweep_on(dt.date(2025, 5, 10))
    east = [quality_tranche(org.rep_a if n % 2 else org.rep_b) for n in range(12)]
    south = quality_tranche(org.rep_d)
    for contract in [*east[:lost], south]:
        major_complaint(contract, dt.date(2026, 5, 9))
    sweep_on(dt.date(2026, 9, 2))
    assert LedgerLine.objects.filter(
        contract=old, tranche=Tranche.RENEWAL, kind__in=(LineKind.RELEASE, LineKind.FORFEIT)
    ).exists()
    scope = team_scope(org.east)

    assert_judged(result(scope, "tranche_forfeits"), light, value, lost, 12)
    behind = records(scope, "tranche_forfeits")
    assert {line.pk for line in behind} == forfeits_of(east[:lost])
    assert forfeits_of([old, south]).isdisjoint(line.pk for line in behind)


def test_tranche_forfeits_have_no_light_before_any_tranche_settles(org):
    quality_tranche(org.rep_a)  # pending: its quiet period runs to 2026-09-02
    assert_no_light(result(team_scope(org.east), "tranche_forfeits"))
    assert not records(team_scope(org.east), "tranche_forfeits").exists()


# --- stage changes with evidence ------------------------------------------------------------
# Deals of A and B move forward from 初步接触 to 需求确认 (no criteria to leave it), backed
# by meeting minutes uploaded with the move or earlier in the stage, or by nothing. Rep
# D's unbacked move (South), one 40 days ago and a move back are never counted.


def pdf():
    return SimpleUploadedFile("minutes.pdf", b"%PDF-1.4\n% minutes\n", "application/pdf")


def forward_move(rep, backed_by=None):
    """A deal of ``rep`` moved contact → needs; ``backed_by`` "move" (file with the move),
    "stage" (file uploaded while in contact) or None."""
    deal = make_deal(owner=rep)
    if backed_by == "stage":
        evidence.evidence_add(actor=rep, deal=deal, type="minutes", upload=pdf())
    uploads = [("minutes", pdf())] if backed_by == "move" else []
    return stages.request_stage_change(
        actor=rep, deal=deal, to_stage=stage("needs"), uploads=uploads
    )


@pytest.mark.parametrize(
    ("backed", "light", "value"),
    [(10, "green", "100.0"), (8, "amber", "80.0"), (5, "red", "50.0")],  # of 10
)
def test_stage_evidence(org, backed, light, value):
    with time_machine.travel(NOW - dt.timedelta(days=40), tick=False):
        forward_move(org.rep_a)  # before the window
    forward_move(org.rep_d)  # South
    moves = [
        forward_move(org.rep_a if n % 2 else org.rep_b, ("move", "stage")[n % 2])
        for n in range(backed)
    ]
    unbacked = [forward_move(org.rep_a if n % 2 else org.rep_b) for n in range(10 - backed)]
    back = moves[0].deal
    back.refresh_from_db()
    stages.request_stage_change(
        actor=org.rep_b, deal=back, to_stage=stage("contact"), reason="客户预算冻结"
    )
    scope = team_scope(org.east)

    assert_judged(result(scope, "stage_evidence"), light, value, backed, 10)
    assert {c.pk for c in records(scope, "stage_evidence")} == {c.pk for c in unbacked}


def test_stage_evidence_has_no_light_without_forward_moves(org):
    make_deal(owner=org.rep_a)  # opened, never moved
    assert_no_light(result(team_scope(org.east), "stage_evidence"))
    assert not records(team_scope(org.east), "stage_evidence").exists()


# --- a manager's team scope -----------------------------------------------------------------


def test_a_managers_team_scope_counts_only_the_teams_reps(org, client):
    """Each check has East data (rep A) and South data (rep D) that would change it; the
    East manager's default scope, on the tiles and the records pages, counts East's
    alone, while the organisation counts both."""
    # forecast: A 90,000 forecast / 100,000 won (90 %); D 40,000 / 100,000 (40 %)
    a = forecast_deal(org.rep_a, "signing", "100000")
    d = forecast_deal(org.rep_d, "proposal", "100000")
    forecast_snapshots.take_snapshot(on=dt.date(2026, 8, 3))
    move(a, "won", local(2026, 8, 20), "20")
    move(d, "won", local(2026, 8, 20), "20")
    # coverage: A 2,000,000 qualified for a gap of 1,000,000; D nothing for 1,000,000
    plan = make_plan(org.company)
    allocate(plan, org.rep_a, "1000000.00")
    allocate(plan, org.rep_d, "1000000.00")
    pipeline(org.rep_a, "2000000")
    # consensus: East agrees (100 %), South does not (1 − 800,000 ÷ 1,000,000 = 20 %);
    # the three reps answering in each team are reps of the KPI check too
    answers(plan, org.east, Role.MANAGER, ["1000000"] * 3)
    answers(plan, org.east, Role.REP, ["1000000"] * 3)
    answers(plan, org.south, Role.MANAGER, ["1000000"] * 3)
    answers(plan, org.south, Role.REP, ["200000"] * 3)
    # KPI: East's reps inside the band, South's outside
    kpi_schemes(org)
    # tranches: A's released, D's forfeited
    quality_tranche(org.rep_a)
    major_complaint(quality_tranche(org.rep_d), dt.date(2026, 5, 9))
    sweep_on(dt.date(2026, 9, 2))
    # stage evidence: A's move backed, D's not
    forward_move(org.rep_a, "move")
    forward_move(org.rep_d)

    scope = scope_for(org.manager_east)
    assert scope.key == f"team:{org.east.pk}"
    east = {r["code"]: r for r in services.evaluate(scope)}
    everyone = {r["code"]: r for r in services.evaluate(org_scope())}
    expected = {  # code: (East, organisation)
        "forecast_accuracy": ("90.0", "65.0"),  # org: 1 − 70,000 ÷ 200,000
        "target_coverage": ("2.00", "1.00"),  # org: 2,000,000 ÷ 2,000,000
        "target_consensus": ("100.0", "60.0"),  # org: (100 + 20) ÷ 2
        "kpi_process_share": ("100.0", "60.0"),  # East 6 of 6; org 6 of 10
        "tranche_forfeits": ("0.0", "50.0"),
        "stage_evidence": ("100.0", "50.0"),
    }
    assert {c: (east[c]["value"], everyone[c]["value"]) for c in expected} == expected
    client.force_login(org.manager_east)
    for code in expected:
        # South's records are there for the organisation, none for East's manager
        assert records(org_scope(), code).count() == 1, code
        assert records(scope, code).count() == 0, code
        page = client.get(f"/diagnosis/{code}/")
        assert page.status_code == 200, code
        html = page.content.decode()
        assert "Rep D" not in html and "South scheme" not in html, code
    assert client.get(f"/diagnosis/stage_evidence/?team={org.south.pk}").status_code == 404

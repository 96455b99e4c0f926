"""The month-end bonus run (SPEC I1, I3, T5) on hand-built data: each award kind, the
explanation of every line, idempotence, the replay and a locked month."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from salesops.customers.tests.factories import make_account
from salesops.incentives import monthend
from salesops.incentives.models import (
    BonusRun,
    LedgerLine,
    LineKind,
    PayoutPeriod,
    PeriodState,
    RepFactors,
    RunState,
)
from salesops.kpi.models import RepScore, ScoreRun
from salesops.kpi.tests.factories import make_scheme
from salesops.org.models import Role
from salesops.revenue.tests.factories import make_contract
from salesops.targets.models import AwardEntitlement
from salesops.targets.tests.factories_health import allocate, pay
from salesops.targets.tests.factories_health import make_plan as make_target_plan

from .factories import component, make_plan

pytestmark = pytest.mark.django_db
MARCH = dt.date(2026, 3, 1)
FEB = dt.date(2026, 2, 1)
D = Decimal


def score(rep, value, month=MARCH, state="final"):
    scheme = ScoreRun.objects.filter(period_start=month).first()
    if scheme is None:
        scheme = make_scheme(effective_from=dt.date(2026, 1, 1))
        version = scheme.versions.get()
        end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        run = ScoreRun.objects.create(
            scheme=scheme, version=version, period_start=month, period_end=end, state=state
        )
    else:
        run = scheme
    zero = D("0")
    RepScore.objects.create(
        run=run, user=rep, score=D(value), result_score=zero, process_score=zero, quality_score=zero
    )


@pytest.fixture
def world(org):
    make_plan(Role.REP)
    hard = make_account(org.rep_a, level="A")
    plain = make_account(org.rep_b, level="C")
    first = contract(hard, "100000.00", dt.date(2026, 3, 10))
    second = contract(hard, "50000.00", dt.date(2026, 3, 20))
    other = contract(plain, "30000.00", dt.date(2026, 3, 12))
    contract(plain, "70000.00", dt.date(2026, 2, 12))  # February
    score(org.rep_a, "85")
    score(org.rep_b, "65")
    target = make_target_plan(org.company)
    allocate(target, org.rep_a, "1200000.00")  # 100,000 a month
    allocate(target, org.rep_b, "1200000.00")
    pay(org.rep_a, "310000.00", dt.date(2026, 2, 10))  # the quarter's 300,000 reached
    pay(org.rep_b, "100000.00", dt.date(2026, 3, 10))
    return org, first, second, other, target


def contract(account, amount, signed_on):
    return make_contract(account, amount=D(amount), signed_on=signed_on, instalments=[])


def lines(kind, rep=None):
    qs = LedgerLine.objects.filter(kind=kind)
    return list(qs.filter(rep=rep) if rep else qs)


def test_deal_bonus_is_accrued_in_tranches_with_the_coefficient(world):
    org, first, second, other, _target = world
    run = monthend.run_month(MARCH)
    assert run.state == RunState.DONE and run.progress == 100
    tranches = lines(LineKind.TRANCHE, org.rep_a)
    by_contract = {}
    for line in tranches:
        by_contract[line.contract_id] = by_contract.get(line.contract_id, D(0)) + line.amount
    # 2 % × 0.9 (no CS points: capped) — 100,000 → 1,800; 50,000 → 900
    assert by_contract == {first.pk: D("1800.00"), second.pk: D("900.00")}
    line = next(t for t in tranches if t.contract_id == first.pk)
    assert line.base == D("2000.00") and line.coefficient == D("0.900")
    assert line.formula == "contract_amount * 0.02" and line.plan_version is not None
    assert line.run == run
    explanation = line.explanation
    assert explanation["inputs"] == {
        "contract_amount": "100000.00",
        "term_months": "0",
        "repeat": "0",
        "key_account": "1",
    }
    assert {"model": "revenue.contract", "id": first.pk, "label": first.number} in explanation[
        "records"
    ]
    assert explanation["coefficient"]["capped"] is True
    second_line = next(t for t in tranches if t.contract_id == second.pk)
    assert second_line.explanation["inputs"]["repeat"] == "1"
    assert not LedgerLine.objects.filter(contract__signed_on__month=2).exists()
    # the factors of everyone the plans pay (four reps; no manager plan here)
    assert RepFactors.objects.filter(period=MARCH).count() == 4


def test_monthly_quarterly_and_breakthrough(world):
    org, first, _second, _other, _target = world
    monthend.run_month(MARCH)
    (monthly_a,) = lines(LineKind.MONTHLY, org.rep_a)
    assert monthly_a.key == f"monthly:{org.rep_a.pk}:2026-03"
    assert monthly_a.base == D("1000.00") and monthly_a.amount == D("900.00")
    assert monthly_a.explanation["inputs"]["kpi_score"] == "85.00"
    assert monthly_a.explanation["component"] == "月度小奖 / Monthly reward"
    models = {r["model"] for r in monthly_a.explanation["records"]}
    assert {"kpi.scorerun", "targets.allocation", "revenue.contract"} <= models
    (monthly_b,) = lines(LineKind.MONTHLY, org.rep_b)
    assert monthly_b.base == D("500.00")
    assert not lines(LineKind.MONTHLY, org.rep_c)  # no score: 0 → no line
    # quarterly: rep A reached 310,000 of 300,000 → 1 % of the target × 0.9
    (quarterly_a,) = lines(LineKind.QUARTERLY, org.rep_a)
    assert quarterly_a.key == f"quarterly:{org.rep_a.pk}:2026-03"
    assert quarterly_a.explanation["inputs"]["target"] == "300000.00"
    assert quarterly_a.explanation["inputs"]["attainment"] == "1.0333"
    assert quarterly_a.base == D("3000.00") and quarterly_a.amount == D("2700.00")
    assert not lines(LineKind.QUARTERLY, org.rep_b)  # 100,000 of 300,000
    # breakthrough: the first contract with the A-level account only
    (award,) = lines(LineKind.BREAKTHROUGH)
    assert award.key == f"breakthrough:{first.pk}" and award.rep_id == org.rep_a.pk
    assert award.amount == D("5000.00") and award.coefficient is None


def test_process_health_shares_the_team_pool(world):
    org, *_rest, target = world
    allocate(target, org.rep_c, "600000.00")
    pay(org.rep_c, "200000.00", dt.date(2026, 1, 20))  # 150,000 target: reached
    award = AwardEntitlement.objects.create(
        plan=target, team=org.east, quarter=1, percent=D("15.00"), explanation={"earned": True}
    )
    monthend.run_month(MARCH)
    quarterly = {line.rep_id: line.amount for line in lines(LineKind.QUARTERLY)}
    assert quarterly == {org.rep_a.pk: D("2700.00"), org.rep_c.pk: D("1350.00")}
    shares = {line.rep_id: line for line in lines(LineKind.PROCESS_HEALTH)}
    assert set(shares) == {org.rep_a.pk, org.rep_c.pk}
    line = shares[org.rep_a.pk]
    assert line.key == f"process_health:{award.pk}:{org.rep_a.pk}"
    assert line.explanation["inputs"] == {
        "pool": "4050.00",
        "percent": "15.00",
        "share": "0.666667",
    }
    # 4,050 × 15 % × 2/3 = 405
    assert line.amount == D("405.00") and shares[org.rep_c.pk].amount == D("202.50")
    assert line.explanation["records"][0] == {
        "model": "targets.awardentitlement",
        "id": award.pk,
        "label": str(award),
    }


def test_running_twice_writes_nothing_new_and_replay_is_empty(world):
    first_run = monthend.run_month(MARCH)
    count = LedgerLine.objects.count()
    assert first_run.summary["new"] == first_run.summary["lines"] > 0
    second_run = monthend.run_month(MARCH)
    assert LedgerLine.objects.count() == count
    assert second_run.summary["new"] == 0
    assert second_run.summary["lines"] == first_run.summary["lines"]
    assert second_run.summary["kinds"]["monthly"]["amount"] == "1350.00"
    assert monthend.replay(MARCH) == []


def test_replay_shows_what_changed(world):
    org, *_rest = world
    monthend.run_month(MARCH)
    RepScore.objects.filter(user=org.rep_b).update(score=D("90"))
    (difference,) = monthend.replay(MARCH)
    assert difference["key"] == f"monthly:{org.rep_b.pk}:2026-03"
    assert difference["stored"]["amount"] == "450.00"
    assert difference["recomputed"]["amount"] == "900.00"


def test_a_locked_month_is_refused(world):
    PayoutPeriod.objects.create(month=MARCH, state=PeriodState.LOCKED)
    with pytest.raises(ValidationError) as error:
        monthend.run_month(MARCH)
    assert "2026-03" in str(error.value)
    assert not BonusRun.objects.exists() and not LedgerLine.objects.exists()


def test_a_formula_error_fails_the_run_and_writes_nothing(org):
    make_plan(Role.REP, components=[component("monthly", "kpi_score / 0")])
    score(org.rep_a, "85")
    with pytest.raises(ValidationError):
        monthend.run_month(MARCH)
    run = BonusRun.objects.get()
    assert run.state == RunState.FAILED and run.error
    assert not LedgerLine.objects.exists()


def test_february_is_not_a_quarter_end(world):
    org, *_rest = world
    monthend.run_month(FEB)
    assert not lines(LineKind.QUARTERLY)
    assert {line.rep_id for line in lines(LineKind.TRANCHE)} == {org.rep_b.pk}


def test_the_default_rule_runs_the_previous_month_on_the_1st_at_6(db):
    from salesops.automation.models import Rule
    from salesops.incentives import runs_rule

    (rule,) = runs_rule.install_rules("en")
    assert rule.code == "incentives-month-end" and Rule.objects.filter(code=rule.code).count() == 1
    assert runs_rule.install_rules("en") == []
    assert runs_rule.previous_month(dt.date(2026, 4, 1)) == MARCH
    assert runs_rule.previous_month(dt.date(2026, 1, 1)) == dt.date(2025, 12, 1)

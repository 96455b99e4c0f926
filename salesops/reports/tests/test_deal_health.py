"""The healthy-deal check (SPEC D7): each criterion passes and fails on real data, with
the risk signal; the pipeline policy's thresholds change the result; an open deal
without a contract has criteria 2–4 "not yet applicable". Real services, a real
database; today is 2026-07-15 (reports' conftest), contracts are signed on 2026-03-02
with a 30 / 60 / 10 plan whose first instalment is due 2026-03-16."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from salesops.activities import services as activity_services
from salesops.activities.tests.factories import ResultTagFactory
from salesops.customers.tests.factories import make_account, make_contact
from salesops.pipeline import health, stages
from salesops.pipeline.models import PipelinePolicy
from salesops.pipeline.tests.factories import make_deal, stage
from salesops.reports import deal_health
from salesops.revenue.tests.factories import make_contract, make_payment

pytestmark = pytest.mark.django_db

MILESTONE = [{"name": "Kick-off", "planned_week": "2026-W12"}]


@pytest.fixture(autouse=True)
def _evidence_root(settings, tmp_path):
    settings.EVIDENCE_ROOT = tmp_path / "evidence"


def criterion(result: dict, code: str) -> dict:
    return next(row for row in result["criteria"] if row["code"] == code)


def chain(account, *roles):
    return [make_contact(account, decision_role=role) for role in roles]


def set_policy(**values) -> PipelinePolicy:
    policy = PipelinePolicy.current()
    for key, value in values.items():
        setattr(policy, key, value)
    policy.save()
    return policy


def at(day: dt.date, hour=10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def log_activity(user, account, day: dt.date):
    tag = ResultTagFactory()
    return activity_services.activity_log(
        actor=user,
        kind="visit",
        account=account,
        started_at=at(day),
        duration_seconds=1800,
        tag=tag,
    )


@pytest.fixture
def account(org):
    return make_account(org.rep_a, name="华星科技")


@pytest.fixture
def deal(org, account):
    return make_deal(owner=org.rep_a, account=account, name="华星 ERP")


def contract_for(deal, **data):
    data.setdefault("milestones", MILESTONE)
    return make_contract(deal.account, deal=deal, **data)


# --- the shape ------------------------------------------------------------------------------


def test_the_result_has_the_five_criteria_in_order_with_every_key(org, deal):
    result = deal_health.evaluate(deal)
    assert result["total"] == 5
    assert [row["code"] for row in result["criteria"]] == list(health.CODES)
    for row in result["criteria"]:
        assert set(row) == {"code", "label", "passed", "value", "threshold", "signal"}
        assert all(isinstance(row[k], str) for k in ("code", "label", "value", "threshold"))


def test_an_open_deal_without_a_contract_has_criteria_2_to_4_not_yet_applicable(org, deal):
    result = deal_health.evaluate(deal)
    for code in ("custom_service", "first_payment", "implementation"):
        row = criterion(result, code)
        assert row["passed"] is None
        assert row["signal"] == ""
    # Not applicable counts neither way: 0 roles, no CS → nothing met.
    assert result["passed"] == 0


# --- 1. decision roles ----------------------------------------------------------------------


def test_three_decision_roles_pass(org, account):
    contacts = chain(account, "signatory", "it_lead", "finance_approver")
    deal = make_deal(owner=org.rep_a, account=account, contacts=contacts)
    row = criterion(deal_health.evaluate(deal), "roles")
    assert row["passed"] is True
    assert row["value"].startswith("3: ")
    assert row["signal"] == ""


def test_only_a_purchaser_fails_with_its_signal_and_other_roles_do_not_count(org, account):
    contacts = chain(account, "purchaser", "other", "other")
    deal = make_deal(owner=org.rep_a, account=account, contacts=contacts)
    row = criterion(deal_health.evaluate(deal), "roles")
    assert row["passed"] is False
    assert row["signal"] == "Only Purchaser contacted"
    assert row["threshold"] == "at least 3 decision roles"


def test_the_roles_counted_are_the_deals_not_the_accounts(org, account):
    chain(account, "signatory", "it_lead", "finance_approver")  # on the account only
    deal = make_deal(owner=org.rep_a, account=account, contacts=chain(account, "user", "user"))
    row = criterion(deal_health.evaluate(deal), "roles")
    assert row["passed"] is False
    assert row["signal"] == "Only User contacted"


def test_the_policys_role_threshold_changes_the_result(org, account):
    contacts = chain(account, "purchaser", "it_lead")
    deal = make_deal(owner=org.rep_a, account=account, contacts=contacts)
    before = criterion(deal_health.evaluate(deal), "roles")
    assert before["passed"] is False
    assert before["signal"].startswith("Only 2 decision roles covered")
    set_policy(health_min_roles=2)
    after = criterion(deal_health.evaluate(deal), "roles")
    assert after["passed"] is True and after["threshold"] == "at least 2 decision roles"


# --- 2. customised-service clause -----------------------------------------------------------


def test_a_customised_service_clause_passes(org, deal):
    contract_for(deal, has_custom_service=True, custom_service_annex="专属驻场运维 12 个月")
    row = criterion(deal_health.evaluate(deal), "custom_service")
    assert row["passed"] is True
    assert "专属驻场运维" in row["value"]


def test_a_standard_template_fails_with_its_signal(org, deal):
    contract_for(deal)
    row = criterion(deal_health.evaluate(deal), "custom_service")
    assert row["passed"] is False
    assert row["signal"] == "Standard template only, no attachment"


def test_a_standard_template_with_attachments_says_only_template(org, deal):
    contract_for(deal, attachments=[{"name": "scan.pdf", "url": "https://files.example.com/1"}])
    row = criterion(deal_health.evaluate(deal), "custom_service")
    assert row["passed"] is False
    assert row["signal"] == "Standard template only"


# --- 3. first payment -----------------------------------------------------------------------


def test_a_thirty_percent_first_payment_paid_on_time_passes(org, deal):
    contract = contract_for(deal)
    make_payment(contract, "30000.00", received_on=dt.date(2026, 3, 20))
    row = criterion(deal_health.evaluate(deal), "first_payment")
    assert row["passed"] is True
    assert row["value"] == "30%, due 2026-03-16, paid 2026-03-20"


def test_a_first_payment_below_thirty_percent_fails_and_the_policy_moves_the_line(org, deal):
    plan = [
        {"due_on": dt.date(2026, 3, 16), "percent": "20"},
        {"due_on": dt.date(2026, 9, 30), "percent": "80"},
    ]
    contract = contract_for(deal, instalments=plan)
    make_payment(contract, "20000.00", received_on=dt.date(2026, 3, 18))
    row = criterion(deal_health.evaluate(deal), "first_payment")
    assert row["passed"] is False
    assert row["signal"] == "First payment below 30% (20%)"
    set_policy(health_min_first_payment=20)
    assert criterion(deal_health.evaluate(deal), "first_payment")["passed"] is True


def test_an_unpaid_first_instalment_more_than_45_days_overdue_fails(org, deal):
    contract_for(deal)  # due 2026-03-16, nothing paid by 2026-07-15: 121 days
    row = criterion(deal_health.evaluate(deal), "first_payment")
    assert row["passed"] is False
    assert row["signal"] == ("First payment delayed more than 45 days (unpaid 121 days after due)")
    set_policy(health_payment_delay_days=150)
    assert criterion(deal_health.evaluate(deal), "first_payment")["passed"] is True


def test_a_first_payment_paid_late_fails_even_once_paid(org, deal):
    contract = contract_for(deal)
    make_payment(contract, "10000.00", received_on=dt.date(2026, 3, 20))
    make_payment(contract, "20000.00", received_on=dt.date(2026, 5, 20))  # 65 days after due
    row = criterion(deal_health.evaluate(deal), "first_payment")
    assert row["passed"] is False
    assert row["signal"] == "First payment delayed more than 45 days (paid 65 days after due)"


def test_not_yet_due_is_not_late(org, deal):
    plan = [
        {"due_on": dt.date(2026, 8, 1), "percent": "40"},
        {"due_on": dt.date(2026, 12, 1), "percent": "60"},
    ]
    contract_for(deal, instalments=plan)
    row = criterion(deal_health.evaluate(deal), "first_payment")
    assert row["passed"] is True
    assert row["value"].endswith("paid not yet")


def test_a_contract_without_plan_or_payment_fails(org, deal):
    contract_for(deal, instalments=[])
    row = criterion(deal_health.evaluate(deal), "first_payment")
    assert row["passed"] is False
    assert row["signal"] == "No payment plan and no payment yet"


# --- 4. implementation ----------------------------------------------------------------------


def test_a_milestone_planned_to_the_week_passes(org, deal):
    contract_for(deal)
    row = criterion(deal_health.evaluate(deal), "implementation")
    assert row["passed"] is True
    assert row["value"] == "2026-W12 · Kick-off"


def test_no_milestone_fails_with_no_implementation_date(org, deal):
    contract_for(deal, milestones=[])
    row = criterion(deal_health.evaluate(deal), "implementation")
    assert row["passed"] is False
    assert row["signal"] == "No implementation date"


def test_a_cancelled_milestone_is_no_schedule(org, deal):
    contract_for(
        deal, milestones=[{"name": "Kick-off", "planned_week": "2026-W12", "status": "cancelled"}]
    )
    assert criterion(deal_health.evaluate(deal), "implementation")["passed"] is False


# --- 5. customer success before signing -----------------------------------------------------


def test_a_cs_activity_before_signing_passes(org, deal):
    contract_for(deal)  # signed 2026-03-02: the account is in CS's book
    log_activity(org.cs, deal.account, dt.date(2026, 2, 20))
    row = criterion(deal_health.evaluate(deal), "success")
    assert row["passed"] is True
    assert row["value"] == "CS Chen, activity on 2026-02-20"


def test_a_cs_activity_on_the_signing_day_counts(org, deal):
    contract_for(deal)
    log_activity(org.cs, deal.account, dt.date(2026, 3, 2))
    assert criterion(deal_health.evaluate(deal), "success")["passed"] is True


def test_cs_only_after_signing_fails_with_its_signal(org, deal):
    contract_for(deal)
    log_activity(org.cs, deal.account, dt.date(2026, 4, 1))
    row = criterion(deal_health.evaluate(deal), "success")
    assert row["passed"] is False
    assert row["signal"] == "Customer success involved only after signing"


def test_no_cs_fails_and_a_reps_activity_does_not_count(org, deal):
    contract_for(deal)
    log_activity(org.rep_a, deal.account, dt.date(2026, 2, 20))
    row = criterion(deal_health.evaluate(deal), "success")
    assert row["passed"] is False
    assert row["signal"] == "Customer success not involved"


def test_an_assigned_cs_manager_passes(org):
    account = make_account(org.rep_a, success_owner=org.cs)
    deal = make_deal(owner=org.rep_a, account=account)
    row = criterion(deal_health.evaluate(deal), "success")
    assert row["passed"] is True
    assert row["value"] == "CS Chen (assigned)"


# --- a won deal, the whole check, storage ---------------------------------------------------


def won(deal):
    pdf = SimpleUploadedFile("draft.pdf", b"%PDF-1.4\n", content_type="application/pdf")
    stages.request_stage_change(
        actor=deal.owner, deal=deal, to_stage=stage("won"), uploads=[("contract_draft", pdf)]
    )
    deal.refresh_from_db()
    assert deal.status == "won"
    return deal


def test_a_won_deal_without_a_contract_fails_2_to_4(org, account):
    deal = won(make_deal(owner=org.rep_a, account=account, stage_code="signing"))
    result = deal_health.evaluate(deal)
    for code in ("custom_service", "first_payment", "implementation"):
        row = criterion(result, code)
        assert row["passed"] is False
        assert row["signal"] == "Won without a contract linked"


def test_a_healthy_won_deal_meets_all_five_and_is_stored(org):
    account = make_account(org.rep_a, success_owner=org.cs)
    contacts = chain(account, "signatory", "it_lead", "purchaser")
    deal = won(make_deal(owner=org.rep_a, account=account, contacts=contacts, stage_code="signing"))
    contract = contract_for(deal, has_custom_service=True, custom_service_annex="定制报表")
    make_payment(contract, "30000.00", received_on=dt.date(2026, 3, 16))
    deal_health.recompute([deal])
    deal.refresh_from_db()
    assert deal.health_passed == 5
    assert deal.health["passed"] == 5 and deal.health["total"] == 5
    assert deal.health_checked_at is not None
    shown = health.describe(deal)
    assert shown["colour"] == "green" and shown["failures"] == []


def test_describe_lists_the_failures_with_their_signals(org, deal):
    contract_for(deal, milestones=[])
    deal_health.recompute([deal])
    deal.refresh_from_db()
    shown = health.describe(deal)
    assert shown["passed"] == 0 and shown["total"] == 5
    assert "No implementation date" in shown["signals"]
    assert shown["colour"] == "red"


def test_a_contract_amount_changes_nothing_in_the_percent(org, deal):
    """The first payment's share is the plan's, whatever the amount."""
    contract_for(deal, amount=Decimal("250000.00"))
    assert criterion(deal_health.evaluate(deal), "first_payment")["value"].startswith("30%")


def test_the_template_tags_show_the_stored_check(org, deal):
    from django.template import Context, Template

    tags = Template("{% load deal_health %}{% health_badge deal %}{% health_panel deal %}")
    pending = tags.render(Context({"deal": deal}))
    assert 'data-testid="health-pending"' in pending and "health-badge" not in pending
    contract_for(deal, milestones=[])
    deal_health.recompute([deal])
    deal.refresh_from_db()
    shown = tags.render(Context({"deal": deal}))
    assert 'data-testid="health-badge"' in shown and "0/5" in shown
    assert "No implementation date" in shown
    assert shown.count('data-testid="health-criterion"') == 5

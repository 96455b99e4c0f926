"""Delivery milestones by import: round trip, weeks written as weeks or days, row
errors, re-import, updates by name on the contract, and who may change them."""

import pytest

from salesops.customers.services import account_update
from salesops.customers.tests.factories import make_account
from salesops.exchange.tests.helpers import run_import
from salesops.exchange.tests.revenue_import import (  # noqa: F401 (fixtures)
    errors,
    exported,
    headers,
    org_fixture,
    sheet,
    statuses,
    today_fixture,
)
from salesops.revenue.models import Delivery
from salesops.revenue.tests.factories import DeliveryFactory, make_contract

pytestmark = pytest.mark.django_db

ZH = ["合同", "里程碑", "排序", "计划周", "实际周", "状态"]
EN = ["contract", "milestone", "order", "planned week", "actual week", "status"]


@pytest.fixture
def contract(org):
    return make_contract(make_account(org.rep_a), number="HT-A")


def test_round_trip_export_import_export_is_equal(org, contract):
    DeliveryFactory(contract=contract, name="上线", sequence=1, planned_week="2026-W20")
    DeliveryFactory(
        contract=contract,
        name="验收",
        sequence=2,
        planned_week="2026-W22",
        actual_week="2026-W23",
        status="done",
        external_id="K3-D2",
    )
    before = exported("delivery", org.rep_a)
    Delivery.objects.all().delete()

    job = run_import(org.rep_a, "delivery", headers("delivery"), sheet("delivery", before))

    assert statuses(job) == [(2, "create"), (3, "create")]
    assert exported("delivery", org.rep_a) == before


def test_english_headers_days_for_weeks_and_a_bad_row_does_not_stop_the_good(org, contract):
    rows = [
        ["HT-A", "部署", 1, "2026年5月13日", "", "planned"],
        ["HT-A", "培训", 2, "2026-w21", "2026/5/20", "已完成"],
        ["HT-A", "验收", 3, "第二十周", "", ""],
        ["HT-Z", "上线", 4, "2026-W30", "", ""],
        ["HT-A", "试运行", 5, "2026-W30", "", "done"],
    ]

    job = run_import(org.manager_east, "delivery", EN, rows)

    assert statuses(job) == [(2, "create"), (3, "create"), (4, "error"), (5, "error"), (6, "error")]
    assert errors(job, 4)[0][0] == "planned_week" and "第二十周" in errors(job, 4)[0][1]
    assert errors(job, 5)[0][0] == "contract" and "HT-Z" in errors(job, 5)[0][1]
    assert errors(job, 6)[0][0] == "actual_week"
    deploy = Delivery.objects.get(name="部署")
    assert (deploy.planned_week, deploy.contract, deploy.account) == (
        "2026-W20",
        contract,
        contract.account,
    )
    training = Delivery.objects.get(name="培训")
    assert (training.planned_week, training.actual_week, training.status) == (
        "2026-W21",
        "2026-W21",
        "done",
    )


def test_reimport_unchanged_and_a_changed_row_updates_the_milestone_by_name(org, contract):
    rows = [["HT-A", "部署", 1, "2026-W20", "", ""], ["HT-A", "培训", 2, "2026-W21", "", ""]]
    assert statuses(run_import(org.rep_a, "delivery", ZH, rows)) == [(2, "create"), (3, "create")]
    again = run_import(org.rep_a, "delivery", ZH, rows)
    assert statuses(again) == [(2, "unchanged"), (3, "unchanged")]

    rows[0][3:6] = ["2026-W20", "2026-W22", "done"]
    changed = run_import(org.rep_a, "delivery", ZH, rows)
    assert statuses(changed) == [(2, "update"), (3, "unchanged")]
    deploy = Delivery.objects.get(name="部署")
    assert (deploy.actual_week, deploy.status) == ("2026-W22", "done")
    assert Delivery.objects.count() == 2


def test_another_teams_contract_is_an_error_and_nothing_changes(org, contract):
    DeliveryFactory(contract=contract, name="部署", planned_week="2026-W20")
    rows = [["HT-A", "部署", 1, "2026-W40", "", ""], ["HT-A", "新增", 2, "2026-W41", "", ""]]

    south = run_import(org.manager_south, "delivery", ZH, rows)
    colleague = run_import(org.rep_b, "delivery", ZH, rows)

    for job in (south, colleague):
        assert statuses(job) == [(2, "error"), (3, "error")]
        assert errors(job, 2)[0][0] == "contract"
    assert list(Delivery.objects.values_list("name", "planned_week")) == [("部署", "2026-W20")]


def test_customer_success_schedules_milestones_on_their_books_contracts(org, contract):
    account_update(actor=org.admin, account=contract.account, success_owner=org.cs)
    # A draft contract: its account is not a customer yet, so not in the book.
    other = make_contract(make_account(org.rep_b), number="HT-B", status="draft", signed_on=None)
    rows = [["HT-A", "回访", 1, "2026-W30", "", ""], [other.number, "回访", 1, "2026-W30", "", ""]]

    job = run_import(org.cs, "delivery", ZH, rows)

    assert statuses(job) == [(2, "create"), (3, "error")]
    assert errors(job, 3)[0][0] == "contract"
    assert list(Delivery.objects.values_list("contract__number", flat=True)) == ["HT-A"]

"""Importing rep targets into a decomposed plan through shares_adjust: a plan's rows
written together (they must add up to the pool), bad rows reported alone, re-import
idempotent, published plans and other teams refused."""

from decimal import Decimal

import pytest

from salesops.exchange import registry
from salesops.exchange.tests.helpers import run_import
from salesops.exchange.tests.test_import_activities import cells_of
from salesops.targets import decomposition
from salesops.targets.models import Allocation, PlanState, TargetPlan
from salesops.targets.tests.factories_decomposition import make_plan

pytestmark = pytest.mark.django_db

ZH = ["目标计划", "财年", "销售代表", "目标", "原因"]
EN = ["target plan", "fiscal year", "rep", "measure", "target", "reason"]
KEYS = ["plan", "fiscal_year", "rep", "measure", "amount", "reason"]
D = Decimal


@pytest.fixture
def plan(org):
    """East's plan for 2026, pool 900.00, split evenly to rep_a, rep_b and rep_c."""
    plan = make_plan(org.east, pool="900.00", name="2026 华东目标")
    decomposition.decompose(plan=plan, actor=org.director)
    return plan


def amounts(plan) -> dict:
    rows = Allocation.objects.filter(plan=plan, version=plan.version).select_related("rep")
    return {a.rep.username: a.amount for a in rows}


def statuses(job):
    return list(job.rows.order_by("row_no").values_list("status", flat=True))


def test_zh_headers_adjust_the_plan_and_name_the_bad_row(org, plan):
    assert amounts(plan) == {"rep_a": D("300.00"), "rep_b": D("300.00"), "rep_c": D("300.00")}
    rows = [
        [plan.name, 2026, "rep_a", "400", "大客户多"],
        [plan.name, 2026, "Rep B", "¥200.00", ""],
        [plan.name, 2026, "rep_c", "300", ""],
        [plan.name, 2026, "nobody", "100", ""],
        ["没有这个计划", 2026, "rep_a", "100", ""],
        [plan.name, 2026, "rep_d", "100", ""],
    ]
    job = run_import(org.admin, "target", ZH, rows)

    assert statuses(job) == ["update", "update", "unchanged", "error", "error", "error"]
    errors = {r.row_no: r.errors[0] for r in job.rows.filter(status="error")}
    assert errors[5]["field"] == "rep" and "nobody" in errors[5]["message"]
    assert errors[6]["field"] == "plan" and "没有这个计划" in errors[6]["message"]
    assert errors[7]["field"] == "rep" and "Rep D" in errors[7]["message"]
    assert amounts(plan) == {"rep_a": D("400.00"), "rep_b": D("200.00"), "rep_c": D("300.00")}
    rep_a = Allocation.objects.get(plan=plan, rep=org.rep_a)
    assert rep_a.adjusted and rep_a.reason == "大客户多"
    assert rep_a.monthly[0] == "33.34" and sum(D(m) for m in rep_a.monthly) == D("400.00")
    assert rep_a.history.first().history_change_reason.endswith(f"import #{job.pk}")


def test_rows_that_do_not_add_up_to_the_pool_change_nothing(org, plan):
    other = make_plan(org.south, pool="100.00", name="2026 华南目标")
    decomposition.decompose(plan=other, actor=org.director)
    rows = [
        [plan.name, 2026, "rep_a", "500", "多给"],
        [plan.name, 2026, "rep_b", "300", ""],
        [other.name, 2026, "rep_d", "100", ""],
    ]
    job = run_import(org.admin, "target", ZH, rows)

    assert statuses(job) == ["error", "unchanged", "unchanged"]
    error = job.rows.get(row_no=2).errors[0]
    assert error["field"] == "amount" and "200.00" in error["message"]
    assert amounts(plan)["rep_a"] == D("300.00")


def test_english_headers_round_trip_and_reimport_unchanged(org, plan):
    decomposition.shares_adjust(
        plan=plan,
        actor=org.admin,
        amounts={org.rep_a.pk: "450.00", org.rep_b.pk: "150.00"},
        reason="季度调整",
    )
    importer = registry.get("target")
    before = list(importer.export_rows(org.admin))
    assert [(r["rep"], r["amount"], r["measure"]) for r in before] == [
        ("rep_a", D("450.00"), "payments"),
        ("rep_b", D("150.00"), "payments"),
        ("rep_c", D("300.00"), "payments"),
    ]
    decomposition.decompose(plan=plan, actor=org.director)  # a fresh, even split
    assert set(amounts(plan).values()) == {D("300.00")}

    job = run_import(org.admin, "target", EN, cells_of(before, KEYS))
    assert statuses(job) == ["update", "update", "unchanged"]
    assert list(importer.export_rows(org.admin)) == before

    changes = Allocation.history.count()
    again = run_import(org.admin, "target", EN, cells_of(before, KEYS))
    assert statuses(again) == ["unchanged", "unchanged", "unchanged"]
    assert Allocation.history.count() == changes
    assert Allocation.objects.filter(plan=plan).count() == 3

    changed = cells_of(before, KEYS)
    changed[0][4], changed[1][4] = "350", "250"
    third = run_import(org.admin, "target", EN, changed)
    assert statuses(third) == ["update", "update", "unchanged"]
    assert amounts(plan) == {"rep_a": D("350.00"), "rep_b": D("250.00"), "rep_c": D("300.00")}


def test_managers_only_for_their_reps_and_never_a_published_plan(org, plan):
    rows = [
        [plan.name, 2026, "rep_c", "250", "上海组调整"],
        [plan.name, 2026, "rep_a", "350", ""],
    ]
    by_sh = run_import(org.manager_sh, "target", ZH, rows)
    assert statuses(by_sh) == ["error", "error"]
    assert by_sh.rows.get(row_no=3).errors[0]["field"] == "rep"
    # rep_c alone cannot move without someone else's amount: the pool still says 900.
    assert by_sh.rows.get(row_no=2).errors[0]["field"] == "amount"

    by_south = run_import(org.manager_south, "target", ZH, rows)
    assert {r.errors[0]["field"] for r in by_south.rows.all()} == {"plan"}
    assert not registry.get("target").can_import(org.rep_a)

    TargetPlan.objects.filter(pk=plan.pk).update(state=PlanState.PUBLISHED)
    swap = [[plan.name, 2026, "rep_a", "350", "x"], [plan.name, 2026, "rep_b", "250", "x"]]
    published = run_import(org.admin, "target", ZH, swap)
    assert statuses(published) == ["error", "error"]
    error = published.rows.get(row_no=2).errors[0]
    assert error["field"] == "plan" and "adjustment" in error["message"]
    assert amounts(plan) == {"rep_a": D("300.00"), "rep_b": D("300.00"), "rep_c": D("300.00")}


def test_measure_must_be_the_plans(org, plan):
    headers = ["目标计划", "销售代表", "考核口径", "目标"]
    rows = [[plan.name, "rep_a", "contracts", "300"], [plan.name, "rep_b", "payments", "300"]]
    job = run_import(org.admin, "target", headers, rows)
    assert statuses(job) == ["error", "unchanged"]
    assert job.rows.get(row_no=2).errors[0]["field"] == "measure"

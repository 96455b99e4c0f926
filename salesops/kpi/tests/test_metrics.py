"""Each built-in metric on a hand-built month; filters; derived metrics."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from django.db.models import Q

from salesops.core import calendar
from salesops.core.expressions import ExpressionError
from salesops.kpi import defaults, metrics
from salesops.kpi.models import Metric
from salesops.kpi.tests import world
from salesops.kpi.tests.factories import make_metric

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    with time_machine.travel(world.NOW, tick=False):
        yield world.build()


def _all(user_ids):
    definitions = [m.definition() for m in Metric.objects.filter(is_builtin=True)]
    return metrics.compute(definitions, user_ids, world.START, world.END)


def test_every_builtin_metric_on_the_hand_built_month(w):
    values = _all([w.a.pk, w.b.pk])
    a = {code: v[w.a.pk] for code, v in values.items()}
    workdays = calendar.working_days_between(world.START, world.END.replace(day=31)) + (
        1 if calendar.is_workday(world.END) else 0
    )
    expected = {
        "signed_amount": "150000",
        "signed_contracts": "2",
        "payments_received": "40000",
        "effective_touches": "4",
        "visits": "1",
        "proposals": "2",
        "deals_won": "1",
        "deals_closed": "2",
        "conversion_rate": "50",
        "avg_deal_size": "200000",
        "cycle_days": "14",
        "repeat_contracts": "1",
        "repurchase_rate": "50",
        "nps_promoters": "2",
        "nps_detractors": "1",
        "nps_responses": "4",
        "nps": "25",
        "complaints": "1",
        "accounts_touched": "2",
        "complaint_rate": "50",
        "qualified_pipeline": "80000",
        "knowledge_adoption": "2",
        "leads_received": "2",
        "leads_source_corrected": "1",
        "voice_answered": "1",
        "voice_solution": "1",
        "voice_collaboration": "1",
        "voice_negotiation": "0",
        "compliance_findings": "1",
    }
    for code, value in expected.items():
        assert a[code] == Decimal(value), (code, a[code])
    assert a["touches_per_day"] == (Decimal(4) / Decimal(workdays)).quantize(Decimal("0.0001"))
    assert {d["code"] for d in defaults.builtin_metrics()} <= set(values)
    # B: one effective touch and a contract; no rows → 0 for counts, None for averages
    assert values["effective_touches"][w.b.pk] == 1
    assert values["signed_amount"][w.b.pk] == Decimal("20000")
    assert values["avg_deal_size"][w.b.pk] is None
    assert values["conversion_rate"][w.b.pk] is None  # 0 / 0


def test_rollup_and_raw_rows_agree(w):
    rollup = {"code": "t1", **_definition("effective", "started_at")}
    raw = {"code": "t2", **_definition("effective and duration_minutes >= 0", "started_at")}
    assert metrics._rollup_column(rollup) == "effective"
    assert metrics._rollup_column(raw) is None
    values = metrics.compute([rollup, raw], [w.a.pk, w.b.pk], world.START, world.END)
    assert values["t1"] == values["t2"] == {w.a.pk: 4, w.b.pk: 1}


def _definition(filter_text, date_field, **more):
    return {
        "kind": "aggregate",
        "source": "activities",
        "filter": filter_text,
        "aggregate": "count",
        "field": "",
        "date_field": date_field,
        "formula": "",
        **more,
    }


def test_many_users_group_everyone_same_numbers(w, monkeypatch):
    small = _all([w.a.pk])
    monkeypatch.setattr(metrics, "SUBSET_LIMIT", 0)
    grouped = _all([w.a.pk])
    assert small == grouped


def test_records_drill_down(w):
    visits = Metric.objects.get(code="visits").definition()
    rows = metrics.records(visits, w.a.pk, world.START, world.END)
    assert [r.kind for r in rows] == ["visit"]
    signed = metrics.records(Metric.objects.get(code="signed_amount").definition(), w.a.pk,
                             world.START, world.END)  # fmt: skip
    assert sorted(r.amount for r in signed) == [Decimal("50000"), Decimal("100000")]
    assert metrics.records(Metric.objects.get(code="nps").definition(), w.a.pk,
                           world.START, world.END) is None  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('kind == "visit"', Q(kind__exact="visit")),
        ('kind != "visit"', ~Q(kind__exact="visit")),
        ("duration_minutes < 5", Q(kpi_duration_minutes__lt=5)),
        ("duration_minutes <= 5", Q(kpi_duration_minutes__lte=5)),
        ("duration_minutes > 5", Q(kpi_duration_minutes__gt=5)),
        ("5 >= duration_minutes", Q(kpi_duration_minutes__lte=5)),
        ('kind in ["visit", "call"]', Q(kind__in=["visit", "call"])),
        ('kind not in ["visit"]', ~Q(kind__in=["visit"])),
        ("effective", Q(effective=True)),
        ("not effective", ~Q(effective=True)),
        ("checked_in", Q(checked_in_at__isnull=False)),
        ("account == None", Q(account_id__isnull=True)),
        ("account != None", ~Q(account_id__isnull=True)),
        ('effective and (kind == "visit" or kind == "call")',
         Q(effective=True) & (Q(kind__exact="visit") | Q(kind__exact="call"))),
    ],
)  # fmt: skip
def test_filter_operators(text, expected):
    assert metrics.compile_filter("activities", text) == expected


def test_filter_runs_in_the_database(w):
    for text in ('kind in ["visit", "call"] and effective', "duration_minutes >= 10",
                 "not checked_in", 'tag != None and kind != "email"'):  # fmt: skip
        definition = {"code": "f", **_definition(text, "started_at")}
        assert metrics.compute([definition], [w.a.pk], world.START, world.END)["f"][w.a.pk] >= 0


def test_filter_unknown_field_lists_the_fields():
    with pytest.raises(ExpressionError) as caught:
        metrics.compile_filter("activities", 'colour == "red"')
    message = str(caught.value)
    assert "colour" in message and "effective" in message and "kind" in message


def test_filter_bad_choice_lists_the_codes():
    with pytest.raises(ExpressionError) as caught:
        metrics.compile_filter("activities", 'kind == "fax"')
    assert "fax" in str(caught.value) and "visit" in str(caught.value)


def test_filter_wrong_value_type():
    with pytest.raises(ExpressionError):
        metrics.compile_filter("activities", 'duration_minutes > "long"')
    with pytest.raises(ExpressionError):
        metrics.compile_filter("activities", "kind")  # not a yes/no field


def test_validate_definition_messages():
    known = set(Metric.objects.values_list("code", flat=True))
    bad = metrics.validate_definition({"kind": "aggregate", "source": "nope"}, known_codes=known)
    assert "source" in bad
    bad = metrics.validate_definition(
        {"kind": "aggregate", "source": "deals", "aggregate": "sum", "field": "status",
         "date_field": "amount", "filter": "colour == 1"},
        known_codes=known,
    )  # fmt: skip
    assert set(bad) == {"field", "date_field", "filter"}
    bad = metrics.validate_definition(
        {"code": "x", "kind": "derived", "formula": "nope_metric / workdays"}, known_codes=known
    )
    assert "nope_metric" in bad["formula"][0]
    bad = metrics.validate_definition(
        {"code": "x", "kind": "derived", "formula": "x + 1"}, known_codes=known | {"x"}
    )
    assert "formula" in bad


def test_validate_definition_cycle():
    make_metric("loop_a", formula="visits + 1")
    make_metric("loop_b", formula="loop_a + 1")
    known = set(Metric.objects.values_list("code", flat=True))
    bad = metrics.validate_definition(
        {"code": "loop_a", "kind": "derived", "formula": "loop_b * 2"}, known_codes=known
    )
    assert "loop_b" in bad["formula"][0]


def test_derived_division_by_zero_is_none_for_that_user(w):
    make_metric("per_visit", formula="effective_touches / visits")
    values = metrics.compute(
        [Metric.objects.get(code="per_visit").definition()], [w.a.pk, w.b.pk],
        world.START, world.END,
    )  # fmt: skip
    assert values["per_visit"][w.a.pk] == 4
    assert values["per_visit"][w.b.pk] is None
    assert metrics.components(Metric.objects.get(code="per_visit").definition()) == [
        "effective_touches",
        "visits",
    ]


def test_period_names(w):
    make_metric("days_only", formula="days + workdays * 0")
    values = metrics.compute([Metric.objects.get(code="days_only").definition()], [w.a.pk],
                             world.START, world.END)  # fmt: skip
    assert values["days_only"][w.a.pk] == 31


def test_no_date_field_is_the_current_state(w):
    qualified = Metric.objects.get(code="qualified_pipeline").definition()
    long_ago = metrics.compute([qualified], [w.a.pk], world.START.replace(year=2020),
                               world.END.replace(year=2020))  # fmt: skip
    assert long_ago["qualified_pipeline"][w.a.pk] == Decimal("80000")


def test_messages_in_chinese():
    from django.utils import translation

    with translation.override("zh-hans"):
        with pytest.raises(ExpressionError) as caught:
            metrics.compile_filter("activities", "colour == 1")
        assert "colour" in str(caught.value) and "effective" in str(caught.value)
        assert "没有字段" in str(caught.value)

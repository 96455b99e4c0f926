"""Scoring maths, clamps, errors shown per item, targets from the targets module, preview."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from salesops.kpi import scoring
from salesops.kpi.models import Metric, TargetSource
from salesops.kpi.tests import world
from salesops.org.tests.factories import UserFactory
from salesops.targets.models import Allocation, PlanState, TargetPlan
from salesops.targets.tests.factories import make_plan

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def w():
    with time_machine.travel(world.NOW, tick=False):
        yield world.build()


def item(code, group="result", weight=100, formula="min(actual / target, 1.2) * 100",
         target_source="fixed", target_value=Decimal("10")):  # noqa: B008  # fmt: skip
    return scoring.DraftItem(
        metric_definition=Metric.objects.get(code=code).definition(),
        group=group,
        weight=D(weight),
        formula=formula,
        target_source=target_source,
        target_value=target_value,
    )


def draft(*items, weights=(60, 25, 15)):
    return scoring.Draft(*(D(x) for x in weights), items=list(items))


def test_scoring_maths_groups_and_total(w):
    d = draft(
        item("signed_amount", weight=50, target_value=D("100000")),  # 150000/100000 → 120 cap
        item("effective_touches", weight=50, target_value=D("8")),  # 4/8 → 50
        item("visits", "process", 100, target_value=D("4")),  # 1/4 → 25
        item(
            "complaints",
            "quality",
            100,
            formula="max(100 - actual * 20, 0)",
            target_source=TargetSource.NONE,
            target_value=None,
        ),  # fmt: skip
    )
    [a] = scoring.score(d, [w.a.pk], world.START, world.END)
    assert [i.score for i in a.items] == [D("120.00"), D("50.00"), D("25.00"), D("80.00")]
    assert a.result_score == D("85.00")  # 0.5×120 + 0.5×50
    assert a.process_score == D("25.00")
    assert a.quality_score == D("80.00")
    assert a.score == D("69.25")  # 0.6×85 + 0.25×25 + 0.15×80
    assert a.team_id == w.group.pk
    first = a.items[0]
    assert first.inputs["actual"] == "150000.0000" and first.inputs["target"] == "100000"
    assert first.inputs["metric"] == "signed_amount"
    assert first.inputs["period"] == ["2026-03-01", "2026-03-31"]


def test_item_score_is_clamped_at_zero_and_rounded(w):
    d = draft(item("visits", formula="actual * 10 - 1000 / 3", target_source="none",
                   target_value=None),  # fmt: skip
              item("effective_touches", weight=0, formula="actual / 3", target_source="none",
                   target_value=None))  # fmt: skip
    [a] = scoring.score(d, [w.a.pk], world.START, world.END)
    assert a.items[0].score == D("0.00")
    assert a.items[1].score == D("1.33")


def test_failing_formula_scores_zero_with_the_reason(w):
    d = draft(item("visits", formula="actual / target", target_value=D("0")))
    [a] = scoring.score(d, [w.a.pk], world.START, world.END)
    assert a.items[0].score == 0 and "Division by zero" in a.items[0].error
    d = draft(item("visits", target_source="plan", target_value=None))
    [a] = scoring.score(d, [w.a.pk], world.START, world.END)
    assert a.items[0].score == 0 and "no target" in a.items[0].error


def test_derived_components_in_inputs(w):
    d = draft(item("conversion_rate", target_value=D("40")))
    [a] = scoring.score(d, [w.a.pk], world.START, world.END)
    assert a.items[0].actual == D("50")
    assert a.items[0].inputs["components"] == {"deals_closed": "2.0000", "deals_won": "1.0000"}
    assert a.items[0].score == D("120.00")


def test_targets_for_reads_published_allocations(w):
    plan = make_plan(measure="payments")
    TargetPlan.objects.filter(pk=plan.pk).update(state=PlanState.PUBLISHED, version=2)
    monthly = [str(D(1000 * (i + 1))) for i in range(12)]
    for version in (1, 2):
        Allocation.objects.create(
            plan=plan, version=version, rep=w.a, team=w.group, quadrant="high_high",
            weight=1, share=1, amount=D("78000"), monthly=[m if version == 2 else "1"
                                                           for m in monthly],
        )  # fmt: skip
    assert scoring.targets_for([w.a.pk, w.b.pk], world.START, world.END) == {w.a.pk: D("3000")}
    quarter = scoring.targets_for([w.a.pk], dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert quarter == {w.a.pk: D("6000")}
    assert scoring.targets_for([w.a.pk], world.START, world.END, measure="contracts") == {}
    d = draft(item("payments_received", target_source="plan", target_value=None))
    [a, b] = scoring.score(d, [w.a.pk, w.b.pk], world.START, world.END)
    assert a.items[0].target == D("3000") and a.items[0].score == D("120.00")
    assert b.items[0].error


def test_preview_validates_weights_and_formulas(w):
    bad = draft(
        item("visits", weight=60, formula="min(actual / target, "),
        item("effective_touches", weight=30, formula="actual * colour"),
        weights=(60, 25, 10),
    )
    with pytest.raises(scoring.PreviewError) as caught:
        scoring.preview(bad, world.START, world.END, [w.a.pk])
    text = " ".join(caught.value.errors)
    assert "100" in text and "拜访次数" in text and "colour" in text
    assert len(caught.value.errors) == 4


def test_preview_names_the_metric_and_rep_on_division_by_zero(w):
    d = draft(item("visits", target_value=D("0")))
    with pytest.raises(scoring.PreviewError) as caught:
        scoring.preview(d, world.START, world.END, [w.a.pk, w.b.pk])
    assert any("拜访次数" in e and "Rep A" in e for e in caught.value.errors)


def test_preview_scores_every_rep_and_writes_nothing(w):
    UserFactory(is_active=False)
    d = draft(item("visits", target_value=D("1")))
    results = scoring.preview(d, world.START, world.END)
    assert {r.user_id for r in results} >= {w.a.pk, w.b.pk}
    from salesops.kpi.models import RepScore

    assert not RepScore.objects.exists()


def test_draft_from_version_keeps_the_snapshot():
    from salesops.kpi.tests.factories import make_scheme

    scheme = make_scheme()
    version = scheme.versions.get()
    Metric.objects.filter(code="signed_amount").update(filter="")
    d = scoring.draft_from_version(version)
    assert d.result_weight == 60
    assert d.items[0].metric_definition["filter"] == "signed"
    assert d.items[0].item_id == version.items.order_by("order").first().pk

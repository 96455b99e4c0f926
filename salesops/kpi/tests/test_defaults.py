"""The built-in library: installed by migrate, idempotent, never overwrites an edit."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine

from salesops.kpi import defaults, metrics, runs, scoring
from salesops.kpi.models import Metric, RadarDimension, Scheme
from salesops.kpi.tests import world

pytestmark = pytest.mark.django_db

REQUIRED = {
    "signed_amount", "signed_contracts", "payments_received", "effective_touches", "visits",
    "touches_per_day", "proposals", "deals_won", "deals_closed", "conversion_rate",
    "avg_deal_size", "cycle_days", "repeat_contracts", "repurchase_rate", "nps_promoters",
    "nps_detractors", "nps_responses", "nps", "complaints", "accounts_touched",
    "complaint_rate", "qualified_pipeline", "knowledge_adoption", "leads_received",
    "leads_source_corrected", "voice_answered", "compliance_findings", "voice_solution",
}  # fmt: skip


def test_migrate_installed_the_library():
    codes = set(Metric.objects.filter(is_builtin=True).values_list("code", flat=True))
    assert REQUIRED <= codes
    for metric in Metric.objects.filter(is_builtin=True):
        assert metric.name_zh and metric.name_en
        assert metrics.validate_definition(metric.definition(), known_codes=codes) == {}
    assert set(RadarDimension.objects.values_list("code", flat=True)) >= {
        "prospecting", "solution", "negotiation", "customer_depth", "collaboration",
        "customer_voice",
    }  # fmt: skip
    scheme = Scheme.objects.get(name=defaults.SCHEME_NAME)
    assert scheme.role == "rep" and scheme.team is None
    version = scheme.versions.get()
    assert (version.result_weight, version.process_weight, version.quality_weight) == (60, 25, 15)
    assert version.effective_from.month == 1 and version.effective_from.day == 1
    assert scoring.validate_draft(scoring.draft_from_version(version)) == []


def test_radar_formulas_read_known_metrics():
    from salesops.core.expressions import compile_expression

    codes = set(Metric.objects.values_list("code", flat=True))
    for dimension in RadarDimension.objects.all():
        assert compile_expression(dimension.formula, allowed_names=codes).names <= codes


def test_install_is_idempotent_and_keeps_edits():
    Metric.objects.filter(code="visits").update(filter='kind == "meeting"', name_en="Meetings")
    Metric.objects.filter(code="leads_received").delete()
    before = Metric.objects.count()
    defaults.install()
    defaults.install()
    assert Metric.objects.count() == before + 1
    visits = Metric.objects.get(code="visits")
    assert visits.filter == 'kind == "meeting"' and visits.name_en == "Meetings"
    assert Scheme.objects.filter(name=defaults.SCHEME_NAME).count() == 1
    assert RadarDimension.objects.filter(code="solution").count() == 1


def test_default_scheme_scores_the_hand_built_month():
    with time_machine.travel(world.NOW, tick=False):
        w = world.build()
        scheme = Scheme.objects.get(name=defaults.SCHEME_NAME)
        assert runs.scheme_for(w.a, world.START) == scheme
        draft = scoring.draft_from_version(scheme.versions.get())
        [a] = scoring.score(draft, [w.a.pk], world.START, world.END)
        by_code = {i.item.code: i for i in a.items}
        assert by_code["signed_amount"].score == Decimal("50.00")  # 150k of 300k
        assert "no target" in by_code["payments_received"].error  # no published plan
        assert by_code["complaint_rate"].score == Decimal("0.00")  # 50 per 100 accounts
        assert by_code["compliance_findings"].score == Decimal("75.00")
        assert by_code["nps"].score == Decimal("50.00")  # 25 of 50
        with pytest.raises(scoring.PreviewError) as caught:
            scoring.preview(draft, world.START, world.END, [w.a.pk])
        assert any("回款金额" in e and "Rep A" in e for e in caught.value.errors)

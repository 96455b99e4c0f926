"""The source registry: every field of every source is a valid query."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F

from salesops.kpi import metrics, sources

pytestmark = pytest.mark.django_db

REQUIRED = {
    "activities", "leads", "deals", "stage_changes", "evidence", "contracts", "payments",
    "complaints", "nps", "tickets", "renewals", "knowledge_usage", "voice_mentions",
    "voice_samples", "findings",
}  # fmt: skip


def test_registered_sources():
    assert REQUIRED <= {s.code for s in sources.all_sources()}
    with pytest.raises(KeyError):
        sources.get("nope")
    assert sources.get("payments").owner == "contract__owner"
    assert sources.get("complaints").owner == "account__owner"
    assert sources.get("evidence").owner == "deal__owner"


@pytest.mark.parametrize("code", sorted(REQUIRED))
def test_every_field_queries(code):
    source = sources.get(code)
    assert source.default_date is None or source.default_date in source.date_fields
    for name, field in source.fields.items():
        assert field.kind in sources.KINDS, name
        assert str(field.label)
        qs = source.with_fields([name])
        list(qs.annotate(kpi_v=F(field.alias)).values("kpi_v")[:1])
        if field.kind == "bool":
            list(qs.filter(metrics.compile_filter(code, name))[:1])
            list(qs.filter(metrics.compile_filter(code, f"not {name}"))[:1])
    for date_field in source.date_fields:
        definition = {"code": "t", "kind": "aggregate", "source": code, "filter": "",
                      "aggregate": "count", "field": "", "date_field": date_field}  # fmt: skip
        values = metrics.compute([definition], [1], dt.date(2026, 3, 1), dt.date(2026, 3, 31))
        assert values["t"] == {1: 0}

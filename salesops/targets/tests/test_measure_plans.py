"""The health page's two reads use their indexes (SQLite's planner, no statistics)."""

import datetime as dt

import pytest
from django.db import connection

from salesops.targets import health, measures

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plans"),
]


def test_the_qualified_pipeline_reads_its_partial_index(org):
    owners = [org.rep_a.pk, org.rep_b.pk]
    for product_line in ("", "CRM"):
        plan = health.qualified_rows(owners, product_line).explain()
        assert "COVERING INDEX deal_qualified_open" in plan, plan


def test_a_year_to_date_reads_the_rollup_only(org, django_assert_num_queries):
    # no record straddles the cut: two queries on the rollup, none on the payments
    with django_assert_num_queries(2) as ctx:
        measures.by_owner(
            "payments", start=dt.date(2026, 1, 1), end=dt.date(2026, 7, 16), owner_ids=[1, 2]
        )
    assert all("targets_measuremonth" in q["sql"] for q in ctx.captured_queries)

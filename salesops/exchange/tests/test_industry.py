"""The shipped industry templates: each previews without errors on a fresh database,
applies cleanly, and applying it again changes nothing."""

import pytest
from django.core.exceptions import ValidationError

from salesops.exchange import industry
from salesops.exchange.appconfig import base, engine
from salesops.leads.models import RoutingRule
from salesops.org.tests.factories import UserFactory
from salesops.pipeline.models import Pipeline

SLUGS = ("manufacturing", "saas", "education")


def _needs_every_section(data: dict) -> None:
    # The sections of settings lists (custom fields, tags, choice lists, knowledge) come
    # from another branch of this work; until both are in, this branch cannot apply them.
    missing = sorted(name for name in data["sections"] if base.get(name) is None)
    if missing:
        pytest.skip(f"sections not installed on this branch: {', '.join(missing)}")


def test_shipped_lists_the_three_in_order_with_chinese_names():
    found = industry.shipped()
    assert [t["slug"] for t in found] == list(SLUGS)
    by_slug = {t["slug"]: t for t in found}
    assert by_slug["manufacturing"]["name"].startswith("制造业")
    assert "试用" in by_slug["saas"]["description"]
    assert by_slug["education"]["path"].name == "education.json"


def test_load_refuses_an_unknown_or_path_like_slug():
    with pytest.raises(ValidationError, match="retail"):
        industry.load("retail")
    with pytest.raises(ValidationError):
        industry.load("../manufacturing")


@pytest.mark.parametrize("slug", SLUGS)
def test_each_template_is_complete(slug):
    data = industry.load(slug)
    sections = data["sections"]
    pipeline = sections["pipelines"][0]
    open_stages = [s for s in pipeline["stages"] if s["kind"] == "open"]
    assert 5 <= len(open_stages) <= 7
    # Every open stage has an exit criterion: fields, evidence, activities or approval.
    assert all(
        s["required_fields"] or s["required_evidence"] or s["required_activities"]
        or s["needs_approval"]
        for s in open_stages
    )  # fmt: skip
    assert 3 <= len(sections["custom_fields"]) <= 6
    assert 2 <= len(sections["routing_rules"]) <= 3
    assert len(sections["result_tags"]) >= 3
    assert len(sections["knowledge_categories"]) >= 3
    assert sections["kpi_schemes"] and sections["automation_rules"]


@pytest.mark.django_db
@pytest.mark.parametrize("slug", SLUGS)
def test_template_previews_applies_and_applies_again_unchanged(slug):
    data = industry.load(slug)
    _needs_every_section(data)
    admin = UserFactory(role="admin")

    plan = engine.preview(data)
    assert plan.errors == []
    counts = engine.apply(data, actor=admin)
    assert counts["pipelines"]["created"] == 1
    assert counts["routing_rules"]["created"] == len(data["sections"]["routing_rules"])
    pipeline = Pipeline.objects.get(code=data["sections"]["pipelines"][0]["code"])
    assert pipeline.is_default and pipeline.is_active
    assert RoutingRule.objects.filter(team__isnull=False).count() == len(
        data["sections"]["routing_rules"]
    )

    again = engine.apply(data, actor=admin)
    assert all(c["created"] == c["changed"] == 0 for c in again.values()), again
    after = engine.preview(data)
    assert not any(p.create or p.change for p in after.sections)

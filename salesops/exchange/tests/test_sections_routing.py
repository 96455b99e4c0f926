"""App-template sections ``teams`` and ``routing_rules``: export → apply into a database
without them → the same export; a second apply changes nothing; a missing rep or team is
named by the preview."""

import pytest

from salesops.exchange.appconfig import base, engine
from salesops.leads import configuration as lead_config
from salesops.leads.models import RoutingRule
from salesops.org.models import Team
from salesops.org.tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def _file(**sections):
    return {"format": engine.FORMAT, "version": engine.VERSION, "name": "t", "sections": sections}


def _setup():
    admin = UserFactory(role="admin", username="ops")
    east = TeamFactory(name="华东大区", kind="region", region="华东")
    shanghai = TeamFactory(name="上海组", parent=east)
    zhang = UserFactory(username="zhang", team=shanghai)
    li = UserFactory(username="li", team=shanghai)
    lead_config.routing_rule_create(
        actor=admin,
        name="上海制造业",
        condition="city == '上海'",
        strategy="weighted",
        members=[{"user_id": zhang.pk, "weight": 3}, {"user_id": li.pk, "weight": 1}],
    )
    lead_config.routing_rule_create(actor=admin, name="华东兜底", team=east, priority=500)
    return admin


def test_export_apply_into_empty_export_again_then_unchanged():
    admin = _setup()
    teams = base.get("teams").export()
    rules = base.get("routing_rules").export()
    assert [t["name"] for t in teams if t["parent"] == "华东大区"] == ["上海组"]
    by_name = {r["name"]: r for r in rules}
    assert by_name["上海制造业"]["members"] == [
        {"username": "li", "weight": 1},
        {"username": "zhang", "weight": 3},
    ]
    assert by_name["华东兜底"]["team"] == "华东大区"

    RoutingRule.objects.all().delete()
    ours = Team.objects.filter(name__in=["华东大区", "上海组"])
    ours.filter(name="上海组").update(region="x")  # a changed team comes back as in the file
    data = _file(teams=teams, routing_rules=rules)
    plan = engine.preview(data)
    assert plan.ok, plan.errors
    counts = engine.apply(data, actor=admin)
    assert counts["routing_rules"] == {"created": 2, "changed": 0, "unchanged": 0}
    assert counts["teams"]["changed"] == 1
    assert base.get("routing_rules").export() == rules
    assert base.get("teams").export() == teams

    again = engine.apply(data, actor=admin)
    assert again["routing_rules"] == {"created": 0, "changed": 0, "unchanged": 2}
    assert again["teams"]["changed"] == again["teams"]["created"] == 0
    assert all(not p.create and not p.change for p in engine.preview(data).sections)


def test_team_from_the_file_is_created_before_the_rule_that_names_it():
    admin = UserFactory(role="admin")
    data = _file(
        teams=[{"name": "华南大区", "parent": "", "kind": "region", "region": "华南",
                "product_lines": ""}],
        routing_rules=[{"name": "广东", "priority": 10, "is_active": True,
                        "condition": "province == '广东'", "strategy": "round_robin",
                        "team": "华南大区", "members": []}],
    )  # fmt: skip
    assert engine.preview(data).ok
    engine.apply(data, actor=admin)
    rule = RoutingRule.objects.get(name="广东")
    assert rule.team.name == "华南大区" and rule.condition == "province == '广东'"


def test_missing_rep_and_team_are_named():
    UserFactory(role="admin")
    data = _file(
        routing_rules=[{"name": "北方", "priority": 10, "is_active": True, "condition": "shoe_size > 3",
                        "strategy": "round_robin", "team": "华北大区",
                        "members": [{"username": "ghost", "weight": 1}]}],
    )  # fmt: skip
    plan = engine.preview(data)
    text = "\n".join(plan.errors)
    assert "ghost" in text
    assert "华北大区" in text
    assert "shoe_size" in text
    with pytest.raises(Exception, match="ghost"):
        engine.apply(data, actor=UserFactory(role="admin"))
    assert not RoutingRule.objects.exists()


def test_a_team_listed_before_its_parent_is_refused_and_nothing_written():
    admin = UserFactory(role="admin")
    child = {"name": "深圳组", "parent": "华南大区", "kind": "group", "region": "",
             "product_lines": ""}  # fmt: skip
    parent = {"name": "华南大区", "parent": "", "kind": "region", "region": "华南",
              "product_lines": ""}  # fmt: skip
    with pytest.raises(Exception, match="华南大区"):
        engine.apply(_file(teams=[child, parent]), actor=admin)
    assert not Team.objects.filter(name__in=["深圳组", "华南大区"]).exists()

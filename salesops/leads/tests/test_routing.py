"""Routing (SPEC L5): rule order and conditions, the three strategies, daily caps, leave
and inactive reps, the pool with its alert, and the reasons recorded (P4)."""

import datetime as dt

import pytest

from salesops.core import clock
from salesops.leads import routing, services
from salesops.leads.models import Assignment, DailyLeadCount, Lead
from salesops.notifications.models import Notification
from salesops.org import services as org_services

from .factories import intake, make_channel, make_rule

pytestmark = pytest.mark.django_db


def owners(n, **data):
    return [intake(**data).lead.owner for _ in range(n)]


def test_rules_are_tried_in_priority_order_with_conditions(org):
    make_rule(
        name="华南制造",
        priority=10,
        condition="province == '广东省' and industry == 'manufacturing'",
        members=[{"user_id": org.rep_d.pk}],
    )
    make_rule(name="兜底", priority=99, members=[{"user_id": org.rep_a.pk}])
    south = intake(province="广东省", industry="manufacturing").lead
    other = intake(province="广东省", industry="retail").lead
    assert (south.owner, other.owner) == (org.rep_d, org.rep_a)
    reason = Assignment.objects.get(lead=south)
    assert reason.rule_name == "华南制造" and reason.strategy == "round_robin"
    assert "华南制造" in reason.reason


def test_region_from_the_address_feeds_the_condition(org):
    make_rule(
        name="上海", priority=1, condition="city == '上海市'", members=[{"user_id": org.rep_c.pk}]
    )
    make_rule(name="其他", priority=2, members=[{"user_id": org.rep_a.pk}])
    lead = intake(address="上海市浦东新区张江路88号").lead
    assert (lead.province, lead.city, lead.owner) == ("上海市", "上海市", org.rep_c)


def test_round_robin_takes_turns(org):
    make_rule(members=[{"user_id": org.rep_a.pk}, {"user_id": org.rep_b.pk}])
    assert owners(4) == [org.rep_a, org.rep_b, org.rep_a, org.rep_b]


def test_least_loaded_picks_the_rep_with_fewest_open_leads(org):
    rule = make_rule(members=[{"user_id": org.rep_a.pk}], strategy="least_loaded")
    owners(3)
    services.routing_rule_update(
        actor=org.admin, rule=rule, members=[{"user_id": org.rep_a.pk}, {"user_id": org.rep_b.pk}]
    )
    assert owners(3) == [org.rep_b, org.rep_b, org.rep_b]
    assert owners(2) == [org.rep_a, org.rep_b]


def test_weighted_shares_follow_the_weights(org):
    make_rule(
        strategy="weighted",
        members=[{"user_id": org.rep_a.pk, "weight": 3}, {"user_id": org.rep_b.pk, "weight": 1}],
    )
    got = owners(8)
    assert got.count(org.rep_a) == 6 and got.count(org.rep_b) == 2


def test_the_daily_cap_sends_the_rest_to_the_pool_of_the_team(
    org, django_capture_on_commit_callbacks
):
    org.rep_a.daily_lead_cap = 2
    org.rep_a.save()
    channel = make_channel(team=org.east)
    make_rule(members=[{"user_id": org.rep_a.pk}])
    with django_capture_on_commit_callbacks(execute=True):
        got = [intake(channel).lead for _ in range(3)]
    assert [lead.owner for lead in got] == [org.rep_a, org.rep_a, None]
    pooled = got[2]
    assert pooled.team == org.east and pooled.sla_state == ""
    assert DailyLeadCount.objects.get(user=org.rep_a).count == 2
    assert "daily cap" in Assignment.objects.get(lead=pooled).reason
    # no message per pooled lead: the pool digest tells the manager (test_overflow.py)
    assert not Notification.objects.filter(recipient=org.manager_east).exists()
    # the next day the cap starts again
    with clock.frozen(clock.now() + dt.timedelta(days=1)):
        assert intake(channel).lead.owner == org.rep_a


def test_the_default_cap_is_15(org):
    make_rule(members=[{"user_id": org.rep_a.pk}])
    got = owners(16)
    assert got.count(org.rep_a) == 15 and got[-1] is None


def test_reps_on_leave_and_inactive_reps_are_skipped(org):
    make_rule(team=org.east)  # rep_a, rep_b and rep_c
    org_services.leave_create(user=org.rep_a, starts_on=clock.today(), ends_on=clock.today())
    org.rep_b.is_active = False
    org.rep_b.save()
    assert set(owners(3)) == {org.rep_c}


def test_no_matching_rule_puts_the_lead_in_the_pool(org):
    make_rule(condition="province == '西藏自治区'", members=[{"user_id": org.rep_a.pk}])
    lead = intake(province="上海市").lead
    assert lead.owner is None
    assert Lead.objects.pool().count() == 1
    assert "No routing rule" in Assignment.objects.get(lead=lead).reason
    # the pool is visible to managers and directors, not to reps of other teams
    assert Lead.objects.visible_to(org.director).filter(pk=lead.pk).exists()
    assert not Lead.objects.visible_to(org.rep_d).filter(pk=lead.pk).exists()


def test_a_rep_keeps_their_own_quick_entry(org):
    make_rule(members=[{"user_id": org.rep_b.pk}])
    lead = services.quick_entry(
        actor=org.rep_a,
        data={
            "contact_name": "李雷",
            "phone": "13912345678",
            "company": "韩梅梅贸易",
            "need": "报价",
        },
    ).lead
    assert lead.owner == org.rep_a and lead.channel.kind == "manual"


def test_decide_is_pure_and_explains_itself(org):
    make_rule(
        name="A", priority=1, condition="industry == 'energy'", members=[{"user_id": org.rep_a.pk}]
    )
    make_rule(name="B", priority=2, members=[{"user_id": org.rep_b.pk}, {"user_id": org.rep_c.pk}])
    snapshot = routing.build_snapshot()
    decision = routing.decide(snapshot, {"industry": "energy"}, {org.rep_a.pk: 15})
    assert decision.rule.name == "B"
    assert any("daily cap" in s for s in decision.skipped)
    assert decision.candidates == [org.rep_b.pk, org.rep_c.pk]
    assert not DailyLeadCount.objects.exists()


def test_a_bad_condition_is_refused_with_its_position(org):
    with pytest.raises(Exception) as info:
        make_rule(condition="province == ", members=[{"user_id": org.rep_a.pk}])
    assert "condition" in info.value.message_dict
    assert "Position" in info.value.message_dict["condition"][0]


@pytest.mark.usefixtures("config_cache_on")
def test_rule_changes_reach_a_cached_snapshot(org, settings):
    rule = make_rule(members=[{"user_id": org.rep_a.pk}])
    assert intake().lead.owner == org.rep_a
    services.routing_rule_update(actor=org.admin, rule=rule, members=[{"user_id": org.rep_b.pk}])
    assert intake().lead.owner == org.rep_b


@pytest.mark.usefixtures("config_cache_on")
def test_with_cached_counts_the_database_still_holds_the_cap(org, settings):
    # given caching on, as in production, and a rep with a cap of 2
    org.rep_a.daily_lead_cap = 2
    org.rep_a.save()
    make_rule(members=[{"user_id": org.rep_a.pk}])
    assert intake().lead.owner == org.rep_a  # this process's tally: rep A has 1
    # when another process fills rep A's day behind this process's back
    DailyLeadCount.objects.filter(user=org.rep_a).update(count=2)
    # then the next lead goes to the pool: the stale tally picked rep A, the database said no
    lead = intake().lead
    assert lead.owner is None
    assert DailyLeadCount.objects.get(user=org.rep_a).count == 2
    assert "daily cap" in Assignment.objects.get(lead=lead).reason


@pytest.fixture
def decisions(monkeypatch):
    """Every routing decision made, as the rule name it chose (None: the pool)."""
    made = []
    real = routing.decide

    def counting(*args, **kwargs):
        decision = real(*args, **kwargs)
        made.append(decision.rule.name if decision.rule else None)
        return decision

    monkeypatch.setattr(routing, "decide", counting)
    return made


@pytest.mark.usefixtures("config_cache_on")
def test_routing_decides_once_per_lead(org, settings, decisions):
    # given caching on, as in production: rule A (rep A, cap 1) before rule B (rep B)
    org.rep_a.daily_lead_cap = 1
    org.rep_a.save()
    make_rule(name="A", priority=1, members=[{"user_id": org.rep_a.pk}])
    make_rule(name="B", priority=2, members=[{"user_id": org.rep_b.pk}])
    routing._tally.refresh(clock.today())  # not the counts an earlier test left behind
    # a new lead, and one flagged as a possible duplicate (its fields change in the
    # write transaction), are each decided once
    first = intake(company="苏州华信精密机械有限公司").lead
    flagged = intake(company="苏州华信精密机电有限公司").lead
    assert flagged.review_state == "review"
    assert (first.owner, flagged.owner) == (org.rep_a, org.rep_b)
    assert decisions == ["A", "B"]
    # when another process gives rep A a lead behind this process's back (so it still
    # believes rep A has room)
    DailyLeadCount.objects.filter(user=org.rep_a).update(count=0)
    routing._tally.refresh(clock.today())  # this process saw rep A at 0
    DailyLeadCount.objects.filter(user=org.rep_a).update(count=1)
    lost_race = intake().lead
    # then the lead that lost rep A's last slot goes on to rule B in the same decision
    assert lost_race.owner == org.rep_b
    assert decisions == ["A", "B", "A"]
    assignment = Assignment.objects.get(lead=lost_race)
    assert assignment.rule_name == "B"
    assert "Rule “B” (priority 2) matched" in assignment.reason
    assert DailyLeadCount.objects.get(user=org.rep_a).count == 1

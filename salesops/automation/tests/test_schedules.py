"""Schedule rules: a cron expression in the organisation's time zone fires once per
scheduled instant, whatever how often the sweep runs."""

import pytest

from salesops.automation.models import RuleFiring
from salesops.customers.tests.factories import make_account

from .conftest import at, make_rule, tick

pytestmark = pytest.mark.django_db


def morning_digest(org, **data):
    return make_rule(
        org.admin,
        when=at("2026-11-22", "12:00"),  # a Sunday
        trigger_type="schedule",
        trigger={"cron": "0 9 * * 1-5"},
        actions=[{"kind": "notify", "to": ["role:director"], "title": "Good morning"}],
        **data,
    )


def test_a_workday_cron_fires_once_at_nine(org, sent):
    rule = morning_digest(org)
    # when Monday 08:59 passes, nothing; at 09:00 it fires; ticking again does nothing
    tick(at("2026-11-23", "08:59"))
    assert not RuleFiring.objects.exists()
    tick(at("2026-11-23", "09:00"))
    tick(at("2026-11-23", "09:00"))
    tick(at("2026-11-23", "09:01"))
    tick(at("2026-11-23", "17:00"))
    firing = RuleFiring.objects.get()
    assert (firing.rule, firing.entity, firing.object_id) == (rule, "", 0)
    assert firing.key == "schedule:2026-11-23T09:00"
    assert [i["recipient_id"] for i in sent] == [org.director.pk]
    # the next workday fires again; the weekend does not
    tick(at("2026-11-24", "09:00"))
    tick(at("2026-11-27", "09:00"))  # Friday
    tick(at("2026-11-28", "09:00"))  # Saturday
    tick(at("2026-11-29", "09:00"))
    assert sorted(RuleFiring.objects.values_list("key", flat=True)) == [
        "schedule:2026-11-23T09:00",
        "schedule:2026-11-24T09:00",
        "schedule:2026-11-27T09:00",
    ]


def test_missed_instants_are_not_replayed_only_the_latest_fires_late(org, sent):
    # given no sweep ran from Monday to Thursday noon (the worker was down)
    morning_digest(org)
    tick(at("2026-11-26", "12:00"))
    # then only Thursday's 09:00 fires, once, late — not four digests at once
    tick(at("2026-11-26", "12:01"))
    assert list(RuleFiring.objects.values_list("key", flat=True)) == ["schedule:2026-11-26T09:00"]
    assert RuleFiring.objects.get().fired_at == at("2026-11-26", "12:00")


def test_a_rule_created_after_the_instant_waits_for_the_next_one(org, sent):
    make_rule(
        org.admin,
        when=at("2026-11-23", "09:30"),
        trigger_type="schedule",
        trigger={"cron": "0 9 * * *"},
        actions=[{"kind": "notify", "to": ["role:director"], "title": "x"}],
    )
    tick(at("2026-11-23", "10:00"))
    assert not RuleFiring.objects.exists()
    tick(at("2026-11-24", "09:00"))
    assert RuleFiring.objects.count() == 1


def test_the_condition_can_skip_chinese_holidays(org, sent):
    # 2026-10-01 (Thursday) is National Day: "1-5" matches, is_workday does not
    make_rule(
        org.admin,
        when=at("2026-09-29", "12:00"),
        trigger_type="schedule",
        trigger={"cron": "0 9 * * 1-5"},
        condition="is_workday",
        actions=[{"kind": "notify", "to": ["role:director"], "title": "x"}],
    )
    tick(at("2026-09-30", "09:00"))
    tick(at("2026-10-01", "09:00"))
    assert list(RuleFiring.objects.values_list("key", flat=True)) == ["schedule:2026-09-30T09:00"]


def test_a_schedule_over_an_entity_fires_once_per_matching_record(org, sent):
    a1 = make_account(org.rep_a, level="A")
    make_account(org.rep_b, level="C")
    a2 = make_account(org.rep_d, level="A")
    make_rule(
        org.admin,
        when=at("2026-11-22", "12:00"),
        trigger_type="schedule",
        entity="account",
        trigger={"cron": "30 8 * * 1"},
        condition="level == 'A' and weekday == 1",
        actions=[{"kind": "notify", "to": ["owner"], "title": "Weekly check of {name}"}],
    )
    tick(at("2026-11-23", "08:30"))
    tick(at("2026-11-23", "08:31"))
    assert sorted(RuleFiring.objects.values_list("object_id", flat=True)) == sorted([a1.pk, a2.pk])
    assert sorted(i["recipient_id"] for i in sent) == sorted([org.rep_a.pk, org.rep_d.pk])

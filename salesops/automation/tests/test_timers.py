"""Timer rules end to end: time moves with ``salesops tick --now``; working minutes skip
nights and Chinese holidays; levels climb the manager chain; "unless" stops the clock; a
sweep run twice fires once; an edited rule keeps old firings on the old version."""

import pytest

from salesops.automation import engine, services
from salesops.automation.models import Rule, RuleFiring, RuleWatermark
from salesops.core import clock
from salesops.customers import services as customer_services
from salesops.customers.tests.factories import make_account

from .conftest import at, make_rule, tick

pytestmark = pytest.mark.django_db

NOTIFY_OWNER = [{"kind": "notify", "to": ["owner"], "title": "{name} waits for {owner}"}]


def account_at(moment, owner, **data):
    with clock.frozen(moment):
        return make_account(owner, **data)


def timer_rule(org, when, **trigger):
    trigger = {"field": "created_at", "minutes": 60, "unit": "working", **trigger}
    return make_rule(
        org.admin,
        when=when,
        trigger_type="timer",
        entity="account",
        trigger=trigger,
        actions=NOTIFY_OWNER,
    )


def test_working_minutes_skip_the_night_and_national_day(org, sent):
    # given a 60-working-minute timer and an account created 30 minutes before closing on
    # the eve of National Day (10-01..10-07 are holidays)
    rule = timer_rule(org, at("2026-09-30", "17:00"))
    account = account_at(at("2026-09-30", "17:30"), org.rep_a, name="国庆前客户")
    # when time moves through the holiday to a minute before 09:30 on the next workday
    for moment in (at("2026-09-30", "18:30"), at("2026-10-07", "18:00"), at("2026-10-08", "09:29")):
        tick(moment)
    # then nothing has fired yet
    assert not RuleFiring.objects.exists()
    # when the clock reaches 09:30 on 10-08
    output = tick(at("2026-10-08", "09:30"))
    # then the rule fires once for the account, and the owner is told
    firing = RuleFiring.objects.get()
    assert (firing.rule, firing.entity, firing.object_id) == (rule, "account", account.pk)
    assert firing.key.startswith("timer:level:0:")
    assert firing.fired_at == at("2026-10-08", "09:30")
    assert firing.results[0]["recipients"] == [org.rep_a.pk]
    assert [item["title"] for item in sent.to(org.rep_a)] == ["国庆前客户 waits for Rep A"]
    assert "automation.timers: 1 timer rule(s), 1 due, 1 firing(s)" in output


def test_the_preview_shows_the_due_instant(org):
    rule = timer_rule(org, at("2026-09-30", "17:00"))
    account = account_at(at("2026-09-30", "17:30"), org.rep_a)
    answer = services.rule_preview(actor=org.admin, rule=rule, object_id=account.pk)
    assert answer["due_at"] == at("2026-10-08", "09:30").astimezone(clock.dt.UTC).isoformat()


def test_a_sweep_run_twice_fires_once(org, sent):
    timer_rule(org, at("2026-11-23", "09:00"))
    account_at(at("2026-11-23", "10:00"), org.rep_a)
    # when the same instant is ticked twice (and the engine is called again directly)
    tick(at("2026-11-23", "11:00"))
    tick(at("2026-11-23", "11:00"))
    engine.run_timers(at("2026-11-23", "11:00"))
    # then one firing, one notification
    assert RuleFiring.objects.count() == 1
    assert len(sent) == 1


def test_a_rerun_over_an_already_read_window_fires_nothing_new(org, sent):
    # given a sweep that fired, then its watermark is lost (as if a crash happened between
    # the firings and the watermark): the window is read again
    timer_rule(org, at("2026-11-23", "09:00"))
    account_at(at("2026-11-23", "10:00"), org.rep_a)
    tick(at("2026-11-23", "11:00"))
    RuleWatermark.objects.all().delete()
    tick(at("2026-11-23", "11:05"))
    # then the unique firing row keeps it at one
    assert RuleFiring.objects.count() == 1
    assert len(sent) == 1


def test_calendar_minutes_count_nights(org, sent):
    timer_rule(org, at("2026-11-23", "09:00"), minutes=120, unit="calendar")
    account_at(at("2026-11-23", "23:00"), org.rep_a)
    tick(at("2026-11-24", "00:59"))
    assert not RuleFiring.objects.exists()
    tick(at("2026-11-24", "01:00"))
    assert RuleFiring.objects.count() == 1


def test_levels_escalate_up_the_manager_chain(org, sent):
    # given an escalation every working hour after the first, up to level 2, for rep_c
    # (Shanghai group → manager_sh → manager_east → director)
    make_rule(
        org.admin,
        when=at("2026-11-23", "09:00"),
        trigger_type="timer",
        entity="account",
        trigger={
            "field": "created_at",
            "minutes": 60,
            "unit": "working",
            "repeat_every": 60,
            "max_level": 2,
        },
        actions=[{"kind": "escalate", "title": "{name}: level {timer_level}"}],
    )
    account = account_at(at("2026-11-23", "10:00"), org.rep_c, name="升级客户")
    # when the clock passes 11:00, 12:00 and 13:00 (and later)
    levels = []
    for moment in ("10:59", "11:00", "11:30", "12:00", "13:00", "17:00"):
        tick(at("2026-11-23", moment))
        levels.append(RuleFiring.objects.count())
    # then one level fires per timeout, each once
    assert levels == [0, 1, 1, 2, 3, 3]
    firings = {f.key.rsplit(":", 1)[0]: f for f in RuleFiring.objects.filter(object_id=account.pk)}
    assert set(firings) == {"timer:level:0", "timer:level:1", "timer:level:2"}
    recipients = {
        key: (f.results[0]["level"], f.results[0]["recipients"]) for key, f in firings.items()
    }
    assert recipients == {
        "timer:level:0": (0, [org.manager_sh.pk]),
        "timer:level:1": (1, [org.manager_east.pk]),
        "timer:level:2": (2, [org.director.pk]),
    }
    assert [i["title"] for i in sent] == [
        "升级客户: level 0",
        "升级客户: level 1",
        "升级客户: level 2",
    ]


def test_a_late_sweep_fires_every_level_that_fell_due(org, sent):
    make_rule(
        org.admin,
        when=at("2026-11-23", "09:00"),
        trigger_type="timer",
        entity="account",
        trigger={"field": "created_at", "minutes": 60, "repeat_every": 60, "max_level": 5},
        actions=[{"kind": "escalate", "title": "late"}],
    )
    account_at(at("2026-11-23", "10:00"), org.rep_c)
    # when the worker was down until 13:30: levels 0, 1 and 2 are due
    tick(at("2026-11-23", "13:30"))
    keys = sorted(k.rsplit(":", 1)[0] for k in RuleFiring.objects.values_list("key", flat=True))
    assert keys == ["timer:level:0", "timer:level:1", "timer:level:2"]
    # level 3 would go to a 4th manager above rep_c: there is none, which is recorded
    tick(at("2026-11-23", "14:00"))
    level3 = RuleFiring.objects.get(key__startswith="timer:level:3:")
    assert level3.results[0]["recipients"] == []
    assert "No manager 4 level(s)" in level3.results[0]["skipped"]


def test_unless_stops_the_clock(org, sent):
    # given "remind the owner after an hour unless the account has been given notes"
    make_rule(
        org.admin,
        when=at("2026-11-23", "09:00"),
        trigger_type="timer",
        entity="account",
        trigger={"field": "created_at", "minutes": 60, "unless": "notes != ''"},
        actions=NOTIFY_OWNER,
    )
    handled = account_at(at("2026-11-23", "10:00"), org.rep_a, name="已跟进")
    waiting = account_at(at("2026-11-23", "10:00"), org.rep_a, name="未跟进")
    with clock.frozen(at("2026-11-23", "10:30")):
        customer_services.account_update(actor=org.rep_a, account=handled, notes="called")
    # when the hour is up
    tick(at("2026-11-23", "11:00"))
    tick(at("2026-11-24", "11:00"))
    # then only the account without notes fired
    assert list(RuleFiring.objects.values_list("object_id", flat=True)) == [waiting.pk]
    firing = RuleFiring.objects.get()
    assert firing.condition_values == {"notes": ""}


def test_the_condition_filters_and_its_values_are_kept(org, sent):
    make_rule(
        org.admin,
        when=at("2026-11-23", "09:00"),
        trigger_type="timer",
        entity="account",
        trigger={"field": "created_at", "minutes": 30},
        condition="level == 'A' and province == '上海市'",
        actions=NOTIFY_OWNER,
    )
    key = account_at(at("2026-11-23", "10:00"), org.rep_a, level="A")
    account_at(at("2026-11-23", "10:00"), org.rep_a, level="C")
    tick(at("2026-11-23", "10:30"))
    firing = RuleFiring.objects.get()
    assert firing.object_id == key.pk
    assert firing.condition_values == {"level": "A", "province": "上海市"}


def test_a_rule_edited_midway_keeps_old_firings_on_the_old_version(org, sent):
    rule = make_rule(
        org.admin,
        when=at("2026-11-23", "09:00"),
        trigger_type="timer",
        entity="account",
        trigger={"field": "created_at", "minutes": 60, "repeat_every": 60, "max_level": 1},
        actions=[{"kind": "notify", "to": ["owner"], "title": "first wording"}],
    )
    account_at(at("2026-11-23", "10:00"), org.rep_a)
    tick(at("2026-11-23", "11:00"))
    # when the message is changed after level 0 fired
    with clock.frozen(at("2026-11-23", "11:30")):
        services.rule_update(
            actor=org.admin,
            rule=rule,
            actions=[{"kind": "notify", "to": ["owner"], "title": "second wording"}],
        )
    tick(at("2026-11-23", "12:00"))
    # then level 0 stays on version 1 and level 1 fired under version 2
    by_key = {
        f.key.rsplit(":", 1)[0]: f.version.number
        for f in RuleFiring.objects.select_related("version")
    }
    assert by_key == {"timer:level:0": 1, "timer:level:1": 2}
    assert [i["title"] for i in sent] == ["first wording", "second wording"]
    assert [i["source"] for i in sent] == [f"rule:{rule.pk}:v1", f"rule:{rule.pk}:v2"]
    assert rule.versions.count() == 2


def test_a_rule_switched_on_later_does_not_replay_the_past(org, sent):
    rule = timer_rule(org, at("2026-11-23", "09:00"))
    with clock.frozen(at("2026-11-23", "09:00")):
        services.rule_set_active(actor=org.admin, rule=rule, active=False)
    account_at(at("2026-11-23", "10:00"), org.rep_a)
    tick(at("2026-11-23", "11:00"))  # off: nothing
    with clock.frozen(at("2026-11-23", "12:00")):
        services.rule_set_active(actor=org.admin, rule=rule, active=True)
    fresh = account_at(at("2026-11-23", "12:30"), org.rep_a)
    tick(at("2026-11-23", "14:00"))
    assert list(RuleFiring.objects.values_list("object_id", flat=True)) == [fresh.pk]
    assert Rule.objects.get(pk=rule.pk).is_active

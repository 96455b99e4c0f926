"""The nudge rules (SPEC A5, A6) as installed by default, run by the real engine.

A5: a rep under 60 % of the team's average effective touches for 3 working days in a
row gets a script pack on the third morning, not the second; weekends and holidays are
skipped in the streak. A6: the 5th "价格敏感" result in a row pushes the pricing course
(study note required), the 6th does not, another result starts the count again.

The A5 tests write the per-rep-per-day rollup (what the rule reads) directly: the
rollup's own tests show it equals the raw activities.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from salesops.activities.models import ActivityRollup, ResultTag
from salesops.activities.tests.factories import ActivityFactory
from salesops.automation import engine
from salesops.automation.models import Rule
from salesops.core import clock
from salesops.core.models import CalendarDay
from salesops.customers.tests.factories import AccountFactory
from salesops.knowledge import defaults_pushes, variables
from salesops.knowledge.models import Kind, Push
from salesops.notifications.models import Notification
from salesops.org.models import LeavePeriod, Role
from salesops.org.tests.factories import UserFactory

from . import push_factories as pf

pytestmark = pytest.mark.django_db
TZ = timezone.get_default_timezone()


def at(day: dt.date, hh=8, mm=41) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hh, mm)), TZ)


def touches(user, day: dt.date, n: int) -> None:
    ActivityRollup.objects.update_or_create(
        owner=user, day=day, hour=10, defaults={"activities": n, "effective": n}
    )


@pytest.fixture
def nudges(org):
    with clock.frozen(at(dt.date(2026, 10, 1))):
        defaults_pushes.install_rules()
    return {r.code: r for r in Rule.objects.filter(code__startswith="nudge-")}


def run_morning(rule, day: dt.date) -> int:
    with clock.frozen(at(day)):
        return engine.run_schedule_rule(Rule.objects.get(pk=rule.pk), clock.now())


# 2026-11: Wed 25, Thu 26, Fri 27, (Sat 28, Sun 29), Mon 30, Tue Dec 1.
WED, THU, FRI, MON, TUE = (
    dt.date(2026, 11, 25),
    dt.date(2026, 11, 26),
    dt.date(2026, 11, 27),
    dt.date(2026, 11, 30),
    dt.date(2026, 12, 1),
)


def low_days(org, days, *, normal=()):
    """rep_a 1 touch, rep_b 9 (East team average 5: rep_a at 20 %) on ``days``; both 5
    on ``normal`` days."""
    for day in days:
        touches(org.rep_a, day, 1)
        touches(org.rep_b, day, 9)
    for day in normal:
        touches(org.rep_a, day, 5)
        touches(org.rep_b, day, 5)


def test_a5_fires_on_the_third_working_day_not_the_second_across_a_weekend(org, nudges):
    rule = nudges[defaults_pushes.LOW_ACTIVITY_RULE]
    AccountFactory(owner=org.rep_a, industry="manufacturing")
    matched = pf.script(["manufacturing"], title="制造业开场白")
    pf.script(["finance"], title="金融话术")
    general = pf.script([], title="通用跟进话术")
    low_days(org, [THU, FRI, MON], normal=[WED])

    # Monday morning: Thursday and Friday were low (the weekend is skipped) — 2 days.
    assert run_morning(rule, MON) == 0
    assert not Push.objects.exists()
    # Tuesday morning: Thursday, Friday, Monday — the third working day: the pack.
    assert run_morning(rule, TUE) == 1
    pushed = Push.objects.filter(user=org.rep_a)
    assert {p.item_id for p in pushed} == {matched.pk, general.pk}
    assert all(not p.requires_note for p in pushed)
    assert "60%" in pushed[0].reason and "1" in pushed[0].reason
    assert Notification.objects.filter(recipient=org.rep_a, kind="knowledge.push").count() == 2
    # Nobody else: rep_b was above, the other teams had no touches (average 0).
    assert set(Push.objects.values_list("user_id", flat=True)) == {org.rep_a.pk}
    # The same morning again: the schedule's instant has fired.
    assert run_morning(rule, TUE) == 0
    assert Push.objects.count() == 2


def test_a5_a_holiday_is_skipped_in_the_streak(org, nudges):
    rule = nudges[defaults_pushes.LOW_ACTIVITY_RULE]
    pf.script([], title="通用话术")
    CalendarDay.objects.create(day=FRI, kind=CalendarDay.Kind.HOLIDAY, note="公司假日")
    low_days(org, [WED, THU, MON])
    # Monday morning: Thursday and Wednesday (Friday is a holiday now) — 2 days.
    with clock.frozen(at(MON)):
        assert variables.touch_ratios(MON).streak(org.rep_a.pk, 60) == 2
    assert run_morning(rule, MON) == 0
    assert run_morning(rule, TUE) == 1
    assert Push.objects.filter(user=org.rep_a).count() == 1


def test_a5_a_normal_day_breaks_the_streak_and_the_fourth_day_does_not_fire_again(org, nudges):
    rule = nudges[defaults_pushes.LOW_ACTIVITY_RULE]
    pf.script([], title="通用话术")
    low_days(org, [WED, THU, FRI, MON])
    assert run_morning(rule, MON) == 1  # Wed, Thu, Fri
    assert run_morning(rule, TUE) == 0  # the 4th day of the same streak
    assert Push.objects.count() == 1
    ratios = variables.touch_ratios(TUE)
    assert ratios.streak(org.rep_a.pk, 60) == 4
    assert ratios.streak(org.rep_a.pk, 10) == 0  # 20 % is not below 10 %
    assert ratios.streak(org.rep_b.pk, 60) == 0


def test_a5_average_counts_reps_without_touches_and_leaves_out_leave(org):
    rep_e = UserFactory(username="rep_e", role=Role.REP, team=org.east)
    touches(org.rep_a, MON, 2)
    touches(org.rep_b, MON, 10)
    # rep_e logged nothing: East's average is (2 + 10 + 0) / 3 = 4; rep_a at 50 %.
    ratios = variables.touch_ratios(TUE, lookback=1)
    assert ratios.averages[org.east.pk] == [4]
    assert ratios.streak(org.rep_a.pk, 60) == 1
    assert ratios.streak(rep_e.pk, 60) == 1
    # rep_e on leave Monday: not low, and not in the average (6): rep_a at 33 %.
    LeavePeriod.objects.create(user=rep_e, starts_on=MON, ends_on=MON)
    ratios = variables.touch_ratios(TUE, lookback=1)
    assert ratios.averages[org.east.pk] == [6]
    assert ratios.streak(rep_e.pk, 5) == 0
    assert ratios.streak(org.rep_a.pk, 35) == 1


def test_a5_the_numbers_are_edited_in_the_condition(org, nudges):
    from salesops.automation import services as automation_services

    rule = nudges[defaults_pushes.LOW_ACTIVITY_RULE]
    pf.script([], title="通用话术")
    low_days(org, [FRI, MON])
    version = rule.current_version
    with clock.frozen(at(THU)):
        automation_services.rule_update(
            actor=org.admin,
            rule=rule,
            condition="is_workday and role == 'rep' and low_activity_days_25 == 2",
            trigger=version.trigger,
            actions=version.actions,
        )
    assert run_morning(rule, TUE) == 1


def test_a5_preview_on_a_person(org, nudges):
    from salesops.automation import services as automation_services

    rule = nudges[defaults_pushes.LOW_ACTIVITY_RULE]
    pf.script([], title="通用话术")
    low_days(org, [THU, FRI, MON])
    with clock.frozen(at(TUE)):
        answer = automation_services.rule_preview(
            actor=org.admin, rule=rule, object_id=org.rep_a.pk
        )
    assert answer["would_fire"] is True
    assert answer["variables"]["low_activity_days_60"] == 3
    assert "password" not in answer["variables"]
    assert "Would push “通用话术” to Rep A" in answer["actions"][0]["would"]
    assert not Push.objects.exists()


# --- A6 -----------------------------------------------------------------------------------
def log(user, account, code: str, n: int):
    tag = ResultTag.objects.get(code=code)
    fired = []
    for _i in range(n):
        activity = ActivityFactory(owner=user, account=account, tag=tag, duration_seconds=60)
        payload = {"id": activity.pk, "event_id": f"a-{activity.pk}", "tag": code}
        fired.append(len(engine.process_event("activity.logged", payload)))
    return fired


def test_a6_fires_on_the_fifth_price_sensitive_result_and_resets_on_another(org, nudges):
    account = AccountFactory(owner=org.rep_a)
    assert log(org.rep_a, account, "price_sensitive", 4) == [0, 0, 0, 0]
    assert log(org.rep_a, account, "price_sensitive", 1) == [1]  # the 5th
    push = Push.objects.get()
    assert push.user == org.rep_a
    assert push.item.kind == Kind.COURSE
    assert push.item.title == defaults_pushes.PRICING_COURSE_TITLE
    assert push.requires_note is True
    assert "5" in push.reason
    assert log(org.rep_a, account, "price_sensitive", 1) == [0]  # the 6th: nothing
    assert Push.objects.count() == 1
    # Another result ends the streak; 5 more push again.
    assert log(org.rep_a, account, "demo_booked", 1) == [0]
    assert log(org.rep_a, account, "price_sensitive", 5) == [0, 0, 0, 0, 1]
    assert Push.objects.filter(user=org.rep_a).count() == 2
    # Another rep's results are their own streak.
    other = AccountFactory(owner=org.rep_b)
    assert log(org.rep_b, other, "price_sensitive", 4) == [0, 0, 0, 0]
    assert Notification.objects.filter(recipient=org.rep_a, kind="knowledge.push").count() == 2


def test_a6_the_course_is_created_once_and_the_rule_names_it(org, nudges):
    rule = nudges[defaults_pushes.PRICE_SENSITIVE_RULE]
    (action,) = rule.current_version.actions
    assert action["item"] == defaults_pushes.pricing_course().pk
    assert action["requires_note"] is True
    defaults_pushes.install_rules()  # again: nothing new
    assert Rule.objects.filter(code__startswith="nudge-").count() == 2


def test_rules_about_people_never_see_the_password(org):
    from django.core.exceptions import ValidationError

    from salesops.automation import services as automation_services
    from salesops.automation.fields import record_fields

    names = {f["name"] for f in record_fields("user")}
    assert {"role", "team_id", "low_activity_days_60"} <= names
    assert "same_tag_streak" not in names  # an activity's, not a person's
    assert not names & {"password", "last_login", "email", "phone"}
    with pytest.raises(ValidationError) as exc:
        automation_services.rule_create(
            actor=org.admin,
            name="peek",
            trigger_type="schedule",
            entity="user",
            trigger={"every": "daily", "at": "08:40"},
            condition="password != ''",
            actions=[{"kind": "push_content", "pack": "scripts", "reason": "{password}"}],
        )
    assert "condition" in exc.value.message_dict
    assert "actions.0.reason" in exc.value.message_dict


def test_the_default_rules_open_in_the_builder(org, nudges, client):
    from django.urls import reverse

    client.force_login(org.admin)
    for rule in nudges.values():
        r = client.get(reverse("automation:rule_edit", args=[rule.pk]))
        assert r.status_code == 200
        assert "push_content" in r.content.decode()
    r = client.get(
        reverse("automation:rule_detail", args=[nudges[defaults_pushes.LOW_ACTIVITY_RULE].pk])
    )
    assert r.status_code == 200 and "low_activity_days_60" in r.content.decode()

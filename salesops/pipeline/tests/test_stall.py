"""The stall alert (D4): the default rule ``deal-stall-alert`` fires when a deal has been
longer in an open stage than the stage's threshold, in Chinese working days, and tells
the owner and the manager the stage's suggested next actions."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from salesops.automation.models import Rule, RuleFiring
from salesops.core import calendar
from salesops.notifications.models import Notification
from salesops.pipeline import configuration, stages
from salesops.pipeline.defaults import rules as default_rules
from salesops.pipeline.models import Deal

from .factories import make_deal, stage

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def at(day: str, hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=SH)


def tick(moment: dt.datetime) -> None:
    """``salesops tick`` at ``moment`` (the worker's sweep), with the clock there too."""
    with time_machine.travel(moment, tick=False):
        call_command("tick", "--now", moment.isoformat(), stdout=StringIO())


def alerts(deal):
    """The stall alerts about ``deal`` (its name is in the title; the deal page's link is
    not asserted: the deal pages are another part of the issue)."""
    return Notification.objects.filter(
        kind="rule", source__startswith="rule:", title__contains=deal.name
    )


@pytest.fixture
def stall_rule(db, pipeline):
    with time_machine.travel(at("2026-09-01", "09:00"), tick=False):
        (rule,) = default_rules.install_rules("zh-hans", codes={default_rules.STALL_RULE})
    return rule


def test_the_default_rule_is_a_timer_on_the_stall_instant(stall_rule):
    version = stall_rule.current_version
    assert stall_rule.code == "deal-stall-alert" and stall_rule.is_active
    assert version.entity == "deal"
    assert version.trigger["field"] == "stall_due_at"
    assert version.trigger["minutes"] == 1 and version.trigger["unit"] == "working"
    # Installing again adds nothing.
    assert default_rules.install_rules("zh-hans", codes={default_rules.STALL_RULE}) == []


def test_alert_after_5_working_days_across_national_day_and_not_before(org, stall_rule):
    # Entered "demo" on Tue 29 Sep 10:00; 1–7 Oct are holidays.
    with time_machine.travel(at("2026-09-29", "10:00"), tick=False):
        deal = make_deal(owner=org.rep_a, stage_code="demo")
    due = deal.stall_due_at.astimezone(SH)
    # Five working days: 29 Sep, 30 Sep, then the working days after the holiday — not
    # the 4 October five calendar days would give.
    assert due.date() > dt.date(2026, 10, 7)
    assert calendar.working_days_elapsed(deal.stage_entered_at, due) == 5.0
    assert all(not calendar.is_workday(dt.date(2026, 10, d)) for d in range(1, 8))

    for moment in (at("2026-10-04", "10:00"), at("2026-10-07", "18:00"), due):
        tick(moment)
    assert not alerts(deal).exists()
    assert not RuleFiring.objects.filter(rule=stall_rule).exists()

    tick(due + dt.timedelta(minutes=1))
    recipients = set(alerts(deal).values_list("recipient__username", flat=True))
    assert recipients == {"rep_a", "manager_east"}
    note = alerts(deal).filter(recipient=org.rep_a).get()
    # The stage's name in the worker's language; the days as a whole number.
    assert f"「{stage('demo').name}」已 5 个工作日" in note.title
    assert "发送报价单" in note.body and "约见决策人" in note.body
    firing = RuleFiring.objects.get(rule=stall_rule)
    assert firing.object_id == deal.pk and firing.status == "done"

    # A second sweep does not alert again.
    tick(due + dt.timedelta(hours=3))
    assert alerts(deal).count() == 2


def test_a_per_stage_threshold_of_3_days(org, stall_rule):
    with time_machine.travel(at("2026-09-01", "09:30"), tick=False):
        configuration.stage_update(actor=org.admin, stage=stage("needs"), stall_days=3)
    # Mon 14 Sep 10:00 + 3 working days = Thu 17 Sep 10:00.
    with time_machine.travel(at("2026-09-14", "10:00"), tick=False):
        deal = make_deal(owner=org.rep_b, stage_code="needs")
    assert deal.stall_due_at == at("2026-09-17", "10:00")
    tick(at("2026-09-16", "17:00"))
    tick(at("2026-09-17", "10:00"))
    assert not alerts(deal).exists()
    tick(at("2026-09-17", "10:05"))
    assert set(alerts(deal).values_list("recipient__username", flat=True)) == {
        "rep_b",
        "manager_east",
    }


def test_a_lowered_threshold_alerts_deals_already_past_it(org, stall_rule):
    with time_machine.travel(at("2026-09-14", "10:00"), tick=False):
        deal = make_deal(owner=org.rep_a, stage_code="proposal")
    tick(at("2026-09-17", "11:00"))  # 3 working days in: under the 5-day threshold
    assert not alerts(deal).exists()
    with time_machine.travel(at("2026-09-17", "11:30"), tick=False):
        configuration.stage_update(actor=org.admin, stage=stage("proposal"), stall_days=2)
    assert Deal.objects.get(pk=deal.pk).stall_due_at == at("2026-09-16", "10:00")
    tick(at("2026-09-17", "11:35"))
    assert alerts(deal).count() == 2


def test_no_alert_after_the_deal_moves_on_and_the_clock_restarts(org, stall_rule):
    with time_machine.travel(at("2026-09-14", "10:00"), tick=False):
        deal = make_deal(owner=org.rep_a)  # 初步接触: no exit criteria, no approval
    old_due = deal.stall_due_at
    with time_machine.travel(at("2026-09-17", "10:00"), tick=False):
        stages.request_stage_change(actor=org.rep_a, deal=deal, to_stage=stage("needs"))
    deal = Deal.objects.get(pk=deal.pk)
    assert deal.stage.code == "needs"
    new_due = calendar.add_working_days(at("2026-09-17", "10:00"), 5)
    assert deal.stall_due_at == new_due
    # Past the first stage's instant: nothing (the deal left it).
    tick(old_due + dt.timedelta(minutes=5))
    tick(new_due - dt.timedelta(hours=1))
    assert not alerts(deal).exists()
    # Five working days in the new stage: alerted, about the new stage.
    tick(new_due + dt.timedelta(minutes=1))
    note = alerts(deal).filter(recipient=org.rep_a).get()
    assert stage("needs").name in note.title


def test_won_and_lost_deals_are_never_alerted(org, stall_rule):
    with time_machine.travel(at("2026-09-14", "10:00"), tick=False):
        deal = make_deal(owner=org.rep_a)
    with time_machine.travel(at("2026-09-15", "10:00"), tick=False):
        stages.request_stage_change(
            actor=org.rep_a,
            deal=deal,
            to_stage=stage("lost"),
            reason="预算取消",
            lost_reason="no_budget",
        )
    assert Deal.objects.get(pk=deal.pk).stall_due_at is None
    tick(at("2026-10-30", "10:00"))
    assert not alerts(deal).exists()
    assert Rule.objects.filter(code="deal-stall-alert").exists()


def test_after_migrate_both_default_rules_are_installed_once(settings, pipeline):
    from salesops.pipeline import defaults

    settings.TESTING = False
    defaults.install()
    defaults.install()
    rules = dict(Rule.objects.filter(code__startswith="deal-").values_list("code", "is_active"))
    assert rules == {"deal-stall-alert": True, "deal-auto-approve-small": False}

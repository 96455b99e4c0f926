"""SPEC A2: an activity left without a result is brought back to its owner until it is
finished — the selector the home page reads, the default reminder rule run by the real
sweep (``salesops tick --now``), the banner and the page that finishes it."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from salesops.activities import selectors, services
from salesops.activities.defaults import UNFINISHED_RULE, install_rules
from salesops.activities.models import Activity
from salesops.automation.models import Rule
from salesops.core import clock
from salesops.notifications.models import Notification

from .conftest import NOON, lead_for

REMINDER = "Finish your check-in"


@pytest.fixture
def reminder_rule(db):
    with clock.frozen(NOON - dt.timedelta(days=30)):
        install_rules("en")
    return Rule.objects.get(code=UNFINISHED_RULE)


def tick(moment):
    call_command("tick", "--now", moment.isoformat(), stdout=StringIO())


def reminders(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, title__startswith=REMINDER))


def start(user, lead, at):
    with clock.frozen(at):
        return services.activity_log(actor=user, kind="call", lead=lead)


def test_unfinished_checkins_are_the_users_own_open_activities_newest_first(org):
    lead_a, lead_b = lead_for(org.rep_a), lead_for(org.rep_b)
    older = start(org.rep_a, lead_a, NOON)
    newer = start(org.rep_a, lead_a, NOON + dt.timedelta(hours=1))
    start(org.rep_b, lead_b, NOON)  # someone else's
    with clock.frozen(NOON + dt.timedelta(hours=2)):
        services.activity_log(actor=org.rep_a, kind="call", lead=lead_a, tag="demo_booked")
    assert list(selectors.unfinished_checkins(org.rep_a)) == [newer, older]
    # a manager's own list holds only their own activities, not the team's
    assert list(selectors.unfinished_checkins(org.manager_east)) == []
    with clock.frozen(NOON + dt.timedelta(hours=3)):
        services.check_in(actor=org.rep_a, activity=newer, tag="call_back")
    assert list(selectors.unfinished_checkins(org.rep_a)) == [older]


def test_the_default_rule_is_an_ordinary_editable_timer(reminder_rule):
    trigger = reminder_rule.current_version.trigger
    assert (trigger["field"], trigger["minutes"], trigger["unit"]) == ("started_at", 30, "calendar")
    assert reminder_rule.current_version.entity == "activity"
    assert install_rules() == []  # installing again changes nothing


def test_reminder_reaches_the_owner_once_and_not_for_finished_ones(org, reminder_rule):
    lead_a, lead_b = lead_for(org.rep_a), lead_for(org.rep_b)
    open_call = start(org.rep_a, lead_a, NOON)
    finished = start(org.rep_b, lead_b, NOON)
    with clock.frozen(NOON + dt.timedelta(minutes=10)):
        services.check_in(actor=org.rep_b, activity=finished, tag="demo_booked")
    # Not yet: 29 minutes after the start
    tick(NOON + dt.timedelta(minutes=29))
    assert reminders(org.rep_a) == []
    # 30 minutes after the start the owner gets one inbox item, linking to the activity
    tick(NOON + dt.timedelta(minutes=30))
    sent = reminders(org.rep_a)
    assert len(sent) == 1 and sent[0].link == open_call.get_absolute_url()
    # Nobody else hears about it; the finished one reminds nobody
    assert Notification.objects.filter(title__startswith=REMINDER).count() == 1
    assert reminders(org.rep_b) == [] and reminders(org.manager_east) == []
    # Further sweeps do not repeat it
    tick(NOON + dt.timedelta(minutes=31))
    tick(NOON + dt.timedelta(hours=5))
    assert len(reminders(org.rep_a)) == 1


def test_the_minutes_are_data(org, reminder_rule):
    from salesops.automation import services as automation_services

    version = reminder_rule.current_version
    with clock.frozen(NOON - dt.timedelta(days=1)):
        automation_services.rule_update(
            actor=org.admin,
            rule=reminder_rule,
            trigger={**version.trigger, "minutes": 60},
        )
    start(org.rep_a, lead_for(org.rep_a), NOON)
    tick(NOON + dt.timedelta(minutes=45))
    assert reminders(org.rep_a) == []
    tick(NOON + dt.timedelta(minutes=60))
    assert len(reminders(org.rep_a)) == 1


def test_banner_and_finishing_from_the_activity_page(client, org):
    lead = lead_for(org.rep_a)
    activity = start(org.rep_a, lead, NOON)
    client.force_login(org.rep_a)
    html = client.get(reverse("activities:activity_list")).content.decode()
    assert 'data-testid="unfinished-banner"' in html
    assert "1 unfinished check-in" in html
    listed = client.get(reverse("activities:activity_list"), {"finished": "false"})
    assert f'data-id="{activity.pk}"' in listed.content.decode()
    url = activity.get_absolute_url()
    page = client.get(url).content.decode()
    assert 'data-testid="finish-form"' in page
    # Without a result: refused, still open
    response = client.post(url, {"note": "x"})
    assert "Pick a result to finish the check-in" in response.content.decode()
    activity.refresh_from_db()
    assert activity.tag is None
    # Another rep cannot open it at all
    client.force_login(org.rep_b)
    assert client.get(url).status_code == 404
    assert client.post(url, {"tag": "demo_booked"}).status_code == 404
    # The owner finishes it: the banner goes away
    client.force_login(org.rep_a)
    with clock.frozen(NOON + dt.timedelta(minutes=2)):
        response = client.post(url, {"tag": "demo_booked", "note": "约了周五"})
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.tag.code == "demo_booked" and activity.duration_source == "timer"
    assert activity.duration_seconds == 120 and activity.effective
    html = client.get(reverse("activities:activity_list")).content.decode()
    assert 'data-testid="unfinished-banner"' not in html
    assert 'data-testid="finish-form"' not in client.get(url).content.decode()
    assert Activity.objects.count() == 1

"""Schedules from the simple form: daily at, weekly on … at, monthly on the Nth Chinese
working day at — compiled to a cron kept with the form, previewed as the next 5 instants
in the organisation's time zone (Asia/Shanghai), and fired by the engine on that day."""

import datetime as dt
import json
import re

import pytest
from django.urls import reverse

from salesops.automation import triggers
from salesops.automation.models import Rule, RuleFiring

from .conftest import SH, at, make_rule, tick
from .test_views import builder_post, page, state

pytestmark = pytest.mark.django_db

DIGEST = [{"kind": "notify", "to": ["role:director"], "title": "Monthly figures"}]


def clean(**trigger):
    errors: dict = {}
    _entity, result = triggers.clean_trigger("schedule", "", trigger, errors)
    return result, errors


def test_daily_and_weekly_compile_to_cron():
    assert clean(every="daily", at="9:05")[0] == {
        "every": "daily",
        "at": "09:05",
        "cron": "5 9 * * *",
    }
    result, errors = clean(every="weekly", at="08:30", weekdays=["1", "3", "7"])
    assert errors == {}
    assert result == {
        "every": "weekly",
        "at": "08:30",
        "weekdays": [1, 3, 7],
        "cron": "30 8 * * 1,3,0",
    }


@pytest.mark.parametrize(
    ("trigger", "key"),
    [
        ({"every": "daily", "at": "25:00"}, "trigger.at"),
        ({"every": "weekly", "at": "09:00", "weekdays": []}, "trigger.weekdays"),
        ({"every": "weekly", "at": "09:00", "weekdays": ["8"]}, "trigger.weekdays"),
        ({"every": "monthly_workday", "at": "09:00", "workday": "0"}, "trigger.workday"),
        ({"every": "hourly", "at": "09:00"}, "trigger.every"),
        ({"every": "cron", "cron": "0 25 * * *"}, "trigger.cron"),
    ],
)
def test_a_bad_schedule_names_its_field(trigger, key):
    assert key in clean(**trigger)[1]


def test_the_second_working_day_skips_the_national_day_holiday():
    trigger, errors = clean(every="monthly_workday", at="09:00", workday="2")
    assert errors == {} and trigger["cron"] == "0 9 * * *"
    runs = triggers.next_instants(trigger, at("2026-09-15", "12:00"), 5)
    assert len(runs) == 5
    # (2027 is not asserted: the workday calendar has no 2027 holidays yet)
    assert [r.strftime("%Y-%m-%d %H:%M") for r in runs[:3]] == [
        "2026-10-09 09:00",  # 1–8 October are the National Day holiday
        "2026-11-03 09:00",  # 2 November is a Monday: the 1st working day
        "2026-12-02 09:00",
    ]
    assert all(r.tzinfo is not None and r.utcoffset() == dt.timedelta(hours=8) for r in runs)
    # the latest instant at or before a moment is the last 2nd working day
    assert triggers.latest_instant(trigger, at("2026-10-08", "23:00")) == at("2026-09-02", "09:00")


def test_the_engine_fires_on_the_second_working_day_only(org, sent):
    rule = make_rule(
        org.admin,
        when=at("2026-09-20", "12:00"),
        trigger_type="schedule",
        trigger={"every": "monthly_workday", "at": "09:00", "workday": 2},
        actions=DIGEST,
    )
    tick(at("2026-10-08", "09:30"))  # a holiday: nothing
    assert not RuleFiring.objects.exists()
    tick(at("2026-10-09", "09:00"))
    tick(at("2026-10-12", "09:00"))
    firing = RuleFiring.objects.get(rule=rule)
    assert firing.key == "schedule:2026-10-09T09:00"
    assert [i["recipient_id"] for i in sent] == [org.director.pk]


@pytest.fixture
def admin_client(client, org):
    client.force_login(org.admin)
    return client


def schedule_post(**overrides):
    data = builder_post(
        name="Monthly figures",
        trigger_type="schedule",
        entity="",
        condition="",
        actions=json.dumps(DIGEST),
        every="monthly_workday",
        at="09:00",
        workday="2",
    )
    data.update(overrides)
    return data


def test_the_page_previews_the_next_five_runs_in_shanghai_time(admin_client):
    url = reverse("automation:validate") + "?target=schedule"
    html = page(admin_client.post(url, schedule_post(), HTTP_HX_REQUEST="true"))
    runs = re.findall(r'data-testid="next-run">([^<]+)<', html)
    assert len(runs) == 5
    assert "Asia/Shanghai" in html
    assert all(r.endswith("09:00") for r in runs)
    html = page(admin_client.post(url, schedule_post(at="9h"), HTTP_HX_REQUEST="true"))
    assert 'data-state="error"' in html and "HH:MM" in html


def test_the_page_saves_a_weekly_schedule_and_reopens_its_form(admin_client):
    data = schedule_post(every="weekly", at="08:30")
    data["weekdays"] = ["1", "5"]
    response = admin_client.post(reverse("automation:rule_create"), data)
    assert response.status_code == 302, page(response)
    rule = Rule.objects.get()
    assert rule.current_version.trigger == {
        "every": "weekly",
        "at": "08:30",
        "weekdays": [1, 5],
        "cron": "30 8 * * 1,5",
    }
    values = state(admin_client.get(reverse("automation:rule_edit", args=[rule.pk])))["values"]
    assert (values["every"], values["at"], values["weekdays"]) == ("weekly", "08:30", ["1", "5"])
    detail = page(admin_client.get(reverse("automation:rule_detail", args=[rule.pk])))
    assert "Every week on Monday, Friday at 08:30" in detail


def test_cron_stays_for_experts(admin_client):
    response = admin_client.post(
        reverse("automation:rule_create"), schedule_post(every="cron", cron="0 9 * * 1-5")
    )
    assert response.status_code == 302, page(response)
    assert Rule.objects.get().current_version.trigger == {"cron": "0 9 * * 1-5"}


def test_sh_is_the_organisation_time_zone(settings):
    assert settings.TIME_ZONE == "Asia/Shanghai" and str(SH) == "Asia/Shanghai"


def test_the_api_takes_the_simple_form_and_names_a_bad_time(admin_client):
    body = {
        "name": "Monthly figures",
        "trigger_type": "schedule",
        "trigger": {"every": "monthly_workday", "at": "09:00", "workday": 2},
        "actions": DIGEST,
    }
    response = admin_client.post("/api/v1/automation/rules", body, content_type="application/json")
    assert response.status_code in (200, 201), response.content
    assert Rule.objects.get().current_version.trigger == {
        "every": "monthly_workday",
        "at": "09:00",
        "workday": 2,
        "cron": "0 9 * * *",
    }
    body["trigger"] = {"every": "daily", "at": "9 am"}
    response = admin_client.post("/api/v1/automation/rules", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["field"] == "trigger.at"

"""The daily report's page and API (/api/v1/daily-reports), and the default reminder rule
for missing reports run by the real sweep (``salesops tick --now``)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from salesops.activities import daily_reports
from salesops.activities.defaults import DAILY_REPORT_RULE, install_rules
from salesops.activities.models import DailyReport
from salesops.automation.models import Rule
from salesops.core import clock
from salesops.notifications.models import Notification
from salesops.org.models import LeavePeriod
from salesops.org.services import api_token_create

from .conftest import account_for
from .test_daily_reports import WED, call, local, submit

API = "/api/v1"


def token_client(user) -> Client:
    _, key = api_token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {key}"})


def post(client, url, data):
    return client.post(API + url, data=data, content_type="application/json")


# --- page ------------------------------------------------------------------------------------
def test_the_page_is_prefilled_and_sends_the_report(org, client):
    account = account_for(org.rep_a, name="宁波海纳")
    client.force_login(org.rep_a)
    with clock.frozen(local(WED, 18)):
        call(org.rep_a, account, local(WED, 9))
        page = client.get(reverse("activities:daily_report"))
        assert page.status_code == 200
        body = page.content.decode()
        assert "Call 1" in body and "宁波海纳 ×1" in body
        bad = client.post(
            reverse("activities:daily_report"),
            {"day": WED.isoformat(), "done": "", "plans": "", "help_needed": "x" * 1001},
        )
        assert bad.status_code == 400
        text = bad.content.decode()
        assert "is empty: write at least a line" in text
        assert "at most 1000 characters (it has 1001)" in text
        assert not DailyReport.objects.exists()
        sent = client.post(
            reverse("activities:daily_report"),
            {
                "day": WED.isoformat(),
                "done": "Called 宁波海纳",
                "plans": "Visit",
                "help_needed": "",
            },
        )
    report = DailyReport.objects.get()
    assert sent.status_code == 302 and sent.url == report.get_absolute_url()
    assert client.get(sent.url).status_code == 200


def test_another_reps_report_page_is_a_404_and_the_manager_reads_it(org, client):
    with clock.frozen(local(WED, 18)):
        report = submit(org.rep_a, help_needed="需要技术支持")
    client.force_login(org.rep_b)
    assert client.get(report.get_absolute_url()).status_code == 404
    assert (
        "需要技术支持" not in client.get(reverse("activities:daily_report_list")).content.decode()
    )
    client.force_login(org.manager_east)
    assert "需要技术支持" in client.get(report.get_absolute_url()).content.decode()
    assert "需要技术支持" in client.get(reverse("activities:daily_report_list")).content.decode()


# --- API -------------------------------------------------------------------------------------
def test_api_sends_lists_and_refuses_bad_input(org):
    api = token_client(org.rep_a)
    with clock.frozen(local(WED, 18)):
        created = post(api, "/daily-reports", {"done": "calls", "plans": "visits"})
        assert created.status_code == 201, created.content
        body = created.json()
        assert body["day"] == WED.isoformat() and body["snapshot"]["activities"] == 0
        again = post(api, "/daily-reports", {"done": "calls", "plans": "more visits"})
        assert again.status_code == 200 and again.json()["id"] == body["id"]
        empty = post(api, "/daily-reports", {"done": "", "plans": "x"})
        assert empty.status_code == 422 and empty.json()["field"] == "done"
        late = post(api, "/daily-reports", {"day": "2026-11-01", "done": "a", "plans": "b"})
        assert late.status_code == 422 and late.json()["field"] == "day"
        garbage = post(api, "/daily-reports", {"day": "yesterday", "done": "a", "plans": "b"})
        assert garbage.status_code == 422
        long = post(api, "/daily-reports", {"done": "a", "plans": "b" * 1001})
        assert long.status_code == 422 and long.json()["field"] == "plans"
        prefill = api.get(API + "/daily-reports/prefill")
        assert prefill.status_code == 200 and prefill.json()["day"] == WED.isoformat()
        assert api.get(API + "/daily-reports/prefill?day=2026-11-01").status_code == 422
    listing = api.get(API + "/daily-reports").json()
    assert listing["count"] == 1 and listing["results"][0]["plans"] == "more visits"
    assert api.get(API + "/daily-reports", {"q": "more visits"}).json()["count"] == 1
    assert api.get(API + "/daily-reports", {"help": "true"}).json()["count"] == 0
    assert api.get(API + "/daily-reports", {"date_from": "someday"}).status_code == 422


def test_api_visibility(org):
    with clock.frozen(local(WED, 18)):
        report = submit(org.rep_a)
        other = token_client(org.rep_b)
        assert other.get(f"{API}/daily-reports/{report.pk}").status_code == 404
        patched = other.patch(
            f"{API}/daily-reports/{report.pk}", data={"plans": "x"}, content_type="application/json"
        )
        assert patched.status_code == 404
        assert other.get(API + "/daily-reports").json()["count"] == 0
        manager = token_client(org.manager_east)
        assert manager.get(f"{API}/daily-reports/{report.pk}").status_code == 200
        refused = manager.patch(
            f"{API}/daily-reports/{report.pk}", data={"plans": "x"}, content_type="application/json"
        )
        assert refused.status_code == 403
        own = token_client(org.rep_a).patch(
            f"{API}/daily-reports/{report.pk}",
            data={"help_needed": "报价审批"},
            content_type="application/json",
        )
        assert own.status_code == 200 and own.json()["help_needed"] == "报价审批"
    assert (
        token_client(org.finance)
        .post(
            API + "/daily-reports",
            data={"done": "a", "plans": "b"},
            content_type="application/json",
        )
        .status_code
        == 403
    )


# --- reminder --------------------------------------------------------------------------------
REMINDER = "Send today's daily report"


@pytest.fixture
def reminder_rule(db):
    # switched on Wednesday noon: Tuesday's 18:30 is before it, so the first instant is
    # Wednesday's
    with clock.frozen(local(WED, 12)):
        install_rules("en")
    return Rule.objects.get(code=DAILY_REPORT_RULE)


def tick(moment):
    call_command("tick", "--now", moment.isoformat(), stdout=StringIO())


def reminded(user) -> int:
    return Notification.objects.filter(recipient=user, title=REMINDER).count()


def test_the_reminder_fires_for_reps_without_todays_report(org, reminder_rule):
    assert reminder_rule.is_active and reminder_rule.current_version.entity == "user"
    LeavePeriod.objects.create(user=org.rep_c, starts_on=WED, ends_on=WED)
    with clock.frozen(local(WED, 17)):
        submit(org.rep_a)
    tick(local(WED, 18, 20))  # before 18:30: nothing yet
    assert reminded(org.rep_b) == 0
    tick(local(WED, 18, 31))
    assert reminded(org.rep_a) == 0  # has written it
    assert reminded(org.rep_b) == 1
    assert reminded(org.rep_d) == 1
    assert reminded(org.rep_c) == 0  # on leave
    assert reminded(org.manager_east) == 0  # managers write none
    tick(local(WED, 18, 45))  # the same instant never fires twice
    assert reminded(org.rep_b) == 1
    assert daily_reports.reported_owner_ids(WED) == {org.rep_a.pk}


def test_no_reminder_on_a_day_off(org, reminder_rule):
    tick(local(WED, 18, 31))
    assert reminded(org.rep_b) == 1
    saturday = dt.date(2026, 11, 28)
    tick(local(saturday, 18, 31))
    assert reminded(org.rep_b) == 1


def test_the_reminder_is_an_ordinary_rule_in_the_builder(org, reminder_rule, client):
    from salesops.automation import fields as rule_fields
    from salesops.automation import services as automation_services
    from salesops.core import entities

    client.force_login(org.admin)
    page = client.get(reverse("automation:rule_edit", args=[reminder_rule.pk]))
    assert page.status_code == 200
    assert "daily_report_today" in page.content.decode()
    # rules about people read their name, role and team, never their password hash
    names = {f["name"] for f in rule_fields.record_fields("user")}
    assert {"username", "role", "team_id", "daily_report_today"} <= names
    assert "password" not in names and "password" not in entities.get("user").variable_names()
    # an admin edits it like any other rule: another time, another condition
    changed = automation_services.rule_update(
        actor=org.admin,
        rule=reminder_rule,
        trigger={"every": "daily", "at": "17:45"},
        condition="is_workday and role == 'rep' and not daily_report_today",
    )
    assert changed.current_version.trigger["cron"] == "45 17 * * *"


def test_the_list_filters_and_exports_only_what_the_user_may_read(org, client):
    import io

    import openpyxl

    with clock.frozen(local(WED, 18)):
        submit(org.rep_a, done="=1+1 east", help_needed="报价")
        submit(org.rep_b, done="east b")
        submit(org.rep_d, done="south d")
    client.force_login(org.manager_east)
    url = reverse("activities:daily_report_list")
    html = client.get(url).content.decode()
    assert "east b" in html and "south d" not in html
    only_a = client.get(url, {"owner": org.rep_a.pk, "help": "true"}).content.decode()
    assert "=1+1 east" in only_a and "east b" not in only_a
    assert client.get(url, {"date_from": "2026-13-01"}).status_code == 400
    export = client.get(reverse("activities:daily_report_export", args=["xlsx"]))
    assert export.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content)))
    rows = list(book.active.iter_rows(min_row=2))
    done = sorted(str(row[2].value) for row in rows)
    assert done == ["=1+1 east", "east b"]  # rep_d's is another team's
    formula = next(row[2] for row in rows if str(row[2].value).startswith("="))
    assert formula.data_type == "s"  # text, never a formula


def test_the_page_refuses_a_day_out_of_reach(org, client):
    client.force_login(org.rep_a)
    with clock.frozen(local(WED, 18)):
        page = client.post(
            reverse("activities:daily_report"),
            {"day": "2026-11-01", "done": "a", "plans": "b"},
        )
    assert page.status_code == 400
    assert 'data-testid="error-day"' in page.content.decode()
    assert not DailyReport.objects.exists()
    client.force_login(org.finance)  # a read-only role has no form
    assert client.get(reverse("activities:daily_report")).status_code == 403

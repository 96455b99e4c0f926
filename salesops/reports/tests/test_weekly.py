"""SPEC A7: the weekly report, assembled from the daily data — its totals equal the days
they sum and the raw records, missing daily reports follow the working days, visibility
as for the data, the Excel export (Chinese headers, formulas kept as text) and the
printable page."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client
from django.utils import timezone

from salesops.activities import daily_reports, services
from salesops.activities import figures as day_figures
from salesops.activities.models import Activity
from salesops.core import clock
from salesops.customers.tests.factories import make_account
from salesops.leads.models import Lead
from salesops.pipeline.models import Deal, StageChange
from salesops.reports.weekly import parse_week, weekly_report

from .pipeline_data import move, opened

MON = dt.date(2026, 11, 23)
SUN = MON + dt.timedelta(days=6)
WEEK = "2026-W48"


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time(hour, minute)), timezone.get_default_timezone()
    )


def log(user, account, day, hour, *, seconds=60, kind="call", tag="demo_booked"):
    return services.activity_log(
        actor=user,
        kind=kind,
        account=account,
        started_at=local(day, hour),
        duration_seconds=seconds,
        tag=tag,
    )


@pytest.fixture
def week(org):
    """Activities, deals and reports of rep_a and rep_b in week 48 (and around it)."""
    a_account = make_account(owner=org.rep_a, name="杭州云帆")
    b_account = make_account(owner=org.rep_b, name="苏州精工")
    with clock.frozen(local(MON + dt.timedelta(days=2), 19)):
        for offset, hour, kind, seconds in [
            (0, 9, "call", 60),
            (0, 23, "visit", 600),  # 23:00 local: still Monday
            (1, 10, "call", 5),  # not effective
            (2, 11, "wechat", 120),
            (6, 20, "email", 40),  # Sunday
        ]:
            log(
                org.rep_a,
                a_account,
                MON + dt.timedelta(days=offset),
                hour,
                seconds=seconds,
                kind=kind,
            )
        log(org.rep_a, a_account, MON - dt.timedelta(days=1), 23)  # the Sunday before
        log(org.rep_a, a_account, SUN + dt.timedelta(days=1), 0)  # the Monday after
        log(org.rep_b, b_account, MON + dt.timedelta(days=1), 15, tag="no_answer")
        log(org.rep_d, make_account(owner=org.rep_d), MON, 9)
    won = opened(org.rep_a, local(MON, 10), amount=Decimal("120000"))
    move(won, "needs", local(MON + dt.timedelta(days=1), 10), "1")
    move(won, "won", local(MON + dt.timedelta(days=2), 16), "1")
    lost = opened(org.rep_b, local(MON - dt.timedelta(days=10), 10), amount=Decimal("30000"))
    move(lost, "lost", local(MON + dt.timedelta(days=3), 11), "5")
    opened(
        org.rep_a,
        local(MON + dt.timedelta(days=3), 9),
        amount=Decimal("50000"),
        commit_category="commit",
        expected_close_date=dt.date(2026, 12, 20),
    )
    with clock.frozen(local(MON, 18)):
        daily_reports.daily_report_submit(
            actor=org.rep_a, done='=HYPERLINK("http://x")', plans="回访", help_needed="需要报价审批"
        )
    with clock.frozen(local(MON + dt.timedelta(days=1), 18)):
        daily_reports.daily_report_submit(actor=org.rep_a, done="拜访杭州云帆", plans="跟进")
    return {"won": won, "lost": lost}


def test_weekly_totals_equal_the_daily_data(org, week):
    with clock.frozen(local(MON + dt.timedelta(days=6), 20)):
        report = weekly_report(first=MON, owner_ids=None)
    reps = {rep.user.username: rep for rep in report.reps}
    days = [MON + dt.timedelta(days=i) for i in range(7)]
    for username, rep in reps.items():
        summed = day_figures.Figures()
        for day in days:
            summed.merge(
                day_figures.figures(day, day, [rep.user.pk]).get(rep.user.pk, day_figures.Figures())
            )
        assert summed.as_json() == rep.figures.as_json(), username
        # and the raw records, counted apart
        start, end = local(MON, 0), local(SUN + dt.timedelta(days=1), 0)
        raw = Activity.objects.filter(owner=rep.user, started_at__gte=start, started_at__lt=end)
        assert rep.figures.activities == raw.count() == sum(rep.figures.by_kind.values())
        assert rep.figures.effective == raw.filter(effective=True).count()
        assert rep.figures.activities == sum(n for n, _e in rep.days.values())
        assert (
            rep.figures.new_leads
            == Lead.objects.filter(
                owner=rep.user, created_at__gte=start, created_at__lt=end
            ).count()
        )
        assert (
            rep.figures.stage_changes
            == StageChange.objects.filter(
                owner=rep.user, state="applied", applied_at__gte=start, applied_at__lt=end
            )
            .exclude(direction="created")
            .count()
        )
        assert (
            rep.figures.deals_created
            == Deal.objects.filter(
                owner=rep.user, created_at__gte=start, created_at__lt=end
            ).count()
        )
    a = reps["rep_a"].figures
    assert (a.activities, a.effective) == (5, 4)
    assert a.by_kind == {"call": 2, "visit": 1, "wechat": 1, "email": 1, "meeting": 0}
    assert (a.deals_won, a.won_amount, a.stage_changes, a.deals_created) == (
        1,
        Decimal("120000"),
        2,
        2,
    )
    b = reps["rep_b"].figures
    assert (b.activities, b.effective, b.deals_lost, b.lost_amount) == (1, 0, 1, Decimal("30000"))
    # the org's total is the reps' sum; teams roll up their subtrees
    assert report.total.activities == sum(r.figures.activities for r in report.reps) == 7
    teams = {t.team.name if t.team else None: t for t in report.teams}
    assert teams["East"].figures.activities == 6 and teams["Company"].figures.activities == 7
    assert teams["South"].figures.activities == 1
    # the daily report's snapshot is the same day's figures
    monday = daily_reports.own_report(org.rep_a, MON)
    assert monday.snapshot["activities"] == 2 and monday.snapshot["by_kind"]["visit"] == 1


def test_highlights_forecast_and_missing_reports(org, week):
    wednesday_evening = local(MON + dt.timedelta(days=2), 19)
    with clock.frozen(wednesday_evening):
        report = weekly_report(first=MON, owner_ids=[org.rep_a.pk, org.rep_b.pk])
    reps = {rep.user.username: rep for rep in report.reps}
    assert set(reps) == {"rep_a", "rep_b"}
    assert reps["rep_a"].missing == [MON + dt.timedelta(days=2)]  # Wednesday only, so far
    assert reps["rep_b"].missing == [MON, MON + dt.timedelta(days=1), MON + dt.timedelta(days=2)]
    assert [r.help_needed for r in reps["rep_a"].reports] == ["需要报价审批", ""]
    assert [d.name for d in report.won] == [week["won"].name]
    # forecast roll-up: the open deal of rep_a closing in the quarter, called commit
    assert reps["rep_a"].forecast.commit == Decimal("50000.00")
    assert report.forecast_total.commit == Decimal("50000.00")
    assert report.quarter == "2026 Q4"


def test_week_parsing():
    assert parse_week("2026-W48") == (MON, SUN)
    with pytest.raises(ValueError):
        parse_week("2026-48")
    with pytest.raises(ValueError):
        parse_week("2026-W60")


# --- pages -----------------------------------------------------------------------------------
URL = "/reports/weekly/"


def test_the_page_follows_visibility(org, week, client):
    client.force_login(org.rep_b)
    with clock.frozen(local(SUN, 20)):
        page = client.get(URL, {"week": WEEK})
        assert page.status_code == 200
        html = page.content.decode()
        assert 'data-rep="rep_b"' in html and 'data-rep="rep_a"' not in html
        assert "需要报价审批" not in html
        client.force_login(org.manager_east)
        html = client.get(URL, {"week": WEEK}).content.decode()
        assert 'data-rep="rep_a"' in html and 'data-rep="rep_c"' in html
        assert 'data-rep="rep_d"' not in html
        assert "需要报价审批" in html and 'media="print"' in html
        # a rep outside the manager's team is a form error, not an empty report
        assert client.get(URL, {"week": WEEK, "owner": org.rep_d.pk}).status_code == 400
        assert client.get(URL, {"week": "week 48"}).status_code == 400


def test_excel_export_has_chinese_headers_and_keeps_formulas_as_text(org, week, client):
    client.force_login(org.manager_east)
    with clock.frozen(local(SUN, 20)):
        response = client.get(URL, {"week": WEEK, "format": "xlsx"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames[:4] == ["按销售", "按团队", "日报", "赢单"]
    reps = book["按销售"]
    headers = [c.value for c in reps[1]]
    assert headers[:3] == ["销售代表", "团队", "跟进记录"]
    rows = {row[0]: row for row in reps.iter_rows(min_row=2, values_only=True)}
    assert rows["Rep A"][2] == 5
    daily = book["日报"]
    cells = [row for row in daily.iter_rows(min_row=2)]
    formula = next(row[2] for row in cells if str(row[2].value).startswith("="))
    assert formula.data_type == "s" and formula.value == '=HYPERLINK("http://x")'


def test_the_number_of_queries_does_not_grow_with_the_reps(org, week):
    """Grouped queries only: no query per rep (the whole org's week reads the same few)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with clock.frozen(local(SUN, 20)), CaptureQueriesContext(connection) as two:
        weekly_report(first=MON, owner_ids=[org.rep_a.pk, org.rep_b.pk])
    with clock.frozen(local(SUN, 20)), CaptureQueriesContext(connection) as everyone:
        report = weekly_report(first=MON, owner_ids=None)
    assert len(report.reps) > 2
    assert len(everyone.captured_queries) == len(two.captured_queries)


def test_api_gives_the_weekly_report_within_the_users_scope(org, week):
    from salesops.org.services import api_token_create

    def api(user):
        _, key = api_token_create(user=user, name="tests")
        return Client(headers={"Authorization": f"Bearer {key}"})

    with clock.frozen(local(SUN, 20)):
        body = api(org.manager_east).get("/api/v1/reports/weekly", {"week": WEEK}).json()
        assert body["week"] == WEEK and body["total"]["activities"] == 6
        reps = {r["name"]: r for r in body["reps"]}
        assert "Rep D" not in reps and reps["Rep A"]["figures"]["effective"] == 4
        assert reps["Rep A"]["reports"][0]["help_needed"] == "需要报价审批"
        mine = api(org.rep_b).get("/api/v1/reports/weekly", {"week": WEEK}).json()
        assert [r["name"] for r in mine["reps"]] == ["Rep B"]
        bad = api(org.rep_b).get("/api/v1/reports/weekly", {"week": "48"})
        assert bad.status_code == 422 and bad.json()["field"] == "week"
        other = api(org.rep_b).get("/api/v1/reports/weekly", {"owner": org.rep_a.pk})
        assert other.status_code == 422

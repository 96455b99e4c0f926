"""The weekly snapshot, the board (visibility, export), the placeholder guard, Settings ·
Outcomes and the director's home headline."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from salesops.outcomes import metrics, quality, selectors, services
from salesops.outcomes.metrics import Scope
from salesops.outcomes.models import OutcomePolicy, OutcomeSnapshot, ScopeKind, SeenDay

from .conftest import BEFORE, END, GO_LIVE, WEEK, at, login, make_lead

pytestmark = pytest.mark.django_db


def test_snapshot_week_writes_every_scope_and_is_idempotent(history):
    org = history
    written = services.snapshot_week(WEEK + dt.timedelta(days=3))  # any day: its Monday
    assert OutcomeSnapshot.objects.filter(week_start=WEEK).count() == written
    again = services.snapshot_week(WEEK)
    assert again == written
    assert OutcomeSnapshot.objects.count() == written
    org_row = OutcomeSnapshot.objects.get(
        week_start=WEEK, metric="followup_cycle", scope_kind=ScopeKind.ORG
    )
    assert org_row.value == 1.0 and org_row.numerator == 2
    south = OutcomeSnapshot.objects.get(
        week_start=WEEK, metric="followup_cycle", scope_kind=ScopeKind.TEAM, scope_id=org.south.pk
    )
    assert south.value == 1.0 and south.numerator == 1
    company = OutcomeSnapshot.objects.get(
        week_start=WEEK, metric="followup_cycle", scope_kind=ScopeKind.TEAM, scope_id=org.company.pk
    )
    assert company.numerator == 2
    assert (
        OutcomeSnapshot.objects.filter(
            week_start=WEEK,
            metric="followup_cycle",
            scope_kind=ScopeKind.REP,
            scope_id=org.rep_c.pk,
        )
        .get()
        .value
        is None
    )


def test_backfill_covers_history_before_go_live_and_the_board_compares(history, client):
    result = services.backfill()
    weeks = sorted(set(OutcomeSnapshot.objects.values_list("week_start", flat=True)))
    assert weeks[0] == BEFORE and weeks[-1] == services.last_complete_week()
    assert result["weeks"] == len(weeks)
    before = OutcomeSnapshot.objects.get(
        week_start=BEFORE, metric="followup_cycle", scope_kind="org"
    )
    assert before.value == 4.0  # Monday → Friday, from the imported history
    card = next(c for c in selectors.cards(Scope.org()) if c.metric.code == "followup_cycle")
    assert card.baseline.week_start == GO_LIVE
    assert [w for w, _v in card.points][0] == BEFORE

    response = login(client, history.director).get(reverse("outcomes:board"))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('data-testid="metric-card"') == 12
    assert "Lead follow-up cycle" in body and "working days from intake" in body


def test_weekly_sweep_snapshots_the_last_week_once(history):
    from salesops.outcomes import tasks

    monday = at(END + dt.timedelta(days=7), 3)
    assert "row(s)" in tasks.weekly_snapshot_sweep(monday)
    assert OutcomeSnapshot.objects.filter(week_start=END).exists()
    assert "stored already" in tasks.weekly_snapshot_sweep(monday)


def test_manager_sees_only_their_team_and_rep_only_self(history, client):
    services.snapshot_week(WEEK)
    south = history.manager_south
    page = login(client, south).get(reverse("outcomes:board"), {"metric": "followup_cycle"})
    assert page.status_code == 200
    assert page.context["scope"] == Scope.team(history.south.pk)
    names = [t.name for t, _r in page.context["team_rows"]]
    assert names == ["South"]
    assert [u.pk for u, _r in page.context["page_obj"]] == [south.pk, history.rep_d.pk] or {
        u.pk for u, _r in page.context["page_obj"]
    } == {south.pk, history.rep_d.pk}
    assert (
        client.get(reverse("outcomes:board"), {"scope": f"team:{history.east.pk}"}).status_code
        == 404
    )
    assert client.get(reverse("outcomes:board"), {"scope": "org"}).status_code == 404
    assert (
        client.get(reverse("outcomes:board"), {"scope": f"rep:{history.rep_a.pk}"}).status_code
        == 404
    )

    rep = login(client, history.rep_a).get(reverse("outcomes:board"))
    assert rep.context["scope"] == Scope.rep(history.rep_a.pk)
    assert rep.context["team_rows"] == []
    assert [u.pk for u, _r in rep.context["page_obj"]] == [history.rep_a.pk]

    api = client.get("/api/v1/outcomes/board")
    assert api.status_code == 200
    assert api.json()["scope_kind"] == "rep"
    assert (
        client.get(f"/api/v1/outcomes/board?scope_kind=team&scope_id={history.east.pk}").status_code
        == 404
    )


def test_export_holds_the_visible_scopes_only(history, client):
    services.snapshot_week(WEEK)
    url = reverse("outcomes:board_export", args=["csv"])
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(login(client, history.director).get(url).streaming_content).decode(
                    "utf-8-sig"
                )
            )
        )
    )
    names = {row[3] for row in rows[1:]}
    assert {"Organisation", "East", "South", "Rep A", "Rep D"} <= names
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(login(client, history.manager_south).get(url).streaming_content).decode(
                    "utf-8-sig"
                )
            )
        )
    )
    names = {row[3] for row in rows[1:]}
    assert "South" in names and "Rep D" in names
    assert not names & {"Organisation", "East", "Rep A"}
    xlsx = client.get(reverse("outcomes:board_export", args=["xlsx"]))
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxml")


def test_placeholder_and_copied_values_per_field_and_rep(org, channel, client):
    for need in ("无", " N/A ", "-", "需要十台设备", "想了解价格", "预算五十万"):
        make_lead(channel, org.rep_a, at(WEEK), need=need)
    for i in range(5):
        make_lead(channel, org.rep_b, at(WEEK), company="同一家公司", need=f"真实需要{i}")
    items = {q.field: q for q in quality.placeholder_fields("lead", WEEK, END)}
    need = items["need"]
    assert (need.total, need.placeholders, need.copied) == (11, 3, 0)
    assert need.per_rep[org.rep_a.pk] == [6, 3, 0]
    company = items["company"]
    assert company.copied == 5 and company.per_rep[org.rep_b.pk][2] == 5
    by_rep = quality.placeholder_by_rep(list(items.values()))
    assert by_rep[org.rep_b.pk]["copied"] == 5

    # The weekly snapshot keeps it; the board shows it, the visible reps only.
    services.snapshot_week(WEEK)
    body = login(client, org.director).get(reverse("outcomes:board")).content.decode()
    assert 'data-field="lead.need"' in body
    reps = [u.pk for u, _row in selectors.placeholder_reps(org.director, WEEK)]
    assert reps == [org.rep_b.pk, org.rep_a.pk]  # 5 of 20 values (25 %) before 3 of 24
    share = metrics.placeholder_share(Scope.org(), WEEK, END)
    assert (share.numerator, share.denominator, share.value) == (8, 44, 18.18)
    assert share.detail["lead.need:placeholders"] == 3
    south = login(client, org.manager_south).get(reverse("outcomes:board"))
    assert south.context["placeholder_reps"] == []
    assert all(row.total == 0 for row in south.context["placeholder_items"])


def test_settings_bad_input_names_the_problem_and_saves_nothing(org, channel, client):
    make_lead(channel, org.rep_a, at(WEEK))
    url = reverse("outcomes:policy")
    login(client, org.admin)
    form = client.get(url).context["form"]
    data = {k: v if v is not None else "" for k, v in form.initial.items()}
    cases = [
        ({"go_live_on": "2027-01-01"}, "in the future"),
        ({"go_live_on": "2020-01-01"}, "before the first record"),
        ({"lead_required": "company, favourite_colour"}, "favourite_colour"),
        ({"untouched_hours": "0"}, "from 1 to 720"),
        ({"forecast_weeks": "99"}, "from 0 to 52"),
    ]
    for change, message in cases:
        response = client.post(url, {**data, **change})
        assert response.status_code == 422, change
        assert message in response.content.decode(), change
        assert not OutcomePolicy.objects.exists()

    response = client.post(url, {**data, "go_live_on": "2026-11-02", "placeholders": "无\n-\n空"})
    assert response.status_code == 302
    policy = OutcomePolicy.objects.get()
    assert policy.go_live_on == dt.date(2026, 11, 2) and policy.placeholders == ["无", "-", "空"]

    assert login(client, org.rep_a).get(url).status_code == 403


def test_seen_middleware_records_a_day_once(org, client):
    login(client, org.rep_a)
    client.get(reverse("outcomes:board"))
    client.get(reverse("outcomes:board"))
    assert list(SeenDay.objects.values_list("user_id", "day")) == [
        (org.rep_a.pk, dt.date(2026, 11, 20))
    ]


def test_director_home_shows_the_headline(history, client):
    services.snapshot_week(WEEK)
    services.snapshot_week(GO_LIVE)
    body = login(client, history.director).get("/").content.decode()
    assert 'data-testid="outcomes-headline"' in body
    assert body.count('data-testid="headline-item"') == 4
    assert 'data-testid="trend-arrow"' in body  # follow-up went from 0 leads to 1 day
    rep_home = login(client, history.rep_a).get("/").content.decode()
    assert "outcomes-headline" not in rep_home


def test_the_demo_has_an_outcome_board(db, client):
    from salesops.core import clock
    from salesops.demo.build import build
    from salesops.org.models import User

    with clock.frozen(at(dt.date(2026, 11, 25), 9)):
        result = build("small")
    assert result.counts["outcome weeks"] >= 5
    policy = OutcomePolicy.current()
    assert policy.go_live_on is not None
    weeks = sorted(set(OutcomeSnapshot.objects.values_list("week_start", flat=True)))
    assert weeks[0] < policy.go_live_on <= weeks[-1]
    latest = {
        row.metric: row
        for row in OutcomeSnapshot.objects.filter(week_start=weeks[-1], scope_kind=ScopeKind.ORG)
    }
    assert latest["followup_cycle"].value is not None
    assert latest["daily_active"].value > 50
    director = User.objects.get(username="director")
    body = login(client, director).get("/").content.decode()
    assert 'data-testid="outcomes-headline"' in body


def test_backfill_button_computes_the_weeks(history, client):
    url = reverse("outcomes:backfill")
    assert login(client, history.rep_a).post(url).status_code == 403
    response = login(client, history.admin).post(url)
    assert response.status_code == 302
    weeks = set(OutcomeSnapshot.objects.values_list("week_start", flat=True))
    assert BEFORE in weeks and WEEK in weeks


def test_the_board_in_chinese(history, client):
    services.snapshot_week(WEEK)
    history.director.language = "zh-hans"
    history.director.save()
    body = login(client, history.director).get(reverse("outcomes:board")).content.decode()
    assert "上线以来的成效" in body and "线索跟进周期" in body and "过度采集预警" in body


def test_the_command_snapshots_a_week_or_backfills(history):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = io.StringIO()
    call_command("outcomes_snapshot", "--week", WEEK.isoformat(), stdout=out)
    assert "row(s)" in out.getvalue()
    assert set(OutcomeSnapshot.objects.values_list("week_start", flat=True)) == {WEEK}
    call_command("outcomes_snapshot", "--backfill", stdout=out)
    assert BEFORE in set(OutcomeSnapshot.objects.values_list("week_start", flat=True))
    with pytest.raises(CommandError):
        call_command("outcomes_snapshot", "--week", "soon")

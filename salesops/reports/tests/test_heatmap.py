"""The morning heatmap (issue 15 item 1, SPEC A4): the cells equal a recount of the raw
activities, the default day is the previous working day (across weekends and holidays),
and a manager opens only the teams of their subtree."""

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.utils import timezone

from salesops.activities import services
from salesops.activities.models import Activity
from salesops.activities.tests.conftest import account_for
from salesops.activities.tests.factories import ResultTagFactory
from salesops.reports import heatmap

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()
# The reports tests' "today" is Wednesday 2026-07-15 (conftest): yesterday is a workday.
DAY = dt.date(2026, 7, 14)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)), TZ)


@pytest.fixture
def tags(db):
    return {
        "reached": ResultTagFactory(code="reached", counts_as_contact=True),
        "no_answer": ResultTagFactory(code="no_answer_x", counts_as_contact=False),
    }


@pytest.fixture
def accounts(org):
    return {
        rep.pk: account_for(rep, name=f"杭州{rep.username}科技有限公司")
        for rep in (org.rep_a, org.rep_b, org.rep_c, org.rep_d, org.manager_sh)
    }


def log(owner, accounts, tag, start, seconds=60):
    return services.activity_log(
        actor=owner,
        kind="call",
        account=accounts[owner.pk],
        started_at=start,
        duration_seconds=seconds,
        tag=tag,
    )


@pytest.fixture
def day_of_work(org, tags, accounts):
    """A day of calls in East (with Shanghai below it) and South, and some the day before."""
    reached, missed = tags["reached"], tags["no_answer"]
    log(org.rep_a, accounts, reached, at(DAY, 9, 5))
    log(org.rep_a, accounts, reached, at(DAY, 9, 40))
    log(org.rep_a, accounts, reached, at(DAY, 9, 50), seconds=10)  # too short
    log(org.rep_a, accounts, missed, at(DAY, 14, 0))  # not reached
    log(org.rep_a, accounts, reached, at(DAY, 23, 10))  # late evening: widens the hours
    log(org.rep_c, accounts, reached, at(DAY, 10, 0))
    log(org.rep_c, accounts, reached, at(DAY, 17, 59))
    log(org.manager_sh, accounts, reached, at(DAY, 11, 0))  # a manager who sells
    log(org.rep_d, accounts, reached, at(DAY, 10, 0))  # South: not in East's heatmap
    log(org.rep_a, accounts, reached, at(DAY - dt.timedelta(days=1), 10, 0))  # another day
    # rep_b logged nothing that day
    log(org.rep_b, accounts, reached, at(DAY + dt.timedelta(days=1), 9, 0))


def recount(team, day) -> dict:
    """``{(owner, hour): (activities, effective)}`` straight from the raw activities."""
    counts, effective = Counter(), Counter()
    for activity in Activity.objects.filter(owner__team__path__startswith=team.path):
        local = timezone.localtime(activity.started_at)
        if local.date() != day:
            continue
        counts[(activity.owner_id, local.hour)] += 1
        effective[(activity.owner_id, local.hour)] += int(activity.effective)
    return {key: (n, effective[key]) for key, n in counts.items()}


def grid(data) -> dict:
    return {
        (row.user.pk, cell.hour): (cell.activities, cell.effective)
        for row in data.rows
        for cell in row.cells
        if cell.activities
    }


def test_cells_equal_a_recount_of_the_raw_activities(org, day_of_work):
    data = heatmap.team_heatmap(org.east, DAY)
    assert grid(data) == recount(org.east, DAY)
    # rows: East's and Shanghai's reps (rep_b with nothing too), the selling manager;
    # not South's rep, not the customer-success user of East
    users = {row.user.pk for row in data.rows}
    assert users == {org.rep_a.pk, org.rep_b.pk, org.rep_c.pk, org.manager_sh.pk}
    row_a = next(row for row in data.rows if row.user == org.rep_a)
    assert (row_a.effective, row_a.activities) == (3, 5)
    # hours: the working day with its margin, widened to 23:00 where rep A called
    assert data.hours[0] == 7 and data.hours[-1] == 23 and 22 in data.hours
    # totals per hour and overall add up
    assert data.effective == sum(e for _n, e in recount(org.east, DAY).values()) == 6
    assert data.activities == 8
    nine = data.hours.index(9)
    assert (data.hour_activities[nine], data.hour_effective[nine]) == (3, 2)
    assert [rep.pk for rep in data.idle_reps] == [org.rep_b.pk]
    # a subtree heatmap is the part of its parent's
    shanghai = heatmap.team_heatmap(org.shanghai, DAY)
    assert grid(shanghai) == recount(org.shanghai, DAY)
    assert grid(shanghai).items() <= grid(data).items()


def test_the_page_shows_the_same_numbers_and_the_chart_data(org, day_of_work, client):
    client.force_login(org.manager_east)
    response = client.get("/reports/heatmap/")
    assert response.status_code == 200
    data = response.context["heatmap"]
    # the manager's own team and the previous working day by default
    assert data.team == org.east and data.day == DAY
    assert grid(data) == recount(org.east, DAY)
    html = response.content.decode()
    assert 'data-testid="heatmap-default-day"' in html
    assert 'data-testid="heatmap-effective">6<' in html
    for rep in (org.rep_a, org.rep_b, org.rep_c):
        assert rep.label in html
    assert org.rep_d.label not in html
    chart = response.context["chart"]
    assert len(chart["reps"]) == len(data.rows) and chart["max"] == 2
    cells = {(x, y): (e, n) for x, y, e, n in chart["data"]}
    y = chart["reps"].index(org.rep_a.label)
    assert cells[(data.hours.index(9), y)] == (2, 3)


def test_a_later_edit_moves_the_count(org, day_of_work, tags):
    activity = Activity.objects.filter(owner=org.rep_b).get()
    activity.started_at = at(DAY, 15, 30)
    activity.save()
    data = heatmap.team_heatmap(org.east, DAY)
    assert grid(data) == recount(org.east, DAY)
    assert org.rep_b not in data.idle_reps


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2026, 7, 15), dt.date(2026, 7, 14)),  # Wednesday → Tuesday
        (dt.date(2026, 7, 13), dt.date(2026, 7, 10)),  # Monday → Friday
        # Thursday after the National Day holiday (1–7 Oct) → the last workday before it
        (dt.date(2026, 10, 8), dt.date(2026, 9, 30)),
        # Sunday 11 Oct after the make-up Saturday 10 Oct: that Saturday was a workday
        (dt.date(2026, 10, 11), dt.date(2026, 10, 10)),
    ],
)
def test_the_default_day_is_the_previous_working_day(today, expected):
    assert heatmap.default_day(today) == expected


def test_a_holiday_the_admin_enters_is_skipped_too(org, django_capture_on_commit_callbacks):
    from salesops.core import orgsettings

    assert heatmap.default_day(dt.date(2026, 7, 15)) == DAY
    orgsettings.calendar_days_update(
        actor=org.admin, holidays={DAY: "公司年会"}, workdays={dt.date(2026, 7, 12): "调休"}
    )
    assert heatmap.default_day(dt.date(2026, 7, 15)) == dt.date(2026, 7, 13)
    # Monday 13 July: the make-up Sunday before it is the previous working day
    assert heatmap.default_day(dt.date(2026, 7, 13)) == dt.date(2026, 7, 12)


def test_across_a_holiday_the_page_shows_the_last_workday_before_it(org, tags, accounts, client):
    before = dt.date(2026, 9, 30)
    log(org.rep_a, accounts, tags["reached"], at(before, 10, 0))
    log(org.rep_a, accounts, tags["reached"], at(dt.date(2026, 10, 3), 10, 0))  # on holiday
    with time_machine.travel(at(dt.date(2026, 10, 8), 8, 0), tick=False):
        client.force_login(org.manager_east)
        response = client.get("/reports/heatmap/")
        assert response.status_code == 200
        data = response.context["heatmap"]
        assert data.day == before
        assert data.effective == 1
        assert response.context["next_day"] == dt.date(2026, 10, 8)
        # a holiday picked on purpose is shown, and said to be one
        response = client.get(f"/reports/heatmap/?team={org.east.pk}&day=2026-10-03")
        assert response.status_code == 200
        assert response.context["heatmap"].effective == 1
        assert 'data-testid="heatmap-holiday"' in response.content.decode()
        assert response.context["previous_day"] == before
        assert response.context["next_day"] == dt.date(2026, 10, 8)


def test_a_manager_opens_their_subtree_only(org, client):
    client.force_login(org.manager_sh)
    assert client.get(f"/reports/heatmap/?team={org.shanghai.pk}").status_code == 200
    assert client.get(f"/reports/heatmap/?team={org.east.pk}").status_code == 404
    assert client.get(f"/reports/heatmap/?team={org.south.pk}").status_code == 404
    assert client.get("/reports/heatmap/?team=abc").status_code == 404
    assert client.get("/reports/heatmap/").context["heatmap"].team == org.shanghai
    client.force_login(org.manager_east)
    assert client.get(f"/reports/heatmap/?team={org.shanghai.pk}").status_code == 200
    assert client.get(f"/reports/heatmap/?team={org.south.pk}").status_code == 404
    teams = [pk for pk, _label in client.get("/reports/heatmap/").context["teams"]]
    assert teams == [org.east.pk, org.shanghai.pk]


def test_directors_and_admins_open_every_team_reps_none(org, client):
    for user in (org.director, org.admin):
        client.force_login(user)
        assert client.get(f"/reports/heatmap/?team={org.south.pk}").status_code == 200
        assert client.get("/reports/heatmap/").context["heatmap"].team == org.company
    for user in (org.rep_a, org.cs):
        client.force_login(user)
        assert client.get("/reports/heatmap/").status_code == 403
        assert client.get(f"/reports/heatmap/?team={org.east.pk}").status_code == 403
    client.logout()
    assert client.get("/reports/heatmap/").status_code == 302


def test_bad_days_are_refused_with_a_message(org, client):
    client.force_login(org.manager_east)
    response = client.get("/reports/heatmap/?day=2026-13-45")
    assert response.status_code == 400
    assert "Day: enter a date as YYYY-MM-DD" in response.content.decode()
    response = client.get("/reports/heatmap/?day=2026-07-16")
    assert response.status_code == 400
    assert "the future" in response.content.decode()


def test_the_nav_entry_is_for_managers_and_above(org, client):
    client.force_login(org.manager_east)
    assert 'href="/reports/heatmap/"' in client.get("/").content.decode()
    client.force_login(org.rep_a)
    assert 'href="/reports/heatmap/"' not in client.get("/").content.decode()


def test_the_export_has_the_numbers_the_page_shows(org, day_of_work, client):
    client.force_login(org.manager_east)
    response = client.get("/reports/heatmap/export.csv")
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    people = [line.split(",")[0] for line in lines[1:]]
    assert org.rep_a.label in people and org.rep_d.label not in people
    total = sum(int(line.split(",")[-2]) for line in lines[1:])
    assert total == 6  # the effective touches the page shows
    client.force_login(org.rep_a)
    assert client.get("/reports/heatmap/export.csv").status_code == 403

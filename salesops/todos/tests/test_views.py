""" "My tasks" pages through the test client: list, filters, overdue highlight, one-tap
completion over htmx, create, edit, visibility (404) and the navigation count."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesops.core import clock
from salesops.customers.tests.factories import make_account
from salesops.todos import services
from salesops.todos.models import Task

from .factories import TaskFactory

SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SH)
ROW = re.compile(r'data-testid="task-row" data-id="(\d+)"( data-overdue="1")?')


def rows(response) -> list[tuple[int, bool]]:
    assert response.status_code == 200
    return [(int(i), bool(o)) for i, o in ROW.findall(response.content.decode())]


@pytest.fixture
def now():
    with clock.frozen(T0):
        yield T0


def task(user, title, due=None, **kwargs):
    return TaskFactory(title=title, assignee=user, due_at=due, **kwargs)


def test_my_open_tasks_by_due_time_with_overdue_marked(client, org, now):
    # Given rep_a has an overdue, a later and an undated task, one done, and rep_b one
    later = task(org.rep_a, "later", now + dt.timedelta(days=2))
    overdue = task(org.rep_a, "overdue", now - dt.timedelta(hours=1))
    undated = task(org.rep_a, "undated")
    done = task(org.rep_a, "done", now)
    services.task_complete(actor=org.rep_a, task=done)
    task(org.rep_b, "not mine", now)
    client.force_login(org.rep_a)
    # When they open My tasks
    response = client.get("/tasks/")
    # Then the open ones are listed soonest first, undated last, the overdue one marked
    assert rows(response) == [(overdue.pk, True), (later.pk, False), (undated.pk, False)]
    # And the filters show what they say
    assert rows(client.get("/tasks/?status=overdue")) == [(overdue.pk, True)]
    assert rows(client.get("/tasks/?status=done")) == [(done.pk, False)]
    assert len(rows(client.get("/tasks/?status=all"))) == 4


def test_the_page_fits_a_phone(client, org):
    client.force_login(org.rep_a)
    page = client.get("/tasks/").content.decode()
    assert 'name="viewport" content="width=device-width' in page
    assert "<table" not in page  # a list of cards, no wide table to scroll sideways


def test_one_tap_completion_over_htmx_returns_the_updated_row(client, org, now):
    t = task(org.rep_a, "Call back", now - dt.timedelta(hours=1))
    client.force_login(org.rep_a)
    response = client.post(f"/tasks/{t.pk}/complete/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert rows(response) == [(t.pk, False)]  # done: no longer highlighted as overdue
    assert 'data-testid="task-reopen"' in html
    t.refresh_from_db()
    assert (t.done_at, t.done_by) == (now, org.rep_a)
    # and a plain form post (no JavaScript) redirects back
    response = client.post(f"/tasks/{t.pk}/reopen/", {"next": "/tasks/?status=done"})
    assert response.status_code == 302
    assert response["Location"] == "/tasks/?status=done"
    t.refresh_from_db()
    assert t.done_at is None


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("rep_a", 200),
        ("manager_east", 200),
        ("director", 200),
        ("rep_b", 404),
        ("manager_south", 404),
    ],
)
def test_a_task_is_visible_to_its_assignee_and_their_managers_only(client, org, user, status):
    t = task(org.rep_a, "Secret plan")
    client.force_login(getattr(org, user))
    assert client.get(f"/tasks/{t.pk}/").status_code == status
    complete = client.post(f"/tasks/{t.pk}/complete/")
    assert complete.status_code == (302 if status == 200 else 404)
    t.refresh_from_db()
    assert (t.done_at is not None) == (status == 200)


def test_finance_sees_but_cannot_complete_someone_elses_task(client, org):
    t = task(org.rep_a, "Chase payment")
    client.force_login(org.finance)
    assert client.get(f"/tasks/{t.pk}/").status_code == 200
    assert client.post(f"/tasks/{t.pk}/complete/").status_code == 404
    t.refresh_from_db()
    assert t.done_at is None


def test_a_manager_sees_the_team_scope_with_assignees(client, org):
    a = task(org.rep_a, "A's")
    c = task(org.rep_c, "C's")
    task(org.rep_d, "D's")
    client.force_login(org.manager_east)
    assert rows(client.get("/tasks/")) == []  # "mine" by default
    response = client.get("/tasks/?scope=team")
    assert {pk for pk, _ in rows(response)} == {a.pk, c.pk}
    assert "Rep A" in response.content.decode()
    # a rep cannot widen the scope
    client.force_login(org.rep_a)
    assert {pk for pk, _ in rows(client.get("/tasks/?scope=team"))} == {a.pk}


def test_create_a_task_linked_to_an_account(client, org):
    account = make_account(org.rep_a, name="腾讯")
    client.force_login(org.rep_a)
    page = client.get(f"/tasks/new/?record=account:{account.pk}").content.decode()
    assert "腾讯" in page
    assert 'name="assignee"' not in page  # a rep's tasks are their own
    response = client.post(
        f"/tasks/new/?record=account:{account.pk}",
        {"title": "Send the contract", "due_at": "2026-03-03T15:30", "description": "v2"},
    )
    assert response.status_code == 302
    t = Task.objects.get()
    assert (t.title, t.assignee, t.record) == ("Send the contract", org.rep_a, account)
    assert t.due_at == dt.datetime(2026, 3, 3, 15, 30, tzinfo=SH)
    # and the list links to the record
    assert f'href="/customers/accounts/{account.pk}/"' in client.get("/tasks/").content.decode()


def test_a_record_the_user_cannot_see_is_not_linked(client, org):
    theirs = make_account(org.rep_b)
    client.force_login(org.rep_a)
    client.post(f"/tasks/new/?record=account:{theirs.pk}", {"title": "Snoop"})
    assert Task.objects.get().record is None


def test_the_form_shows_errors_on_the_fields(client, org):
    client.force_login(org.manager_east)
    response = client.post("/tasks/new/", {"title": "", "assignee": str(org.rep_d.pk)})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="error-title"' in html
    assert 'data-testid="error-assignee"' in html  # rep_d is not in East's team
    assert not Task.objects.exists()


def test_a_manager_assigns_and_edits_a_task(client, org):
    client.force_login(org.manager_east)
    client.post("/tasks/new/", {"title": "QBR deck", "assignee": str(org.rep_c.pk)})
    t = Task.objects.get()
    assert t.assignee == org.rep_c
    response = client.post(
        f"/tasks/{t.pk}/", {"title": "QBR deck v2", "assignee": str(org.rep_c.pk)}
    )
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.title == "QBR deck v2"
    page = client.get(f"/tasks/{t.pk}/").content.decode()
    assert 'data-testid="history-entry"' in page


def test_the_navigation_shows_my_count_of_tasks_due_today_or_overdue(client, org, now):
    task(org.rep_a, "overdue", now - dt.timedelta(days=1))
    task(org.rep_a, "today", now + dt.timedelta(hours=3))
    task(org.rep_a, "next week", now + dt.timedelta(days=7))
    client.force_login(org.rep_a)
    page = client.get("/customers/accounts/").content.decode()
    assert re.search(r'My tasks</span><span class="badge[^"]*" data-testid="nav-badge">2<', page)
    client.force_login(org.rep_b)
    assert 'data-testid="nav-badge"' not in client.get("/customers/accounts/").content.decode()


def test_the_list_costs_the_same_queries_for_3_or_12_linked_tasks(client, org):
    def make(n):
        for i in range(n):
            task(org.rep_a, f"t{i}", record=make_account(org.rep_a))

    client.force_login(org.rep_a)
    make(3)
    client.get("/tasks/")  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as few:
        assert len(rows(client.get("/tasks/"))) == 3
    make(9)
    with CaptureQueriesContext(connection) as many:
        assert len(rows(client.get("/tasks/"))) == 12
    assert len(many) == len(few)

"""Task services: create (by a person and by a rule), change, complete, reopen; audit,
events, the entity registry entry and the assignment notification."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from salesops.core import clock, entities, events
from salesops.customers.tests.factories import make_account
from salesops.notifications.models import Notification
from salesops.todos import selectors, services
from salesops.todos.models import Task

SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SH)


@pytest.fixture
def heard(django_capture_on_commit_callbacks):
    """Events emitted by the services, as a subscriber receives them after commit."""
    received = []

    def handler(name, payload):
        if name.startswith("task."):
            # every event carries a unique id; the rest is what the test compares
            assert len(payload.pop("event_id")) == 32
            received.append((name, payload))

    events.subscribe("*", handler)
    yield received
    events.unsubscribe("*", handler)


def test_a_rule_creates_a_task_linked_to_a_record(org, django_capture_on_commit_callbacks, heard):
    # Given an account of rep_a
    account = make_account(org.rep_a, name="华为")
    # When the automation engine creates a task about it (no actor, a rule source)
    with clock.frozen(T0), django_capture_on_commit_callbacks(execute=True):
        task = services.task_create(
            title="Call the signatory",
            assignee=org.rep_a,
            due_at=T0 + dt.timedelta(hours=4),
            record=account,
            source="rule:5:v2",
        )
    # Then the task is stored with its link, due time and source
    task.refresh_from_db()
    assert task.record == account
    assert (task.due_at, task.source, task.created_at, task.created_by) == (
        T0 + dt.timedelta(hours=4),
        "rule:5:v2",
        T0,
        None,
    )
    # And the history row says it was created by nobody in particular (the system)
    assert task.history.get().history_user is None
    # And subscribers hear about it
    assert heard == [
        (
            "task.created",
            {"id": task.pk, "assignee_id": org.rep_a.pk, "actor_id": None, "source": "rule:5:v2"},
        )
    ]
    # And a rule's task does not notify (the rule has its own notify action)
    assert not Notification.objects.exists()
    # And the tasks of the account can be listed through the index on the link
    assert list(selectors.tasks_for_record(user=org.rep_a, record=account)) == [task]


def test_a_manager_assigning_a_task_notifies_the_assignee(org):
    task = services.task_create(title="Prepare the QBR", assignee=org.rep_c, actor=org.manager_east)
    note = Notification.objects.get(recipient=org.rep_c)
    assert note.kind == "task.assigned"
    assert "Prepare the QBR" in note.title
    assert note.link == f"/tasks/{task.pk}/"


def test_my_own_task_does_not_notify_me(org):
    services.task_create(title="Note to self", assignee=org.rep_a, actor=org.rep_a)
    assert not Notification.objects.exists()


def test_validation_reports_every_problem_at_once(org):
    other_reps_account = make_account(org.rep_b)
    with pytest.raises(ValidationError) as exc:
        services.task_create(
            title="  ", assignee=org.rep_b, record=other_reps_account, actor=org.rep_a
        )
    errors = exc.value.message_dict
    assert set(errors) == {"title", "assignee", "record"}
    assert "team" in errors["assignee"][0]
    assert not Task.objects.exists()


def test_a_deactivated_assignee_is_refused(org):
    org.rep_a.is_active = False
    org.rep_a.save(update_fields=["is_active"])
    with pytest.raises(ValidationError) as exc:
        services.task_create(title="x", assignee=org.rep_a)
    assert "deactivated" in exc.value.message_dict["assignee"][0]


def test_a_naive_due_time_is_read_in_the_organisations_time_zone(org):
    task = services.task_create(title="x", assignee=org.rep_a, due_at=dt.datetime(2026, 3, 2, 9))
    task.refresh_from_db()
    assert task.due_at == dt.datetime(2026, 3, 2, 9, tzinfo=SH)


def test_complete_and_reopen_are_audited_and_idempotent(
    org, django_capture_on_commit_callbacks, heard
):
    task = services.task_create(title="Send the quote", assignee=org.rep_a, actor=org.rep_a)
    with clock.frozen(T0), django_capture_on_commit_callbacks(execute=True):
        services.task_complete(actor=org.rep_a, task=task)
        services.task_complete(actor=org.rep_a, task=task)  # a double tap changes nothing
    task.refresh_from_db()
    assert (task.done_at, task.done_by) == (T0, org.rep_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.task_reopen(actor=org.manager_east, task=task)
    task.refresh_from_db()
    assert (task.done_at, task.done_by) == (None, None)
    assert [name for name, _ in heard] == ["task.completed", "task.reopened"]
    reasons = list(
        task.history.order_by("history_id").values_list("history_change_reason", flat=True)
    )
    assert reasons == ["created", "completed", "reopened"]
    assert task.history.order_by("-history_id").first().history_user == org.manager_east


def test_update_changes_only_what_changed_and_notifies_a_new_assignee(org):
    task = services.task_create(title="Visit", assignee=org.rep_a, actor=org.manager_east)
    Notification.objects.all().delete()
    services.task_update(actor=org.manager_east, task=task, title="Visit", assignee=org.rep_b)
    task.refresh_from_db()
    assert task.assignee == org.rep_b
    assert Notification.objects.get().recipient == org.rep_b
    assert task.history.count() == 2
    with pytest.raises(ValidationError) as exc:
        services.task_update(actor=org.manager_east, task=task, assignee=org.rep_d)
    assert "assignee" in exc.value.message_dict


def test_task_is_in_the_entity_registry_for_timer_rules(db):
    entity = entities.get("task")
    assert entity.model is Task
    assert entity.owner_path == "assignee"
    assert entity.timer_fields == ("due_at", "created_at")
    assert entities.for_model(Task) is entity


@pytest.mark.parametrize(
    ("user", "sees"),
    [
        ("rep_a", {"rep_a"}),
        ("rep_c", {"rep_c"}),
        ("manager_sh", {"rep_c"}),
        ("manager_east", {"rep_a", "rep_c"}),
        ("manager_south", {"rep_d"}),
        ("director", {"rep_a", "rep_c", "rep_d"}),
        ("admin", {"rep_a", "rep_c", "rep_d"}),
    ],
)
def test_visibility_follows_the_assignee(org, user, sees):
    made = {
        name: services.task_create(title=name, assignee=getattr(org, name))
        for name in ("rep_a", "rep_c", "rep_d")
    }
    visible = set(selectors.task_list(user=getattr(org, user), status="all", scope="team"))
    assert visible == {made[name] for name in sees}


def test_the_nav_count_is_my_open_tasks_due_today_or_overdue(org):
    with clock.frozen(T0):
        for title, due in [
            ("overdue", T0 - dt.timedelta(days=1)),
            ("later today", T0 + dt.timedelta(hours=5)),
            ("tomorrow", T0 + dt.timedelta(days=1)),
            ("no due", None),
        ]:
            services.task_create(title=title, assignee=org.rep_a, due_at=due)
        done = services.task_create(title="done", assignee=org.rep_a, due_at=T0)
        services.task_complete(actor=org.rep_a, task=done)
        services.task_create(title="someone else's", assignee=org.rep_b, due_at=T0)
        assert selectors.nav_count(org.rep_a) == 2

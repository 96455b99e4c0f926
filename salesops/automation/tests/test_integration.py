"""Rules through the real notifications and tasks apps (their public services)."""

import pytest

from salesops.automation.models import RuleFiring
from salesops.core import clock
from salesops.customers.tests.factories import make_account

from .conftest import at, make_rule, tick

pytestmark = pytest.mark.django_db


def test_a_rule_notification_lands_in_the_managers_inbox(org, django_capture_on_commit_callbacks):
    from salesops.notifications.models import Notification

    rule = make_rule(
        org.admin,
        trigger_type="event",
        trigger={"event": "account.created"},
        actions=[{"kind": "notify", "to": ["manager"], "title": "New account {name}"}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        account = make_account(org.rep_a, name="收件箱客户")
    firing = RuleFiring.objects.get()
    assert firing.status == "done", firing.results
    note = Notification.objects.get(recipient=org.manager_east)
    assert (note.kind, note.title, note.source, note.link) == (
        "rule",
        "New account 收件箱客户",
        f"rule:{rule.pk}:v1",
        account.get_absolute_url(),
    )


def test_a_timer_creates_a_task_for_the_owner_due_in_working_minutes(org):
    from salesops.todos.models import Task

    make_rule(
        org.admin,
        when=at("2026-11-23", "09:00"),
        trigger_type="timer",
        entity="account",
        trigger={"field": "created_at", "minutes": 420},
        actions=[
            {
                "kind": "create_task",
                "title": "Call {name}",
                "assignee": "owner",
                "due_in_minutes": 120,
            }
        ],
    )
    with clock.frozen(at("2026-11-23", "10:00")):
        account = make_account(org.rep_b, name="任务客户")
    tick(at("2026-11-23", "17:00"))  # 420 working minutes after 10:00
    firing = RuleFiring.objects.get()
    assert firing.status == "done", firing.results
    task = Task.objects.get(pk=firing.results[0]["task_id"])
    assert (task.title, task.assignee_id) == ("Call 任务客户", org.rep_b.pk)
    assert task.due_at == at("2026-11-24", "10:00")  # 120 working minutes after 17:00
    assert task.record == account
    assert task.source == f"rule:{firing.rule_id}:v1"

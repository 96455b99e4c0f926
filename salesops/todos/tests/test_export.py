"""The task list's export: the user's own tasks with the list's status filter."""

import pytest
from django.urls import reverse

from salesops.org.tests.factories import UserFactory
from salesops.todos.tests.factories import TaskFactory

pytestmark = pytest.mark.django_db


def _csv(response) -> list[str]:
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8-sig").splitlines()


def test_a_rep_exports_only_their_open_tasks(client):
    rep = UserFactory(role="rep")
    other = UserFactory(role="rep")
    TaskFactory(assignee=rep, title="回访上海甲乙机械")
    TaskFactory(assignee=other, title="别人的任务")
    client.force_login(rep)
    lines = _csv(client.get(reverse("todos:task_export", args=["csv"]), {"status": "open"}))
    assert len(lines) == 2 and "回访上海甲乙机械" in lines[1]
    assert not any("别人的任务" in line for line in lines)
    # scope=team is ignored for a rep: still only their own
    lines = _csv(client.get(reverse("todos:task_export", args=["csv"]), {"scope": "team"}))
    assert not any("别人的任务" in line for line in lines)
    assert client.get(reverse("todos:task_export", args=["pdf"])).status_code == 404

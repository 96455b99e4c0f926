"""Tasks over the REST API: list, create, complete, reopen, change — with visibility."""

from __future__ import annotations

import pytest
from django.test import Client

from salesops.core.tests.visibility_matrix import ROLES, Case, assert_matrix
from salesops.customers.tests.factories import make_account
from salesops.org.services import api_token_create
from salesops.todos.models import Task

from .factories import TaskFactory

API = "/api/v1"


def token_client(user) -> Client:
    _, key = api_token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {key}"})


def post(client, url, data=None):
    return client.post(API + url, data=data or {}, content_type="application/json")


def test_create_list_and_complete_my_task(org):
    account = make_account(org.rep_a, name="阿里巴巴")
    api = token_client(org.rep_a)
    # When rep_a creates a task about their account over the API
    response = post(
        api,
        "/tasks",
        {
            "title": "Demo for IT lead",
            "due_at": "2026-03-05T14:00:00+08:00",
            "record_type": "account",
            "record_id": account.pk,
        },
    )
    assert response.status_code == 201, response.json()
    made = response.json()
    assert made["assignee"]["id"] == org.rep_a.pk
    assert made["record"] == {
        "type": "account",
        "id": account.pk,
        "label": "阿里巴巴",
        "url": f"/customers/accounts/{account.pk}/",
    }
    assert made["done"] is False
    # Then it is in their open list
    listed = api.get(f"{API}/tasks").json()
    assert [t["id"] for t in listed["results"]] == [made["id"]]
    # When they complete it, it moves to done
    done = post(api, f"/tasks/{made['id']}/complete").json()
    assert done["done"] is True
    assert done["done_by_id"] == org.rep_a.pk
    assert api.get(f"{API}/tasks").json()["count"] == 0
    assert api.get(f"{API}/tasks?status=done").json()["count"] == 1
    assert post(api, f"/tasks/{made['id']}/reopen").json()["done"] is False


TASKS = Case(
    list=f"{API}/tasks",
    list_params={"scope": "team", "status": "all", "page_size": 200},
    detail=f"{API}/tasks/{{pk}}",
    update={},
    update_url=f"{API}/tasks/{{pk}}/complete",
    update_method="post",
    changed=lambda task: task.done_at is not None,
    read_only=404,
)


@pytest.mark.parametrize("role", ROLES)
def test_a_task_follows_the_visibility_matrix(org, role):
    # a task is its assignee's: they and their managers see and complete it
    task = TaskFactory(title="rep_a's", assignee=org.rep_a)
    assert_matrix(TASKS, org=org, role=role, records={"rep_a": task})


def test_a_rep_cannot_assign_tasks_to_others_or_link_hidden_records(org):
    theirs = make_account(org.rep_b)
    api = token_client(org.rep_a)
    response = post(api, "/tasks", {"title": "x", "assignee_id": org.rep_b.pk})
    assert response.status_code == 422
    assert response.json()["field"] == "assignee"
    response = post(api, "/tasks", {"title": "x", "record_type": "account", "record_id": theirs.pk})
    assert response.status_code == 422
    assert response.json()["field"] == "record_id"
    response = post(api, "/tasks", {"title": "x", "record_type": "spaceship", "record_id": 1})
    assert response.json()["field"] == "record_type"
    assert not Task.objects.exists()


def test_a_manager_assigns_and_reassigns_within_the_team(org):
    api = token_client(org.manager_east)
    made = post(api, "/tasks", {"title": "Prepare visit", "assignee_id": org.rep_c.pk}).json()
    assert made["assignee"]["id"] == org.rep_c.pk
    response = api.patch(
        f"{API}/tasks/{made['id']}",
        data={"assignee_id": org.rep_b.pk, "title": "Prepare the visit"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert (response.json()["assignee"]["id"], response.json()["title"]) == (
        org.rep_b.pk,
        "Prepare the visit",
    )


def test_bad_input_is_a_422_naming_the_field(org):
    api = token_client(org.rep_a)
    response = post(api, "/tasks", {"title": ""})
    assert response.status_code == 422
    assert response.json()["field"] == "title"
    response = api.get(f"{API}/tasks?status=later")
    assert response.status_code == 422
    assert response.json()["field"] == "status"

"""SPEC X1 on activities and tasks: custom fields defined by an admin appear on their
forms, detail pages and API schemas, are validated by the services, and follow the
records' visibility."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from salesops.activities import services
from salesops.activities.models import Activity
from salesops.core import clock
from salesops.customers.tests.test_api import assert_error
from salesops.customization.tests.factories import make_definition
from salesops.todos import services as task_services
from salesops.todos.models import Task

from .conftest import NOON
from .test_api import API, patch, post, token_client

CHECK_IN = reverse("activities:check_in")


@pytest.fixture
def mood(org):
    return make_definition(
        org.admin,
        entity="activity",
        key="mood",
        type="choice",
        label_en="Mood",
        choices=["good", "bad"],
    )


@pytest.fixture
def effort(org):
    return make_definition(org.admin, entity="task", key="effort", type="number", label_en="Effort")


def test_activity_custom_values_through_the_api_and_visibility(org, lead_a, mood):
    api = token_client(org.rep_a)
    made = post(
        api,
        "/activities",
        {"kind": "call", "lead_id": lead_a.pk, "tag": "demo_booked", "custom": {"mood": "good"}},
    )
    assert made.status_code == 201, made.content
    assert made.json()["custom"] == {"mood": "good"}
    pk = made.json()["id"]
    assert api.get(f"{API}/activities/{pk}").json()["custom"] == {"mood": "good"}
    # rep_b never sees rep_a's activity, nor its custom values
    other = token_client(org.rep_b)
    assert other.get(f"{API}/activities/{pk}").status_code == 404
    assert other.get(f"{API}/activities").json()["count"] == 0
    # the manager of the team does
    boss = token_client(org.manager_east)
    assert boss.get(f"{API}/activities/{pk}").json()["custom"] == {"mood": "good"}


def test_bad_custom_values_are_422s_naming_the_field(org, lead_a, mood):
    api = token_client(org.rep_a)
    bad = post(
        api,
        "/activities",
        {"kind": "call", "lead_id": lead_a.pk, "tag": "demo_booked", "custom": {"mood": "meh"}},
    )
    body = assert_error(bad, 422, "validation_error", "custom.mood")
    assert "Mood" in body["message"]
    unknown = post(
        api,
        "/activities",
        {"kind": "call", "lead_id": lead_a.pk, "tag": "demo_booked", "custom": {"moood": 1}},
    )
    assert_error(unknown, 422, "validation_error", "custom.moood")
    assert not Activity.objects.exists()


def test_a_required_field_is_asked_for_when_finishing_not_when_starting(org, lead_a, mood):
    from salesops.customization import services as custom_services

    custom_services.definition_update(actor=org.admin, definition=mood, required=True)
    with clock.frozen(NOON):
        open_call = services.activity_log(actor=org.rep_a, kind="call", lead=lead_a)
    api = token_client(org.rep_a)
    missing = post(api, f"/activities/{open_call.pk}/check-in", {"tag": "demo_booked"})
    assert_error(missing, 422, "validation_error", "custom.mood")
    open_call.refresh_from_db()
    assert open_call.tag is None
    with clock.frozen(NOON + dt.timedelta(minutes=1)):
        done = services.check_in(
            actor=org.rep_a, activity=open_call, tag="demo_booked", custom={"mood": "bad"}
        )
    assert done.custom == {"mood": "bad"}


def test_check_in_page_and_activity_page_show_the_custom_fields(client, org, lead_a, mood):
    client.force_login(org.rep_a)
    page = client.get(f"{CHECK_IN}?lead={lead_a.pk}").content.decode()
    assert 'name="custom.mood"' in page and "Mood" in page
    response = client.post(
        f"{CHECK_IN}?lead={lead_a.pk}",
        {"kind": "call", "tag": "demo_booked", "custom.mood": "meh"},
    )
    assert response.status_code == 200 and 'data-testid="error-custom.mood"' in (
        response.content.decode()
    )
    assert not Activity.objects.exists()
    client.post(
        f"{CHECK_IN}?lead={lead_a.pk}",
        {"kind": "call", "tag": "demo_booked", "custom.mood": "good"},
    )
    activity = Activity.objects.get()
    assert activity.custom == {"mood": "good"}
    detail = client.get(activity.get_absolute_url()).content.decode()
    assert 'data-testid="custom-mood"' in detail and "good" in detail
    client.force_login(org.rep_b)
    assert client.get(activity.get_absolute_url()).status_code == 404


def test_task_custom_fields_api_form_and_detail(client, org, effort):
    api = token_client(org.rep_a)
    made = post(api, "/tasks", {"title": "报价", "custom": {"effort": "3"}})
    assert made.status_code == 201, made.content
    assert made.json()["custom"] == {"effort": "3"}
    pk = made.json()["id"]
    bad = patch(api, f"/tasks/{pk}", {"custom": {"effort": "lots"}})
    assert_error(bad, 422, "validation_error", "custom.effort")
    ok = patch(api, f"/tasks/{pk}", {"custom": {"effort": 5}})
    assert ok.status_code == 200 and ok.json()["custom"] == {"effort": "5"}
    assert token_client(org.rep_b).get(f"{API}/tasks/{pk}").status_code == 404
    task = Task.objects.get(pk=pk)
    client.force_login(org.rep_a)
    html = client.get(task.get_absolute_url()).content.decode()
    assert 'data-testid="custom-effort"' in html and 'name="custom.effort"' in html
    client.post(reverse("todos:task_create"), {"title": "回访", "custom.effort": "2"})
    assert Task.objects.get(title="回访").custom == {"effort": "2"}


def test_a_rules_task_ignores_required_custom_fields(org, effort):
    from salesops.customization import services as custom_services

    custom_services.definition_update(actor=org.admin, definition=effort, required=True)
    task = task_services.task_create(
        actor=None, title="规则任务", assignee=org.rep_a, source="rule:1:v1"
    )
    assert task.custom == {}


def test_activity_lists_search_and_filter_by_custom_field(client, org, lead_a, mood):
    api = token_client(org.rep_a)
    for note, value in (("周五演示", "good"), ("再联系", "bad")):
        post(
            api,
            "/activities",
            {
                "kind": "call",
                "lead_id": lead_a.pk,
                "tag": "demo_booked",
                "note": note,
                "custom": {"mood": value},
            },
        )
    found = api.get(f"{API}/activities", {"cf_mood": "good"}).json()
    assert [a["note"] for a in found["results"]] == ["周五演示"]
    assert api.get(f"{API}/activities", {"q": "再联系"}).json()["count"] == 1
    assert api.get(f"{API}/activities", {"q": lead_a.company}).json()["count"] == 2
    bad = api.get(f"{API}/activities", {"cf_mood": "meh"})
    assert bad.status_code == 422
    # another rep's search finds nothing of rep_a's
    assert token_client(org.rep_b).get(f"{API}/activities", {"q": "周五"}).json()["count"] == 0
    client.force_login(org.rep_a)
    html = client.get(reverse("activities:activity_list"), {"q": "周五"}).content.decode()
    assert html.count('data-testid="activity-row"') == 1
    html = client.get(reverse("activities:activity_list"), {"cf_mood": "bad"}).content.decode()
    assert html.count('data-testid="activity-row"') == 1 and "再联系" in html

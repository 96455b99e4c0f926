"""Activities and result tags over the REST API: visibility (404), the error shape
(422 naming the field), check-in and the admin-only tag endpoints."""

from __future__ import annotations

import pytest
from django.test import Client

from salesops.activities import services
from salesops.activities.models import Activity, ResultTag
from salesops.core.tests.visibility_matrix import ROLES, Case, assert_matrix
from salesops.org.services import api_token_create

from .conftest import account_for
from .factories import ActivityFactory

API = "/api/v1"


def token_client(user) -> Client:
    _, key = api_token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {key}"})


def post(client, url, data=None):
    return client.post(API + url, data=data or {}, content_type="application/json")


def patch(client, url, data):
    return client.patch(API + url, data=data, content_type="application/json")


def test_log_list_and_get_an_activity(org, lead_a):
    api = token_client(org.rep_a)
    response = post(
        api,
        "/activities",
        {
            "kind": "call",
            "lead_id": lead_a.pk,
            "tag": "demo_booked",
            "duration_seconds": 42,
            "note": "周五演示",
        },
    )
    assert response.status_code == 201, response.json()
    made = response.json()
    assert made["tag"] == "demo_booked" and made["tag_label"] == "Demo booked"
    assert made["effective"] is True and made["finished"] is True
    assert made["owner"]["id"] == org.rep_a.pk and made["lead_id"] == lead_a.pk
    listed = api.get(f"{API}/activities").json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == made["id"]
    assert api.get(f"{API}/activities?effective=false").json()["count"] == 0
    assert api.get(f"{API}/activities/{made['id']}").json()["note"] == "周五演示"
    lead_a.refresh_from_db()
    assert lead_a.first_contact_at is not None


def test_missing_tag_is_a_422_naming_tag(org, lead_a):
    response = post(token_client(org.rep_a), "/activities", {"kind": "call", "lead_id": lead_a.pk})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error" and body["field"] == "tag"
    assert "without a tag" in body["message"]
    assert not Activity.objects.exists()


def test_note_over_20_characters_is_a_422_and_nothing_is_saved(org, lead_a):
    response = post(
        token_client(org.rep_a),
        "/activities",
        {"kind": "call", "lead_id": lead_a.pk, "tag": "demo_booked", "note": "x" * 21},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "note" and "at most 20 characters" in body["message"]
    assert body["errors"][0]["field"] == "note"
    assert not Activity.objects.exists()


def test_bad_kind_unknown_tag_and_bad_dates_are_422s(org, lead_a):
    api = token_client(org.rep_a)
    bad_kind = post(api, "/activities", {"kind": "fax", "lead_id": lead_a.pk, "tag": "demo_booked"})
    assert bad_kind.status_code == 422 and bad_kind.json()["field"] == "kind"
    bad_tag = post(api, "/activities", {"kind": "call", "lead_id": lead_a.pk, "tag": "nope"})
    assert bad_tag.status_code == 422 and bad_tag.json()["field"] == "tag"
    reversed_dates = post(
        api,
        "/activities",
        {
            "kind": "visit",
            "lead_id": lead_a.pk,
            "tag": "demo_booked",
            "started_at": "2026-11-24T10:00:00+08:00",
            "ended_at": "2026-11-24T09:00:00+08:00",
        },
    )
    assert reversed_dates.status_code == 422 and reversed_dates.json()["field"] == "ended_at"
    unlinked = post(api, "/activities", {"kind": "call", "tag": "demo_booked"})
    assert unlinked.status_code == 422 and unlinked.json()["field"] == "lead"
    unknown_field = post(api, "/activities", {"kind": "call", "lead_id": lead_a.pk, "x": 1})
    assert unknown_field.status_code == 422 and unknown_field.json()["field"] == "x"
    assert not Activity.objects.exists()


ACTIVITIES = Case(list=f"{API}/activities", detail=f"{API}/activities/{{pk}}")


@pytest.mark.parametrize("role", ROLES)
def test_activities_follow_the_visibility_matrix(org, role):
    # one call logged by each user who owns records, on an account of their own
    records = {
        owner: ActivityFactory(owner=getattr(org, owner), tag="demo_booked")
        for owner in ("rep_a", "rep_b", "rep_c", "rep_d", "cs", "manager_sh")
    }
    assert_matrix(ACTIVITIES, org=org, role=role, records=records)


def test_another_reps_lead_or_activity_is_a_404(org, lead_a, lead_b):
    rep_a = token_client(org.rep_a)
    response = post(
        rep_a, "/activities", {"kind": "call", "lead_id": lead_b.pk, "tag": "demo_booked"}
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    account_b = account_for(org.rep_b)
    response = post(
        rep_a, "/activities", {"kind": "visit", "account_id": account_b.pk, "tag": "demo_booked"}
    )
    assert response.status_code == 404
    theirs = services.activity_log(actor=org.rep_b, kind="call", lead=lead_b)
    assert rep_a.get(f"{API}/activities/{theirs.pk}").status_code == 404
    check = post(rep_a, f"/activities/{theirs.pk}/check-in", {"tag": "demo_booked"})
    assert check.status_code == 404
    assert rep_a.get(f"{API}/activities/999999").status_code == 404
    assert Activity.objects.count() == 1
    # The East manager sees it
    manager = token_client(org.manager_east)
    assert manager.get(f"{API}/activities/{theirs.pk}").status_code == 200
    assert manager.get(f"{API}/activities").json()["count"] == 1


def test_start_then_check_in(org, lead_a):
    api = token_client(org.rep_a)
    started = post(api, "/activities", {"kind": "call", "lead_id": lead_a.pk, "start": True})
    assert started.status_code == 201, started.json()
    assert started.json()["finished"] is False and started.json()["tag"] is None
    pk = started.json()["id"]
    no_tag = post(api, f"/activities/{pk}/check-in", {"note": "hi"})
    assert no_tag.status_code == 422 and no_tag.json()["field"] == "tag"
    long_note = post(api, f"/activities/{pk}/check-in", {"tag": "demo_booked", "note": "y" * 25})
    assert long_note.status_code == 422 and long_note.json()["field"] == "note"
    done = post(api, f"/activities/{pk}/check-in", {"tag": "demo_booked", "duration_seconds": 31})
    assert done.status_code == 200, done.json()
    assert done.json()["effective"] is True and done.json()["tag"] == "demo_booked"
    again = post(api, f"/activities/{pk}/check-in", {"tag": "no_answer"})
    assert again.status_code == 422


def test_result_tags_in_the_users_language(org):
    api = token_client(org.rep_a)
    tags = api.get(f"{API}/result-tags").json()
    assert [t["code"] for t in tags][:2] == ["demo_booked", "needs_tech"]
    assert tags[0]["label"] == "Demo booked"
    org.rep_b.language = "zh-hans"
    org.rep_b.save()
    assert token_client(org.rep_b).get(f"{API}/result-tags").json()[0]["label"] == "已预约演示"
    ResultTag.objects.filter(code="needs_tech").update(is_active=False)
    codes = [t["code"] for t in api.get(f"{API}/result-tags").json()]
    assert "needs_tech" not in codes


def test_admins_add_and_change_result_tags_over_the_api(org):
    admin = token_client(org.admin)
    made = post(
        admin,
        "/result-tags",
        {
            "code": "wrong_number",
            "label_zh": "号码错误",
            "label_en": "Wrong number",
            "counts_as_contact": False,
        },
    )
    assert made.status_code == 201, made.json()
    pk = made.json()["id"]
    duplicate = post(
        admin, "/result-tags", {"code": "wrong_number", "label_zh": "甲", "label_en": "A"}
    )
    assert duplicate.status_code == 422 and duplicate.json()["field"] == "code"
    missing = post(admin, "/result-tags", {"code": "x_y", "label_zh": "", "label_en": "B"})
    assert missing.status_code == 422 and missing.json()["field"] == "label_zh"
    changed = patch(admin, f"/result-tags/{pk}", {"label_en": "Wrong phone", "is_active": False})
    assert changed.status_code == 200 and changed.json()["is_active"] is False
    assert patch(admin, "/result-tags/99999", {"label_en": "x"}).status_code == 404
    everything = admin.get(f"{API}/result-tags?include_inactive=true").json()
    assert "wrong_number" in [t["code"] for t in everything]


@pytest.mark.parametrize("who", ["rep_a", "manager_east", "finance"])
def test_others_may_not_change_result_tags(org, who):
    api = token_client(getattr(org, who))
    response = post(api, "/result-tags", {"code": "abc", "label_zh": "甲", "label_en": "A"})
    assert response.status_code == 403
    tag = ResultTag.objects.first()
    assert patch(api, f"/result-tags/{tag.pk}", {"label_en": "x"}).status_code == 403
    assert not ResultTag.objects.filter(code="abc").exists()

"""A push's lifecycle (delivered → read → note submitted → closed), bad input, who sees
which push, and the same through the API and the pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client

from salesops.core.tests.visibility_matrix import api_client
from salesops.knowledge import push_selectors, pushes
from salesops.knowledge.models import KnowledgeUsage, Push
from salesops.web.context_processors import build_sections

from . import push_factories as pf

pytestmark = pytest.mark.django_db
API = "/api/v1/knowledge/pushes"


def fresh(push) -> Push:
    return Push.objects.get(pk=push.pk)


# --- services -----------------------------------------------------------------------------
def test_lifecycle_delivered_read_noted_closed(org):
    push = pf.push(org.rep_a, requires_note=True)
    assert pushes.state(push) == "delivered" and push.delivered_at is not None
    pushes.push_open(actor=org.rep_a, push=push)
    push = fresh(push)
    first_read = push.read_at
    assert pushes.state(push) == "read" and first_read is not None
    assert (
        KnowledgeUsage.objects.filter(user=org.rep_a, item=push.item, action="viewed").count() == 1
    )
    pushes.push_open(actor=org.rep_a, push=push)  # again: the first read stays
    assert fresh(push).read_at == first_read
    assert KnowledgeUsage.objects.filter(action="viewed").count() == 1

    with pytest.raises(ValidationError) as exc:
        pushes.push_close(actor=org.rep_a, push=push)
    assert "needs a study note" in " ".join(exc.value.message_dict["note"])
    assert fresh(push).closed_at is None

    pushes.push_submit_note(actor=org.rep_a, push=push, note="  先问清贵在哪里，再谈条件。 ")
    push = fresh(push)
    assert pushes.state(push) == "noted"
    assert push.note == "先问清贵在哪里，再谈条件。"
    pushes.push_close(actor=org.rep_a, push=push)
    push = fresh(push)
    assert pushes.state(push) == "closed"
    with pytest.raises(ValidationError) as exc:
        pushes.push_submit_note(actor=org.rep_a, push=push, note="改一下")
    assert "closed" in " ".join(exc.value.message_dict["note"])
    assert fresh(push).note == "先问清贵在哪里，再谈条件。"


def test_a_push_without_a_required_note_closes_directly(org):
    push = pf.push(org.rep_a)
    pushes.push_close(actor=org.rep_a, push=push)
    push = fresh(push)
    assert push.closed_at is not None and push.read_at is not None


@pytest.mark.parametrize(
    ("note", "words"),
    [("", "cannot be empty"), ("   \n ", "cannot be empty"), ("长" * 2001, "at most 2000")],
)
def test_bad_notes_are_refused_and_nothing_is_written(org, note, words):
    push = pf.push(org.rep_a, requires_note=True)
    with pytest.raises(ValidationError) as exc:
        pushes.push_submit_note(actor=org.rep_a, push=push, note=note)
    assert words in " ".join(exc.value.message_dict["note"])
    assert fresh(push).note_at is None and fresh(push).note == ""


def test_only_the_recipient_moves_the_push(org):
    push = pf.push(org.rep_a, requires_note=True)
    for other in (org.manager_east, org.rep_b, org.admin):
        with pytest.raises(PermissionDenied):
            pushes.push_submit_note(actor=other, push=push, note="代写")
        with pytest.raises(PermissionDenied):
            pushes.push_close(actor=other, push=push)
        pushes.push_open(actor=other, push=push)  # a manager reading it: not "read"
    assert fresh(push).read_at is None


def test_inactive_items_and_users_are_not_pushed(org):
    gone = pf.item(is_active=False)
    with pytest.raises(ValidationError) as exc:
        pushes.push_deliver(item=gone, user=org.rep_a, key="k")
    assert "item" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        pushes.push_deliver(item=pf.item(), user=org.rep_a, key="")
    assert "key" in exc.value.message_dict


# --- visibility ---------------------------------------------------------------------------
def test_visibility(org):
    a, b, c, d = (pf.push(u) for u in (org.rep_a, org.rep_b, org.rep_c, org.rep_d))

    def seen(user):
        return set(push_selectors.visible_pushes(user).values_list("pk", flat=True))

    assert seen(org.rep_a) == {a.pk}
    assert seen(org.rep_b) == {b.pk}
    assert seen(org.manager_sh) == {c.pk}
    assert seen(org.manager_east) == {a.pk, b.pk, c.pk}
    assert seen(org.manager_south) == {d.pk}
    assert seen(org.director) == seen(org.admin) == {a.pk, b.pk, c.pk, d.pk}
    assert seen(org.finance) == set() and seen(org.cs) == set()
    with pytest.raises(Http404):
        push_selectors.push_for(org.rep_b, a.pk)
    with pytest.raises(Http404):
        push_selectors.push_for(org.manager_south, a.pk)
    assert push_selectors.push_for(org.manager_east, a.pk) == a


def test_team_summary_counts_states_per_rep(org):
    p1 = pf.push(org.rep_a, requires_note=True)
    pf.push(org.rep_a)
    p3 = pf.push(org.rep_b)
    pushes.push_open(actor=org.rep_a, push=p1)
    pushes.push_submit_note(actor=org.rep_a, push=p1, note="学到了")
    pushes.push_close(actor=org.rep_a, push=p1)
    pushes.push_open(actor=org.rep_b, push=p3)
    pf.push(org.rep_d)
    rows = {r["user_id"]: r for r in push_selectors.team_summary(org.manager_east)}
    assert set(rows) == {org.rep_a.pk, org.rep_b.pk}
    a = rows[org.rep_a.pk]
    assert (a["delivered"], a["read"], a["noted"], a["needs_note"], a["closed"], a["open"]) == (
        2,
        1,
        1,
        1,
        1,
        1,
    )
    b = rows[org.rep_b.pk]
    assert (b["delivered"], b["read"], b["noted"], b["closed"], b["open"]) == (1, 1, 0, 0, 1)


def test_badge_counts_open_pushes_once_per_request(org, django_assert_num_queries):
    pf.push(org.rep_a)
    closed = pf.push(org.rep_a)
    pushes.push_close(actor=org.rep_a, push=closed)
    user = type(org.rep_a).objects.get(pk=org.rep_a.pk)
    with django_assert_num_queries(1):
        assert push_selectors.open_count(user) == 1
        assert push_selectors.open_count(user) == 1
    sections = {s["key"]: s for s in build_sections(user, "pushes:mine")}
    item = next(i for i in sections["knowledge"]["items"] if i["name"] == "pushes:mine")
    assert item["badge"] == 1 and item["active"]
    assert all(i["name"] != "pushes:team" for i in sections["knowledge"]["items"])


# --- API ----------------------------------------------------------------------------------
def test_api_list_read_note_close(org):
    push = pf.push(org.rep_a, requires_note=True)
    pf.push(org.rep_b)
    client = api_client(org.rep_a)
    body = client.get(API).json()
    assert body["count"] == 1 and body["results"][0]["state"] == "delivered"

    assert client.post(f"{API}/{push.pk}/read").json()["state"] == "read"
    r = client.post(f"{API}/{push.pk}/close")
    assert r.status_code == 422 and "study note" in r.content.decode()
    r = client.post(f"{API}/{push.pk}/note", data={"note": " "}, content_type="application/json")
    assert r.status_code == 422 and "cannot be empty" in r.content.decode()
    r = client.post(f"{API}/{push.pk}/note", data={}, content_type="application/json")
    assert r.status_code == 422
    r = client.post(f"{API}/{push.pk}/note", data={"note": "心得"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "noted"
    r = client.post(f"{API}/{push.pk}/close")
    assert r.status_code == 200 and r.json()["state"] == "closed"
    assert client.get(API, {"state": "open"}).json()["count"] == 0
    assert client.get(API, {"state": "bogus"}).status_code == 422
    assert client.get(API, {"scope": "everyone"}).status_code == 422


def test_api_other_peoples_pushes(org):
    push = pf.push(org.rep_a)
    assert api_client(org.rep_b).post(f"{API}/{push.pk}/read").status_code == 404
    assert api_client(org.manager_south).post(f"{API}/{push.pk}/close").status_code == 404
    manager = api_client(org.manager_east)
    assert manager.post(f"{API}/{push.pk}/close").status_code == 403
    assert manager.get(API, {"scope": "team"}).json()["count"] == 1
    assert manager.get(API).json()["count"] == 0
    assert api_client(org.rep_b).get(API, {"scope": "team"}).json()["count"] == 0


# --- pages --------------------------------------------------------------------------------
def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_open_note_close(org):
    push = pf.push(
        org.rep_a, requires_note=True, item=pf.item(title="报价策略", body="先认同再拆解")
    )
    client = login(org.rep_a)
    page = client.get("/knowledge/pushes/")
    assert page.status_code == 200 and "报价策略" in page.content.decode()
    detail = client.get(f"/knowledge/pushes/{push.pk}/")
    assert detail.status_code == 200 and "先认同再拆解" in detail.content.decode()
    assert fresh(push).read_at is not None
    r = client.post(f"/knowledge/pushes/{push.pk}/close/")
    assert r.status_code == 400 and "needs a study note" in r.content.decode()
    r = client.post(f"/knowledge/pushes/{push.pk}/note/", {"note": ""})
    assert r.status_code == 400 and "cannot be empty" in r.content.decode()
    r = client.post(f"/knowledge/pushes/{push.pk}/note/", {"note": "拆成每天的成本"})
    assert r.status_code == 302
    r = client.post(f"/knowledge/pushes/{push.pk}/close/")
    assert r.status_code == 302 and fresh(push).closed_at is not None


def test_pages_visibility(org):
    push = pf.push(org.rep_a)
    assert login(org.rep_b).get(f"/knowledge/pushes/{push.pk}/").status_code == 404
    assert login(org.rep_b).get("/knowledge/pushes/team/").status_code == 403
    manager = login(org.manager_east)
    page = manager.get("/knowledge/pushes/team/")
    assert page.status_code == 200 and "Rep A" in page.content.decode()
    detail = manager.get(f"/knowledge/pushes/{push.pk}/")
    assert detail.status_code == 200 and 'data-testid="note-submit"' not in detail.content.decode()
    assert fresh(push).read_at is None  # the manager's look is not the rep's read
    assert login(org.manager_south).get(f"/knowledge/pushes/{push.pk}/").status_code == 404
    page = login(org.manager_south).get("/knowledge/pushes/team/")
    assert "Rep A" not in page.content.decode()


def test_team_pushes_export_lists_the_team_only(org):
    pf.push(org.rep_a)
    pf.push(org.rep_d)
    client = Client()
    client.force_login(org.manager_east)
    response = client.get("/knowledge/pushes/team/export.csv")
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    people = {line.split(",")[0] for line in lines[1:]}
    assert people == {org.rep_a.label}
    client.force_login(org.rep_a)
    assert client.get("/knowledge/pushes/team/export.csv").status_code == 403

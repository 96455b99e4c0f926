"""The offline app's API: 401 without a login, 403 for a role that records nothing, 422
naming the field, per-item answers, the working set with its ETag and visibility."""

import datetime as dt

from django.test import Client

from salesops.core import clock
from salesops.field.models import SyncConflict
from salesops.leads.models import Lead
from salesops.leads.tests.api_helpers import client_for
from salesops.leads.tests.factories import lead_data
from salesops.todos import services as todo_services

from .conftest import item, lead_for

API = "/api/v1/field"


def post(client, url, data):
    return client.post(API + url, data=data, content_type="application/json")


def test_without_a_login_every_endpoint_is_401(db):
    client = Client()
    assert client.get(API + "/working-set").status_code == 401
    assert post(client, "/sync", {"items": []}).status_code == 401
    assert client.get(API + "/conflicts").status_code == 401


def test_a_read_only_role_is_403_and_a_bad_body_is_422_by_field(org):
    response = post(client_for(org.finance), "/sync", {"items": [item("lead.create", lead_data())]})
    assert response.status_code == 403
    assert response.json()["code"]
    rep = client_for(org.rep_a)
    response = post(rep, "/sync", {"items": "nope"})
    assert response.status_code == 422
    assert response.json()["field"] == "items"
    response = post(rep, "/sync", {})
    assert response.status_code == 422 and response.json()["field"] == "items"
    assert not Lead.objects.exists()


def test_sync_answers_per_item_and_a_rep_cannot_sync_onto_another_reps_lead(org):
    lead_b = lead_for(org.rep_b)
    rep = client_for(org.rep_a)
    mine = item("lead.create", lead_data(company="绍兴柯桥印染有限公司"))
    theirs = item(
        "lead.update",
        {"lead": lead_b.pk, "changes": {"need": {"base": lead_b.need, "value": "抢过来"}}},
    )
    response = post(rep, "/sync", {"items": [mine, theirs]})
    assert response.status_code == 200
    first, second = response.json()["results"]
    assert first["status"] == "applied" and first["uuid"] == mine["uuid"]
    assert second["status"] == "refused"
    assert second["message"] == "You may no longer see this lead."
    lead_b.refresh_from_db()
    assert lead_b.need != "抢过来"
    again = post(rep, "/sync", {"items": [mine]}).json()["results"][0]
    assert again["status"] == "replayed"
    assert Lead.objects.filter(company="绍兴柯桥印染有限公司").count() == 1


def test_the_working_set_is_what_the_rep_may_see_with_an_etag(org):
    mine = lead_for(org.rep_a, company="湖州吴兴丝绸有限公司")
    lead_for(org.rep_b, company="别人的线索有限公司")
    todo_services.task_create(
        actor=org.rep_a, title="回访湖州", assignee=org.rep_a, due_at=clock.now()
    )
    todo_services.task_create(
        actor=org.rep_a,
        title="下周的事",
        assignee=org.rep_a,
        due_at=clock.now() + dt.timedelta(days=8),
    )
    rep = client_for(org.rep_a)
    response = rep.get(API + "/working-set")
    assert response.status_code == 200
    body = response.json()
    assert [lead["id"] for lead in body["leads"]] == [mine.pk]
    assert body["tags"] and body["max_batch"] == 500
    assert [task["title"] for task in body["tasks"]] == ["回访湖州"]
    etag = response["ETag"]
    unchanged = rep.get(API + "/working-set", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    lead_for(org.rep_a, company="新来的线索有限公司")
    changed = rep.get(API + "/working-set", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert len(changed.json()["leads"]) == 2


def test_conflicts_are_listed_and_resolved_only_by_their_rep(org):
    from salesops.leads import services as lead_services

    lead = lead_for(org.rep_a)
    seen = lead.need
    lead_services.lead_update(actor=org.manager_east, lead=lead, need="经理改的")
    rep = client_for(org.rep_a)
    edit = {"lead": lead.pk, "changes": {"need": {"base": seen, "value": "我改的"}}}
    [answer] = post(rep, "/sync", {"items": [item("lead.update", edit)]}).json()["results"]
    assert answer["status"] == "conflict"
    [row] = rep.get(API + "/conflicts").json()
    assert (row["server_value"], row["client_value"]) == ("经理改的", "我改的")
    other = client_for(org.rep_b)
    assert post(other, f"/conflicts/{row['id']}/resolve", {"choice": "mine"}).status_code == 404
    bad = post(rep, f"/conflicts/{row['id']}/resolve", {"choice": "both"})
    assert bad.status_code == 422 and bad.json()["field"] == "choice"
    done = post(rep, f"/conflicts/{row['id']}/resolve", {"choice": "mine"})
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    lead.refresh_from_db()
    assert lead.need == "我改的"
    assert SyncConflict.objects.get().server_value == "经理改的"


def test_a_session_post_needs_the_csrf_token(org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.rep_a)
    response = post(client, "/sync", {"items": [item("lead.create", lead_data())]})
    assert response.status_code == 403
    assert not Lead.objects.exists()

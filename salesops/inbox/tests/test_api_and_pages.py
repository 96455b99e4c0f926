"""The API and the pages: visibility (a rep sees only their own customers' messages, a
manager their team's and the unmatched ones), 4xx on bad input, list filters, export."""

from __future__ import annotations

import pytest

from salesops.customers.tests.factories import make_account, make_contact
from salesops.inbox import services
from salesops.inbox.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org, api_source):
    a = make_contact(make_account(org.rep_a, name="A 公司"), phone="+8613900000001")
    b = make_contact(make_account(org.rep_b, name="B 公司"), phone="+8613900000002")
    d = make_contact(make_account(org.rep_d, name="D 公司"), phone="+8613900000004")

    def rx(sender, body, mid):
        return services.message_receive(
            source=api_source, source_message_id=mid, sender_address=sender, body=body
        )[0]

    return {
        "a": rx("13900000001", "设备故障", "a-1"),
        "b": rx("13900000002", "hello", "b-1"),
        "d": rx("13900000004", "hello", "d-1"),
        "none": rx("wx-nobody", "hello", "n-1"),
        "contacts": (a, b, d),
    }


def _ids(client, user, query=""):
    client.force_login(user)
    response = client.get(f"/api/v1/inbox/messages{query}")
    assert response.status_code == 200, response.content
    return {r["id"] for r in response.json()["results"]}


def test_visibility_matrix(client, org, world):
    a, b, d, none = (world[k].pk for k in ("a", "b", "d", "none"))
    assert _ids(client, org.rep_a) == {a}
    assert _ids(client, org.rep_b) == {b}
    assert _ids(client, org.manager_east) == {a, b, none}
    assert _ids(client, org.manager_south) == {d, none}
    assert _ids(client, org.admin) == {a, b, d, none}
    assert _ids(client, org.director) == {a, b, d, none}


def test_a_rep_gets_404_for_another_reps_message_on_every_route(client, org, world):
    client.force_login(org.rep_a)
    other = world["b"].pk
    assert client.get(f"/api/v1/inbox/messages/{other}").status_code == 404
    assert client.get(f"/inbox/{other}/").status_code == 404
    assert client.post(f"/inbox/{other}/reply/", {"body": "x"}).status_code == 404
    assert client.post(f"/inbox/{other}/link/", {"contact": 1}).status_code == 404
    response = client.post(
        f"/api/v1/inbox/messages/{other}/reply", {"body": "x"}, "application/json"
    )
    assert response.status_code == 404
    assert Message.objects.filter(reply_to__isnull=False).count() == 0


def test_the_unmatched_message_is_not_for_reps(client, org, world):
    client.force_login(org.rep_a)
    assert client.get(f"/inbox/{world['none'].pk}/").status_code == 404


def test_post_a_message_over_the_api(client, org, api_source):
    client.force_login(org.admin)
    payload = {
        "message_id": "erp-1",
        "sender": "13800001111",
        "body": "想了解价格，我们是杭州云帆科技有限公司",
    }
    first = client.post("/api/v1/inbox/messages", payload, "application/json")
    again = client.post("/api/v1/inbox/messages", payload, "application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["scenario"] == "inquiry" and first.json()["lead_id"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"message_id": "", "sender": "1", "body": "x"}, "source_message_id"),
        ({"message_id": "x", "sender": "", "body": "x"}, "sender_address"),
        ({"message_id": "x", "sender": "1", "body": ""}, "body"),
        ({"message_id": "x", "sender": "1", "body": "x", "source": 99999}, "source"),
        ({"sender": "1", "body": "x"}, "message_id"),
    ],
)
def test_api_bad_input_is_422_naming_the_field(client, org, api_source, payload, field):
    client.force_login(org.admin)
    response = client.post("/api/v1/inbox/messages", payload, "application/json")
    assert response.status_code == 422, response.content
    fields = {e["field"] for e in response.json()["errors"]}
    assert any(field in (f or "") for f in fields), fields
    assert not Message.objects.exists()


def test_a_rep_may_not_post_messages(client, org, api_source):
    client.force_login(org.rep_a)
    response = client.post(
        "/api/v1/inbox/messages",
        {"message_id": "x", "sender": "1", "body": "x"},
        "application/json",
    )
    assert response.status_code == 403


def test_api_link_and_reply(client, org, world, django_capture_on_commit_callbacks):
    client.force_login(org.manager_east)
    a_contact = world["contacts"][0]
    none = world["none"]
    bad = client.post(f"/api/v1/inbox/messages/{none.pk}/link", {"contact": 0}, "application/json")
    assert bad.status_code == 422
    d_contact = world["contacts"][2]  # South's customer: manager East cannot see it
    hidden = client.post(
        f"/api/v1/inbox/messages/{none.pk}/link", {"contact": d_contact.pk}, "application/json"
    )
    assert hidden.status_code == 422
    ok = client.post(
        f"/api/v1/inbox/messages/{none.pk}/link", {"contact": a_contact.pk}, "application/json"
    )
    assert ok.status_code == 200 and ok.json()["account_id"] == a_contact.account_id
    assert ok.json()["assignee_id"] == org.rep_a.pk
    empty = client.post(f"/api/v1/inbox/messages/{none.pk}/reply", {"body": ""}, "application/json")
    assert empty.status_code == 422
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            f"/api/v1/inbox/messages/{none.pk}/reply", {"body": "收到"}, "application/json"
        )
    assert sent.status_code == 201 and sent.json()["reply_to_id"] == none.pk
    # An API message has no channel to answer on: the reply is kept, and says so.
    stored = Message.objects.get(pk=sent.json()["id"])
    assert (
        stored.delivery_error == "Messages from the API are answered by the system that sent them."
    )


def test_list_page_filters_and_export(client, org, world):
    client.force_login(org.manager_east)
    page = client.get("/inbox/").content.decode()
    assert page.count('data-testid="message-row"') == 3
    only_unmatched = client.get("/inbox/?matched=no").content.decode()
    assert only_unmatched.count('data-testid="message-row"') == 1
    complaints = client.get("/inbox/?scenario=complaint").content.decode()
    assert complaints.count('data-testid="message-row"') == 1
    bad = client.get("/inbox/?channel=fax")
    assert 'data-testid="filter-errors"' in bad.content.decode()
    export = client.get("/inbox/export.csv")
    assert export.status_code == 200
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "设备故障" in text and text.count("\n") == 4


def test_message_page_shows_scenario_keyword_and_complaint(client, org, world):
    client.force_login(org.rep_a)
    page = client.get(f"/inbox/{world['a'].pk}/").content.decode()
    assert 'data-testid="scenario-keyword"' in page and "故障" in page
    assert 'data-testid="complaint-link"' in page


def test_link_from_the_page(client, org, world):
    client.force_login(org.manager_east)
    none = world["none"]
    a_contact = world["contacts"][0]
    search = client.get(f"/inbox/{none.pk}/?link_q=A 公司").content.decode()
    assert 'data-testid="link-candidate"' in search
    response = client.post(f"/inbox/{none.pk}/link/", {"contact": a_contact.pk})
    assert response.status_code == 302
    none.refresh_from_db()
    assert none.contact == a_contact


def test_settings_pages_are_for_configurers(client, org, api_source):
    client.force_login(org.rep_a)
    assert client.get("/inbox/settings/sources/").status_code == 403
    assert client.get("/inbox/settings/rules/").status_code == 403
    client.force_login(org.admin)
    assert client.get("/inbox/settings/sources/").status_code == 200
    rules = client.get("/inbox/settings/rules/").content.decode()
    assert "询价" in rules and "投诉" in rules and "续约" in rules
    created = client.post(
        "/inbox/settings/rules/new/",
        {"scenario": "complaint", "keywords": "卡死\n闪退", "priority": "40", "is_active": "on"},
    )
    assert created.status_code == 302
    bad = client.post(
        "/inbox/settings/rules/new/", {"scenario": "complaint", "keywords": " ", "priority": "1"}
    )
    assert bad.status_code == 422
    new_source = client.post(
        "/inbox/settings/sources/new/",
        {
            "kind": "dingtalk",
            "name": "Robot",
            "app_secret": "",
            "is_active": "on",
            "imap_port": "993",
            "imap_folder": "INBOX",
            "poll_minutes": "5",
            "replay_window_seconds": "300",
        },
    )
    assert new_source.status_code == 422
    assert "app_secret" in new_source.content.decode()

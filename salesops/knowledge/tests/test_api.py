"""The knowledge API: list/search, detail with placeholders filled, match, usage; 4xx on
bad input; another rep's records answer 404."""

import pytest

from salesops.core.tests.visibility_matrix import api_client
from salesops.knowledge.models import KnowledgeUsage
from salesops.leads.tests.factories import LeadFactory

from .factories import make_item

pytestmark = pytest.mark.django_db
API = "/api/v1/knowledge"


def post(client, url, data):
    return client.post(API + url, data=data, content_type="application/json")


def fields(response) -> set:
    assert response.status_code == 422, response.content
    return {e["field"] for e in response.json()["errors"]}


def test_list_search_and_filters(org):
    script = make_item(
        org.admin, kind="script", title="价格异议话术", body="客户说价格太高", tags=["价格异议"]
    )
    make_item(org.admin, kind="article", title="库存周转", body="库存")
    client = api_client(org.rep_a)
    body = client.get(API + "/items").json()
    assert body["count"] == 2 and body["results"][0]["match_percent"] is None
    body = client.get(API + "/items", {"q": "价格太高"}).json()
    assert [r["id"] for r in body["results"]] == [script.pk]
    assert 0 < body["results"][0]["match_percent"] <= 100
    assert body["results"][0]["tags"][0]["label_zh"] == "价格异议"
    assert client.get(API + "/items", {"kind": "article"}).json()["count"] == 1
    assert KnowledgeUsage.objects.filter(action="searched", query="价格太高").count() == 1


def test_bad_filters_and_pages_are_422(org):
    client = api_client(org.rep_a)
    assert fields(client.get(API + "/items", {"kind": "poem", "channel": "fax", "tag": 999})) == {
        "kind",
        "channel",
        "tag",
    }
    assert fields(client.get(API + "/items", {"page": 0})) == {"page"}
    assert fields(client.get(API + "/items", {"q": "价格", "page_size": 1000})) == {"page_size"}


def test_detail_fills_placeholders_from_a_visible_lead_only(org):
    item = make_item(org.admin, kind="script", body="{{联系人}}您好")
    own = LeadFactory(owner=org.rep_a, contact_name="赵总")
    other = LeadFactory(owner=org.rep_b)
    client = api_client(org.rep_a)
    body = client.get(f"{API}/items/{item.pk}", {"lead_id": own.pk}).json()
    assert body["body"] == "赵总您好" and body["has_attachment"] is False
    assert client.get(f"{API}/items/{item.pk}", {"lead_id": other.pk}).status_code == 404
    assert client.get(f"{API}/items/999999").status_code == 404


def test_match_answers_percentages_and_records_the_search(org):
    item = make_item(org.admin, title="设备停机维修成本高怎么办", body="预测性维护")
    lead = LeadFactory(owner=org.rep_a)
    client = api_client(org.rep_a)
    response = client.get(API + "/match", {"text": "设备停机维修成本太高", "lead_id": lead.pk})
    assert response.status_code == 200, response.content
    (hit,) = response.json()
    assert hit["item"]["id"] == item.pk and 50 <= hit["percent"] <= 100
    assert hit["label"] == f"{hit['percent']}% match with “设备停机维修成本高怎么办”"
    usage = KnowledgeUsage.objects.get(action="searched")
    assert (usage.query, usage.lead, usage.user) == ("设备停机维修成本太高", lead, org.rep_a)


def test_match_refuses_bad_input(org):
    client = api_client(org.rep_a)
    assert fields(client.get(API + "/match", {"text": " ", "limit": 0, "channel": "fax"})) == {
        "text",
        "limit",
        "channel",
    }
    assert fields(client.get(API + "/match", {"text": "价" * 501})) == {"text"}
    assert client.get(API + "/match").status_code == 422  # text missing
    other = LeadFactory(owner=org.rep_d)
    assert client.get(API + "/match", {"text": "价格", "lead_id": other.pk}).status_code == 404
    assert not KnowledgeUsage.objects.exists()


def test_usage_is_recorded_and_checked(org):
    item = make_item(org.admin)
    client = api_client(org.rep_a)
    response = post(client, "/usage", {"action": "copied", "item_id": item.pk})
    assert response.status_code == 201, response.content
    assert response.json()["action"] == "copied"
    assert fields(post(client, "/usage", {"action": "liked", "item_id": item.pk})) == {"action"}
    assert fields(post(client, "/usage", {"action": "viewed", "item_id": 999999})) == {"item_id"}
    assert fields(post(client, "/usage", {"action": "searched"})) == {"query"}
    other = LeadFactory(owner=org.rep_b)
    response = post(client, "/usage", {"action": "viewed", "item_id": item.pk, "lead_id": other.pk})
    assert response.status_code == 404
    assert KnowledgeUsage.objects.count() == 1

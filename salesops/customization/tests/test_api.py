"""Custom fields over the REST API: values in and out, 422 naming ``custom.<key>``,
``cf_<key>`` filters, and the definitions endpoint."""

import pytest

from salesops.customers.models import Account
from salesops.customers.tests.factories import make_account, make_contact
from salesops.customers.tests.test_api import API, assert_error, patch, post, token_client
from salesops.customization import services


@pytest.fixture
def rep_a(org):
    return token_client(org.rep_a)


def test_create_with_custom_values_and_read_them_back(org, define, rep_a):
    define("budget", "money")
    define("closing", "date")
    response = post(rep_a, "/accounts", {"name": "API Co", "custom": {"budget": 1200.5}})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["custom"] == {"budget": "1200.50"}
    got = rep_a.get(f"{API}/accounts/{body['id']}").json()
    assert got["custom"] == {"budget": "1200.50"}


def test_wrong_type_is_422_naming_the_custom_field(org, define, rep_a):
    define("budget", "money", label_en="Budget")
    before = Account.objects.count()
    response = post(rep_a, "/accounts", {"name": "API Co", "custom": {"budget": "lots"}})
    body = assert_error(response, 422, "validation_error", "custom.budget")
    assert body["errors"][0]["field"] == "custom.budget"
    assert "Budget" in body["errors"][0]["message"] and "number" in body["errors"][0]["message"]
    assert Account.objects.count() == before


def test_unknown_custom_key_is_422(org, define, rep_a):
    define("budget", "money")
    response = post(rep_a, "/accounts", {"name": "API Co", "custom": {"budgte": 1}})
    body = assert_error(response, 422, "validation_error", "custom.budgte")
    assert "budget" in body["message"]  # says which keys exist


def test_every_bad_field_at_once_with_custom_ones(org, define, rep_a):
    define("budget", "money", required=True)
    response = post(rep_a, "/accounts", {"name": "API Co", "level": "Z", "custom": {}})
    body = assert_error(response, 422, "validation_error", response.json()["field"])
    assert {e["field"] for e in body["errors"]} == {"level", "custom.budget"}


def test_patch_changes_only_the_given_custom_fields(org, define, rep_a):
    define("budget", "money")
    define("vip", "boolean")
    account = make_account(org.rep_a, custom={"budget": "100", "vip": True})
    response = patch(rep_a, f"/accounts/{account.pk}", {"custom": {"budget": "250"}})
    assert response.status_code == 200, response.content
    assert response.json()["custom"] == {"budget": "250.00", "vip": True}
    response = patch(rep_a, f"/accounts/{account.pk}", {"city": "南京市"})
    assert response.json()["custom"] == {"budget": "250.00", "vip": True}
    response = patch(rep_a, f"/accounts/{account.pk}", {"custom": {"vip": "perhaps"}})
    assert_error(response, 422, "validation_error", "custom.vip")


def test_contacts_take_custom_fields_too(org, define, rep_a):
    define("hobby", "text", entity="contact")
    account = make_account(org.rep_a)
    response = post(
        rep_a, "/contacts", {"account_id": account.pk, "name": "李四", "custom": {"hobby": "围棋"}}
    )
    assert response.status_code == 201, response.content
    assert response.json()["custom"] == {"hobby": "围棋"}
    contact = make_contact(account)
    response = patch(rep_a, f"/contacts/{contact.pk}", {"custom": {"hobby": ["a"]}})
    assert_error(response, 422, "validation_error", "custom.hobby")


def test_list_filters_by_custom_field(org, define, rep_a):
    define("temp", "choice")
    define("vip", "boolean")
    hot = make_account(org.rep_a, name="Hot Co", custom={"temp": "hot", "vip": True})
    make_account(org.rep_a, name="Cold Co", custom={"temp": "cold", "vip": False})
    make_account(org.rep_d, name="Hidden hot", custom={"temp": "hot"})  # not rep_a's
    names = [r["name"] for r in rep_a.get(f"{API}/accounts", {"cf_temp": "hot"}).json()["results"]]
    assert names == [hot.name]
    names = [r["name"] for r in rep_a.get(f"{API}/accounts", {"cf_vip": "false"}).json()["results"]]
    assert names == ["Cold Co"]
    response = rep_a.get(f"{API}/accounts", {"cf_temp": "boiling"})
    assert_error(response, 422, "validation_error", "cf_temp")


def test_custom_fields_endpoint_lists_the_schema(org, define, rep_a):
    define("budget", "money", label_zh="预算", label_en="Budget", required=True)
    define("temp", "choice", default="warm")
    off = define("legacy", "text")
    services.definition_deactivate(actor=org.admin, definition=off)
    define("hobby", "text", entity="contact")
    body = rep_a.get(f"{API}/custom-fields", {"entity": "account"}).json()
    assert [f["key"] for f in body] == ["budget", "temp"]
    budget, temp = body
    assert budget["label"] == "Budget" and budget["label_zh"] == "预算"
    assert budget["type"] == "money" and budget["required"] is True
    assert budget["filter"] == "cf_budget"
    assert temp["default"] == "warm"
    assert temp["choices"][0] == {"value": "hot", "label": "Hot"}
    zh = rep_a.get(f"{API}/custom-fields", {"entity": "account"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 200


def test_custom_fields_endpoint_refuses_unknown_entities(org, rep_a):
    response = rep_a.get(f"{API}/custom-fields", {"entity": "spaceship"})
    body = assert_error(response, 422, "validation_error", "entity")
    assert "account" in body["message"]
    assert_error(rep_a.get(f"{API}/custom-fields"), 422, "validation_error", "entity")


def test_openapi_documents_custom(org, rep_a):
    schema = rep_a.get(f"{API}/openapi.json").json()
    assert "custom" in schema["components"]["schemas"]["AccountIn"]["properties"]
    assert "/api/v1/custom-fields" in schema["paths"]

"""The public intake endpoint: JSON and form posts, every bad input's answer, the
honeypot, idempotency keys, rate limits and revoked tokens — and nothing half-written."""

import datetime as dt
import json

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from salesops.customers.tests.factories import credit_code
from salesops.leads import services
from salesops.leads.models import Assignment, Inquiry, IntakeKey, Lead

from .factories import lead_data, make_channel, make_rule

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def channel(org):
    make_rule(team=org.east, strategy="round_robin")
    return make_channel(campaign="2026 秋季展会")


def post(channel, body, *, token=None, content_type="application/json", **headers):
    url = f"/leads/intake/{token or channel.token}/"
    data = json.dumps(body, ensure_ascii=False) if content_type == "application/json" else body
    return Client().post(url, data, content_type=content_type, headers=headers)


def test_json_intake_creates_a_routed_timed_audited_lead(channel, org):
    answer = post(channel, lead_data(address="江苏省苏州市工业园区星湖街328号"))
    assert answer.status_code == 201, answer.content
    body = answer.json()
    lead = Lead.objects.get(pk=body["id"])
    assert body["outcome"] == "created"
    assert lead.owner in (org.rep_a, org.rep_b, org.rep_c)
    assert (lead.province, lead.city) == ("江苏省", "苏州市")
    assert lead.campaign == "2026 秋季展会"
    assert lead.channel == channel
    assert lead.history.count() == 1
    assert Inquiry.objects.filter(lead=lead).count() == 1
    assignment = Assignment.objects.get(lead=lead)
    assert assignment.rule_name and assignment.strategy == "round_robin"


def test_a_form_post_from_the_embedded_form(channel):
    answer = Client().post(
        f"/leads/intake/{channel.token}/",
        lead_data(phone="138 0013 8000"),
        headers={"Accept": "text/html"},
    )
    assert answer.status_code == 201
    assert "Thank you" in answer.content.decode()
    assert Lead.objects.get().phone == "+8613800138000"


def test_malformed_json_is_400(channel):
    answer = Client().post(
        f"/leads/intake/{channel.token}/", "{not json", content_type="application/json"
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "malformed_json"
    assert not Lead.objects.exists()


def test_missing_required_fields_are_each_named(channel):
    answer = post(channel, {"email": "x@example.com"})
    assert answer.status_code == 422
    fields = {e["field"] for e in answer.json()["errors"]}
    assert {"contact_name", "phone", "company", "need"} <= fields
    assert not Lead.objects.exists()


def test_bad_phone_and_credit_code_are_named(channel):
    good = credit_code(5)
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    answer = post(channel, lead_data(phone="12345", credit_code=wrong))
    assert answer.status_code == 422
    fields = {e["field"] for e in answer.json()["errors"]}
    assert fields == {"phone", "credit_code"}
    assert not Lead.objects.exists() and not Inquiry.objects.exists()


def test_unknown_or_revoked_token_is_a_bare_404(channel, org):
    assert post(channel, lead_data(), token="ch_nope").status_code == 404
    old = channel.token
    services.channel_new_token(actor=org.admin, channel=channel)
    answer = post(channel, lead_data(), token=old)
    assert answer.status_code == 404
    assert answer.json() == {"code": "not_found", "message": "Not found.", "field": None}
    services.channel_update(actor=org.admin, channel=channel, is_active=False)
    assert post(channel, lead_data()).status_code == 404
    assert not Lead.objects.exists()


def test_a_body_over_64_kb_is_413(channel):
    answer = post(channel, lead_data(need="需" * 40_000))
    assert answer.status_code == 413
    assert not Lead.objects.exists()


def test_too_many_requests_get_429_with_retry_after(channel, org):
    services.channel_update(actor=org.admin, channel=channel, rate_limit=3)
    # The allowance is per clock minute: hold the clock inside one (a loaded machine's
    # four requests could otherwise straddle a minute and all pass).
    with time_machine.travel(dt.datetime(2026, 11, 3, 2, 0, 5, tzinfo=dt.UTC), tick=False):
        codes = [post(channel, lead_data()).status_code for _ in range(4)]
        answer = post(channel, lead_data())
    assert codes == [201, 201, 201, 429]
    assert answer.status_code == 429
    assert 1 <= int(answer["Retry-After"]) <= 60
    # another client address has its own allowance
    other = Client(REMOTE_ADDR="10.1.2.3").post(
        f"/leads/intake/{channel.token}/",
        json.dumps(lead_data()),
        content_type="application/json",
    )
    assert other.status_code == 201
    assert Lead.objects.count() == 4


def test_the_honeypot_answers_success_and_stores_nothing(channel):
    answer = post(channel, {**lead_data(), "website_url": "http://spam.example"})
    assert answer.status_code == 201
    assert not Lead.objects.exists()


def test_the_same_idempotency_key_returns_the_first_answer_again(channel):
    # Issue 11, item 11a: a true replay gets the ORIGINAL status and body (it used to be
    # 200 with owner and SLA null), and says it is a replay.
    first = post(channel, lead_data(n=7), **{"Idempotency-Key": "order-7"})
    again = post(channel, lead_data(n=7), **{"Idempotency-Key": "order-7"})
    assert first.status_code == 201
    assert first.json()["owner"]  # routed: owner (and SLA, when one is set) in the first answer
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Lead.objects.count() == 1 and IntakeKey.objects.count() == 1
    assert Inquiry.objects.count() == 1


def test_a_replay_is_recognised_whatever_the_order_and_spacing_of_the_fields(channel):
    body = lead_data(n=8)
    first = post(channel, body, **{"Idempotency-Key": "order-8"})
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2, ensure_ascii=False)
    again = Client().post(
        f"/leads/intake/{channel.token}/",
        reordered,
        content_type="application/json",
        headers={"Idempotency-Key": "order-8"},
    )
    assert (again.status_code, again.json()) == (201, first.json())
    assert again["Idempotent-Replayed"] == "true"
    assert (Lead.objects.count(), Inquiry.objects.count()) == (1, 1)


def test_a_key_reused_with_another_body_is_refused_and_nothing_is_stored(channel):
    # Issue 11, item 11a: it used to answer 200 "replayed" and drop the second body.
    first = post(channel, lead_data(n=9), **{"Idempotency-Key": "order-9"})
    lead = Lead.objects.get()
    other = post(channel, lead_data(n=10), **{"Idempotency-Key": "order-9"})
    assert other.status_code == 422, other.content
    body = other.json()
    assert body["code"] == "idempotency_key_reused"
    assert body["field"] == "Idempotency-Key"
    assert "different body" in body["message"]
    assert body["errors"][0]["code"] == "idempotency_key_reused"
    assert Lead.objects.count() == 1 and Inquiry.objects.count() == 1
    lead.refresh_from_db()
    assert lead.touches == 1
    # and the first body is still answered as before
    again = post(channel, lead_data(n=9), **{"Idempotency-Key": "order-9"})
    assert (again.status_code, again.json()) == (201, first.json())


def test_a_replayed_repeat_inquiry_answers_as_the_first_time(channel):
    post(channel, lead_data(n=11, phone="139 0013 9000"))
    first = post(channel, lead_data(n=12, phone="13900139000"), **{"Idempotency-Key": "repeat-1"})
    again = post(channel, lead_data(n=12, phone="13900139000"), **{"Idempotency-Key": "repeat-1"})
    assert first.status_code == 200 and first.json()["outcome"] == "attached"
    assert (again.status_code, again.json()) == (200, first.json())
    assert Lead.objects.get().touches == 2


def test_a_key_costs_no_statement_of_its_own_on_postgresql(channel):
    # The key row (with the answer) is written with the lead's rows: inside the one
    # statement on PostgreSQL, one INSERT more elsewhere. (It used to cost a savepoint, an
    # insert, a release and an update.)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    post(channel, lead_data(n=20))  # warm the caches both measured requests use
    with CaptureQueriesContext(connection) as plain:
        post(channel, lead_data(n=21))
    with CaptureQueriesContext(connection) as keyed:
        post(channel, lead_data(n=22), **{"Idempotency-Key": "k-22"})
    extra = 0 if connection.vendor == "postgresql" else 1
    assert len(keyed) - len(plain) <= extra, [q["sql"][:60] for q in keyed]


def test_a_failed_request_does_not_burn_its_key(channel):
    bad = post(channel, {"phone": "1"}, **{"Idempotency-Key": "k1"})
    assert bad.status_code == 422
    assert not IntakeKey.objects.exists()
    good = post(channel, lead_data(), **{"Idempotency-Key": "k1"})
    assert good.status_code == 201


def test_a_repeat_inquiry_joins_the_open_lead(channel):
    first = post(channel, lead_data(n=1, phone="138 0013 8000"))
    again = post(channel, lead_data(n=2, phone="+86-13800138000", company="完全不同的公司"))
    assert again.status_code == 200
    assert again.json() == {
        "id": first.json()["id"],
        "outcome": "attached",
        "status": "new",
        "owner": None,
        "sla_due_at": None,
    }
    lead = Lead.objects.get()
    assert lead.touches == 2
    assert list(lead.inquiries.values_list("matched_by", flat=True)) == ["", "phone"]


def test_custom_fields_are_validated(channel, org):
    from salesops.customization.tests.factories import make_definition

    make_definition(org.admin, entity="lead", key="budget", type="number")
    bad = post(channel, {**lead_data(), "custom": {"budget": "lots"}})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "custom.budget"
    good = post(channel, {**lead_data(), "custom": {"budget": 50000}})
    assert good.status_code == 201
    assert Lead.objects.get().custom == {"budget": "50000"}  # numbers are kept as decimal text


def test_credit_code_is_normalised(channel):
    code = credit_code(77)
    answer = post(channel, lead_data(credit_code=code.lower()))
    assert answer.status_code == 201
    assert Lead.objects.get().credit_code == code


def test_get_is_not_allowed(channel):
    assert Client().get(f"/leads/intake/{channel.token}/").status_code == 405
    assert not Inquiry.objects.exists()


@pytest.mark.usefixtures("config_cache_on")
def test_with_caching_on_a_revoked_token_and_a_new_custom_field_take_effect_at_once(channel, org):
    from salesops.customization.tests.factories import make_definition

    # given the production caches (channels by token, custom field definitions)
    assert post(channel, lead_data()).status_code == 201
    refused = post(channel, {**lead_data(), "custom": {"budget": "5000"}})
    assert refused.status_code == 422
    # when an admin adds the custom field, then revokes the token
    make_definition(org.admin, entity="lead", key="budget", type="money")
    assert post(channel, {**lead_data(), "custom": {"budget": "5000"}}).status_code == 201
    old = channel.token
    services.channel_new_token(actor=org.admin, channel=channel)
    # then the old token is refused at once and the new one works
    assert post(channel, lead_data(), token=old).status_code == 404
    channel.refresh_from_db()
    assert post(channel, lead_data()).status_code == 201

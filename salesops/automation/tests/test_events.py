"""Event rules: a domain event (after commit) fires the active rules listening to it, in
the worker: the emitting request only enqueues one task, and only if a rule listens (the
tests run Huey in immediate mode, so the task runs at once)."""

import pytest

from salesops.automation import engine, services, tasks
from salesops.automation.models import RuleFiring
from salesops.core import events
from salesops.customers import services as customer_services
from salesops.customers.tests.factories import make_account

from .conftest import make_rule

pytestmark = pytest.mark.django_db


def notify_manager_rule(org, **data):
    data.setdefault(
        "actions",
        [{"kind": "notify", "to": ["manager"], "title": "New account {name} by {owner}"}],
    )
    return make_rule(org.admin, trigger_type="event", trigger={"event": "account.created"}, **data)


def test_account_created_notifies_the_owners_manager(org, sent, django_capture_on_commit_callbacks):
    # given a rule "when an account is created, tell the owner's manager"
    rule = notify_manager_rule(org)
    # when rep_a creates an account (the event is dispatched after the commit)
    with django_capture_on_commit_callbacks(execute=True):
        account = make_account(org.rep_a, name="华东新客户")
    # then manager_east (rep_a's manager) is told, through one firing of that rule
    firing = RuleFiring.objects.get()
    assert (firing.rule, firing.entity, firing.object_id) == (rule, "account", account.pk)
    assert firing.key.startswith("event:")
    assert firing.version == rule.current_version
    assert firing.status == "done"
    assert [(i["recipient_id"], i["title"]) for i in sent] == [
        (org.manager_east.pk, "New account 华东新客户 by Rep A")
    ]
    assert sent[0]["source"] == f"rule:{rule.pk}:v1"
    assert sent[0]["link"] == account.get_absolute_url()


def test_nothing_fires_before_the_commit(org, sent, django_capture_on_commit_callbacks):
    notify_manager_rule(org)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_account(org.rep_a)
    assert callbacks  # queued for after the commit…
    assert not RuleFiring.objects.exists()  # …and not run before it


def test_the_condition_can_read_the_event_payload(org, sent, django_capture_on_commit_callbacks):
    # given "when an account's level changes to A, tell the director"
    make_rule(
        org.admin,
        trigger_type="event",
        trigger={"event": "account.updated"},
        condition="'level' in changed and level == 'A'",
        actions=[{"kind": "notify", "to": ["role:director"], "title": "{name} is now A"}],
    )
    account = make_account(org.rep_a)
    with django_capture_on_commit_callbacks(execute=True):
        customer_services.account_update(actor=org.rep_a, account=account, notes="hello")
        customer_services.account_update(actor=org.rep_a, account=account, level="A")
    firing = RuleFiring.objects.get()
    assert firing.condition_values == {"changed": ["level"], "level": "A"}
    assert [i["recipient_id"] for i in sent] == [org.director.pk]


def test_inactive_rules_and_other_events_do_not_fire(org, sent, django_capture_on_commit_callbacks):
    rule = notify_manager_rule(org)
    services.rule_set_active(actor=org.admin, rule=rule, active=False)
    make_rule(
        org.admin,
        name="on delete",
        trigger_type="event",
        trigger={"event": "account.deleted"},
        actions=[{"kind": "notify", "to": ["role:admin"], "title": "account #{id} deleted"}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        account = make_account(org.rep_a)
    assert not RuleFiring.objects.exists()
    pk = account.pk
    with django_capture_on_commit_callbacks(execute=True):
        customer_services.account_delete(actor=org.rep_a, account=account)
    firing = RuleFiring.objects.get()
    assert (firing.entity, firing.object_id) == ("account", pk)
    assert [i["title"] for i in sent] == [f"account #{pk} deleted"]


def test_an_event_delivered_twice_with_its_id_fires_once(org, sent):
    notify_manager_rule(org)
    account = make_account(org.rep_a)
    payload = {"id": account.pk, "actor_id": org.rep_a.pk, "event_id": "abc123"}
    engine.process_event("account.created", payload)
    engine.process_event("account.created", payload)
    assert RuleFiring.objects.get().key == "event:abc123"
    assert len(sent) == 1


def test_the_task_run_twice_for_one_event_fires_once(org, sent):
    # given a listening rule and an account (created before the rule: its event fired nothing)
    account = make_account(org.rep_a)
    notify_manager_rule(org)
    payload = {"id": account.pk, "actor_id": org.rep_a.pk, "event_id": "retried"}
    # when the worker's task runs twice for the same event (a retry, a double delivery)
    tasks.run_event_rules("account.created", payload)
    tasks.run_event_rules("account.created", payload)
    # then the rule fired once and notified once
    assert RuleFiring.objects.get().key == "event:retried"
    assert len(sent) == 1


@pytest.fixture
def enqueued(monkeypatch):
    """The events handed to the worker's task, which is replaced so it does not run."""
    calls = []
    monkeypatch.setattr(
        tasks, "run_event_rules", lambda name, payload: calls.append((name, payload))
    )
    return calls


def test_an_event_no_rule_listens_to_enqueues_nothing(
    org, sent, enqueued, django_capture_on_commit_callbacks
):
    # given a rule on another event only
    notify_manager_rule(org)
    account = make_account(org.rep_a)
    # when an account is updated (no rule listens to account.updated)
    with django_capture_on_commit_callbacks(execute=True):
        customer_services.account_update(actor=org.rep_a, account=account, notes="hello")
    # then no task is enqueued
    assert enqueued == []


def test_the_emitting_request_only_enqueues_one_task(
    org, sent, enqueued, django_capture_on_commit_callbacks, django_assert_num_queries
):
    # given two rules listening to account.created
    notify_manager_rule(org)
    notify_manager_rule(org, name="second")
    engine.active_event_rules("account.created")  # parsed once per process
    # when an account is created
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        account = make_account(org.rep_a)
    with django_assert_num_queries(1):  # which rules are active; no record, no firing
        for callback in callbacks:
            callback()
    # then one task carries the event, with its id, and nothing fired in the request
    [(name, payload)] = enqueued
    assert name == "account.created"
    assert payload["id"] == account.pk and payload["event_id"]
    assert not RuleFiring.objects.exists() and sent == []


def test_an_event_without_an_id_gets_one_before_it_is_enqueued(org, enqueued):
    notify_manager_rule(org)
    tasks.on_event("account.created", {"id": 1})
    tasks.on_event("account.created", {"id": 1, "event_id": ""})
    ids = [payload["event_id"] for _, payload in enqueued]
    assert all(ids) and ids[0] != ids[1]


def test_a_failing_subscriber_does_not_stop_the_rule(org, sent, django_capture_on_commit_callbacks):
    def broken(name, payload):
        raise RuntimeError("boom")

    events.subscribe("*", broken)
    try:
        notify_manager_rule(org)
        with django_capture_on_commit_callbacks(execute=True):
            make_account(org.rep_a)
    finally:
        events.unsubscribe("*", broken)
    assert RuleFiring.objects.count() == 1


def test_a_failing_action_is_recorded_and_the_others_still_run(org, sent, monkeypatch):
    rule = notify_manager_rule(
        org,
        actions=[
            {"kind": "set_field", "field": "level", "value": "'Z'"},
            {"kind": "notify", "to": ["owner"], "title": "still sent"},
        ],
    )
    account = make_account(org.rep_a)
    engine.process_event("account.created", {"id": account.pk})
    firing = RuleFiring.objects.get(rule=rule)
    assert firing.status == "failed"
    assert firing.results[0]["ok"] is False and "Z" in firing.results[0]["error"]
    assert firing.results[1]["ok"] is True
    assert [i["title"] for i in sent] == ["still sent"]
    account.refresh_from_db()
    assert account.level == "C"


@pytest.mark.usefixtures("config_cache_on")
def test_with_caching_on_a_new_or_switched_off_rule_takes_effect_at_once(
    org, sent, django_capture_on_commit_callbacks, django_assert_num_queries
):
    # given the rules listening to account.created read once, then served from the cache
    assert engine.active_event_rules("account.created") == []
    with django_assert_num_queries(0):
        assert engine.active_event_rules("account.created") == []
    # when an admin adds a rule, then the next account fires it
    rule = notify_manager_rule(org)
    with django_capture_on_commit_callbacks(execute=True):
        make_account(org.rep_a, name="缓存测试一号")
    assert [i["title"] for i in sent] == ["New account 缓存测试一号 by Rep A"]
    # when the admin switches it off, then the next account fires nothing
    services.rule_set_active(actor=org.admin, rule=rule, active=False)
    with django_capture_on_commit_callbacks(execute=True):
        make_account(org.rep_a, name="缓存测试二号")
    assert len(sent) == 1 and RuleFiring.objects.count() == 1

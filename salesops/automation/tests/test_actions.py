"""Actions: who a notification reaches, message templates, setting a field (audited as
the rule), creating a task, and the registry that later issues extend."""

import pytest
from django.core.exceptions import ValidationError

from salesops.automation import actions, engine
from salesops.automation.models import RuleFiring
from salesops.core import events
from salesops.customers.models import Account
from salesops.customers.services import account_update
from salesops.customers.tests.factories import make_account
from salesops.org.models import User

from .conftest import make_rule

pytestmark = pytest.mark.django_db


def event_rule(org, action_list, **data):
    return make_rule(
        org.admin,
        trigger_type="event",
        trigger={"event": "account.created"},
        actions=action_list,
        **data,
    )


def fire_for(account):
    return engine.process_event("account.created", {"id": account.pk, "actor_id": account.owner_id})


@pytest.mark.parametrize(
    "target, expected",
    [
        ("owner", ["rep_c"]),
        ("manager", ["manager_sh"]),
        ("manager:1", ["manager_sh"]),
        ("manager:2", ["manager_east"]),
        ("manager:3", ["director"]),
        ("manager:4", []),
        ("role:finance", ["finance"]),
        ("role:manager", ["manager_east", "manager_sh", "manager_south"]),
    ],
)
def test_notify_targets(org, sent, target, expected):
    event_rule(org, [{"kind": "notify", "to": [target], "title": "t"}])
    fire_for(make_account(org.rep_c))
    usernames = dict(User.objects.values_list("pk", "username"))
    assert sorted(usernames[i["recipient_id"]] for i in sent) == expected


def test_named_users_and_duplicates_are_notified_once(org, sent):
    event_rule(
        org,
        [{"kind": "notify", "to": ["owner", f"user:{org.rep_c.pk}", "manager"], "title": "t"}],
    )
    fire_for(make_account(org.rep_c))
    assert [i["recipient_id"] for i in sent] == [org.rep_c.pk, org.manager_sh.pk]


def test_templates_fill_placeholders_and_never_evaluate(org, sent):
    event_rule(
        org,
        [
            {
                "kind": "notify",
                "to": ["owner"],
                "title": "{name} · {level} · {owner} · {rule} · {{literal}}",
                "message": "Created {created_at}; see {url}",
            }
        ],
        name="欢迎",
    )
    account = make_account(org.rep_c, name="模板客户", level="B")
    fire_for(account)
    assert sent[0]["title"] == "模板客户 · B · Rep C · 欢迎 · {literal}"
    assert (
        sent[0]["body"].startswith("Created 20") and account.get_absolute_url() in sent[0]["body"]
    )
    # rendering is by name lookup only, even for a template that bypassed validation
    assert actions.render_template("{name.__class__} {x[0]} {name}", {"name": "a"}) == "  a"


def test_set_field_saves_through_the_model_with_the_rule_as_reason(org, sent):
    rule = event_rule(org, [{"kind": "set_field", "field": "level", "value": "'A'"}])
    account = make_account(org.rep_a, level="C")
    fire_for(account)
    account.refresh_from_db()
    assert account.level == "A"
    latest = account.history.first()
    assert (latest.history_user, latest.history_change_reason, latest.level) == (
        None,
        f"rule {rule.pk}",
        "A",
    )
    result = RuleFiring.objects.get().results[0]
    assert (result["field"], result["before"], result["after"], result["ok"]) == (
        "level",
        "C",
        "A",
        True,
    )


def test_set_field_writes_through_the_service_history_and_updated_event(
    org, sent, django_capture_on_commit_callbacks
):
    # given a rule setting the level, and a subscriber of the account's events
    seen = []

    def record(name, payload):
        seen.append(payload)

    events.subscribe("account.updated", record)
    try:
        rule = event_rule(org, [{"kind": "set_field", "field": "level", "value": "'A'"}])
        account = make_account(org.rep_a, level="C")
        rows_before = account.history.count()
        # when it fires (the service's event goes out after the commit)
        with django_capture_on_commit_callbacks(execute=True):
            fire_for(account)
    finally:
        events.unsubscribe("account.updated", record)
    # then one history row was written, by the rule, and account.updated was emitted
    assert account.history.count() == rows_before + 1
    assert account.history.first().history_change_reason == f"rule {rule.pk}"
    assert [(p["id"], p["changed"]) for p in seen] == [(account.pk, ["level"])]


def test_set_field_refused_by_the_service_is_a_failed_action_that_writes_nothing(org, sent):
    # given a rule setting a credit code the service refuses (not a valid USCC)
    event_rule(org, [{"kind": "set_field", "field": "credit_code", "value": "'12345'"}])
    account = make_account(org.rep_a, credit_code="")
    rows_before = account.history.count()
    # when it fires
    fire_for(account)
    # then the action failed with the service's message, and nothing was written
    firing = RuleFiring.objects.get()
    result = firing.results[0]
    assert (firing.status, result["ok"]) == ("failed", False)
    assert result["error"]
    assert Account.objects.get(pk=account.pk).credit_code == ""
    assert account.history.count() == rows_before


def test_an_entity_without_a_writer_cannot_be_a_set_field_target(org):
    # activities have no update service: the rule is refused with a clear message
    with pytest.raises(ValidationError) as info:
        make_rule(
            org.admin,
            trigger_type="event",
            trigger={"event": "activity.logged"},
            actions=[{"kind": "set_field", "field": "kind", "value": "'call'"}],
        )
    message = info.value.message_dict["actions.0.field"][0]
    assert "Rules cannot set fields of Activity records" in message


def test_set_field_of_a_foreign_key_checks_the_target_exists(org, sent):
    event_rule(org, [{"kind": "set_field", "field": "owner_id", "value": "999999"}])
    account = make_account(org.rep_a)
    fire_for(account)
    result = RuleFiring.objects.get().results[0]
    assert result["ok"] is False
    assert Account.objects.get(pk=account.pk).owner_id == org.rep_a.pk


def test_the_registry_takes_new_actions(org, sent):
    calls = []

    def validate(config, vctx, errors):
        if not config.get("note"):
            errors["note"] = "needed"
        return {"kind": "log_it", "note": config.get("note", "")}

    def run(config, ctx):
        calls.append((config["note"], ctx.instance.pk, ctx.dry_run))
        return {"logged": config["note"]}

    actions.register("log_it", "Log it", validate, run, fields=({"name": "note"},))
    try:
        with pytest.raises(ValidationError) as info:
            event_rule(org, [{"kind": "log_it"}])
        assert info.value.message_dict == {"actions.0.note": ["needed"]}
        event_rule(org, [{"kind": "log_it", "note": "hello"}])
        account = make_account(org.rep_a)
        fire_for(account)
    finally:
        actions._registry.pop("log_it")
    assert calls == [("hello", account.pk, False)]
    assert RuleFiring.objects.get().results == [{"logged": "hello", "kind": "log_it", "ok": True}]


def test_a_condition_that_fails_at_run_time_is_recorded(org, sent):
    event_rule(
        org,
        [{"kind": "notify", "to": ["owner"], "title": "t"}],
        condition="int(notes) > 3",
    )
    fire_for(make_account(org.rep_a, notes="not a number"))
    firing = RuleFiring.objects.get()
    assert firing.status == "condition_error"
    assert "int" in firing.error or "invalid literal" in firing.error
    assert not sent


def _notes_rule(org, name, condition, value):
    return make_rule(
        org.admin,
        name=name,
        trigger_type="event",
        trigger={"event": "account.updated"},
        condition=condition,
        actions=[{"kind": "set_field", "field": "notes", "value": value}],
    )


def _edit_notes(org, account, notes, django_capture_on_commit_callbacks):
    # A person's edit; the events it and the rules' writes cause run in the (immediate)
    # worker after each commit, as they would in production.
    with django_capture_on_commit_callbacks(execute=True):
        account_update(actor=org.admin, account=account, notes=notes)


def test_a_rule_never_fires_on_the_event_its_own_write_caused(
    org, sent, django_capture_on_commit_callbacks
):
    # given a rule on account.updated that appends to the notes it is triggered by
    rule = _notes_rule(org, "append", "", "notes + '+'")
    account = make_account(org.rep_a, notes="")
    # when a person edits the account
    _edit_notes(org, account, "x", django_capture_on_commit_callbacks)
    # then it fired once: the event of its own write names it as the cause and is skipped
    assert RuleFiring.objects.filter(rule=rule).count() == 1
    assert Account.objects.get(pk=account.pk).notes == "x+"


def test_rules_triggering_each_other_stop_after_the_chain_limit(
    org, sent, django_capture_on_commit_callbacks
):
    # given a chain of rules, each moving the notes one step on
    rules = [
        _notes_rule(org, f"step {i}", f"notes == 'step {i}'", f"'step {i + 1}'") for i in range(7)
    ]
    account = make_account(org.rep_a, notes="")
    # when a person's edit starts the chain
    _edit_notes(org, account, "step 0", django_capture_on_commit_callbacks)
    # then MAX_RULE_CHAIN rules ran one after another, and the event the last one caused
    # was not acted on
    limit = engine.MAX_RULE_CHAIN
    fired = [RuleFiring.objects.filter(rule=rule).count() for rule in rules]
    assert fired == [1] * limit + [0] * (len(rules) - limit)
    assert Account.objects.get(pk=account.pk).notes == f"step {limit}"

"""The ``push_content`` rule action (SPEC N4) through the real engine: its settings
checked when the rule is saved, a run that pushes and notifies once per firing, the
script pack matched to the recipient's customers, and the dry run."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from salesops.automation import engine
from salesops.automation import services as automation_services
from salesops.customers.tests.factories import AccountFactory
from salesops.knowledge import push_selectors
from salesops.knowledge.models import Push
from salesops.notifications.models import Notification

from . import push_factories as pf

pytestmark = pytest.mark.django_db


def push_rule(admin, action, *, event="account.created", condition=""):
    return automation_services.rule_create(
        actor=admin,
        name="push test",
        trigger_type="event",
        trigger={"event": event},
        condition=condition,
        actions=[{"kind": "push_content", **action}],
    )


def errors_of(exc) -> dict:
    return {k: " ".join(v) for k, v in exc.value.message_dict.items()}


# --- validation ---------------------------------------------------------------------------
def test_an_unknown_item_is_refused_when_the_rule_is_saved(org):
    with pytest.raises(ValidationError) as exc:
        push_rule(org.admin, {"item": 999999, "to": ["owner"]})
    assert "No knowledge item #999999" in errors_of(exc)["actions.0.item"]


def test_an_inactive_item_is_refused(org):
    gone = pf.item(is_active=False, title="旧课程")
    with pytest.raises(ValidationError) as exc:
        push_rule(org.admin, {"item": gone.pk})
    assert "旧课程" in errors_of(exc)["actions.0.item"]


@pytest.mark.parametrize(
    ("action", "field", "words"),
    [
        ({}, "item", "Choose the knowledge item"),
        ({"item": "abc"}, "item", "whole number"),
        ({"pack": "videos"}, "pack", "Unknown pack"),
        ({"pack": "scripts", "pack_size": 50}, "pack_size", "between 1 and 10"),
        ({"pack": "scripts", "pack_tag": "nope"}, "pack_tag", "No knowledge tag"),
        ({"pack": "scripts", "to": ["boss"]}, "to", "Unknown recipient"),
        ({"pack": "scripts", "to": ["role:king"]}, "to", "unknown role"),
        ({"pack": "scripts", "reason": "hi {nope}"}, "reason", "Unknown placeholder"),
    ],
)
def test_bad_settings_name_the_setting(org, action, field, words):
    with pytest.raises(ValidationError) as exc:
        push_rule(org.admin, action)
    assert words in errors_of(exc)[f"actions.0.{field}"]


def test_item_and_pack_together_are_refused(org):
    course = pf.item()
    with pytest.raises(ValidationError) as exc:
        push_rule(org.admin, {"item": course.pk, "pack": "scripts"})
    assert "not both" in errors_of(exc)["actions.0.pack"]


# --- running ------------------------------------------------------------------------------
def test_pushes_the_item_to_the_owner_and_notifies_once_per_firing(org):
    course = pf.item(title="报价策略微课")
    push_rule(
        org.admin,
        {"item": course.pk, "to": ["owner"], "requires_note": "yes", "reason": "为 {name} 学习"},
    )
    account = AccountFactory(owner=org.rep_a, name="杭州云帆智能科技有限公司")
    payload = {"id": account.pk, "event_id": "e-1"}
    (firing,) = engine.process_event("account.created", payload)
    assert firing.status == "done", firing.results
    push = Push.objects.get()
    assert (push.user, push.item, push.requires_note) == (org.rep_a, course, True)
    assert push.delivered_at is not None and push.read_at is None
    assert push.reason == "为 杭州云帆智能科技有限公司 学习"
    assert push.firing_id == firing.pk
    note = Notification.objects.get(recipient=org.rep_a, kind="knowledge.push")
    assert "报价策略微课" in note.title
    assert note.link == f"/knowledge/pushes/{push.pk}/"
    # The same event again: the firing exists, nothing more is pushed or sent.
    assert engine.process_event("account.created", payload) == []
    assert Push.objects.count() == 1
    assert Notification.objects.filter(kind="knowledge.push").count() == 1


def test_a_rerun_of_the_same_occurrence_pushes_nothing_new(org):
    """Idempotent per (item, user, key): delivering again returns the push, unchanged."""
    course = pf.item()
    first = pf.push(org.rep_a, item=course, key="k1")
    again = pf.push(org.rep_a, item=course, key="k1")
    assert first.pk == again.pk
    assert Push.objects.count() == 1
    assert pf.push(org.rep_a, item=course, key="k2").pk != first.pk


def test_a_role_gets_one_push_each(org):
    course = pf.item()
    push_rule(org.admin, {"item": course.pk, "to": ["role:manager"]})
    account = AccountFactory(owner=org.rep_a)
    engine.process_event("account.created", {"id": account.pk, "event_id": "e-2"})
    managers = {org.manager_east.pk, org.manager_sh.pk, org.manager_south.pk}
    assert set(Push.objects.values_list("user_id", flat=True)) == managers


def test_the_pack_matches_the_recipients_customer_types(org):
    AccountFactory(owner=org.rep_a, industry="manufacturing")
    AccountFactory(owner=org.rep_a, industry="manufacturing")
    AccountFactory(owner=org.rep_a, industry="retail")
    factory_script = pf.script(["manufacturing"], title="制造业话术")
    retail_script = pf.script(["retail"], title="零售话术")
    general = pf.script([], title="通用话术")
    pf.script(["finance"], title="金融话术")  # none of rep_a's customers
    pf.item(title="不是话术")  # a course, never in a script pack
    assert push_selectors.customer_types(org.rep_a) == ["manufacturing", "retail"]
    assert push_selectors.pack_for(org.rep_a, 3) == [
        factory_script.pk,
        retail_script.pk,
        general.pk,
    ]
    assert push_selectors.pack_for(org.rep_a, 1) == [factory_script.pk]

    push_rule(org.admin, {"pack": "scripts", "pack_size": 2, "to": ["owner"]})
    account = AccountFactory(owner=org.rep_a, industry="retail")
    (firing,) = engine.process_event("account.created", {"id": account.pk, "event_id": "e-3"})
    assert firing.results[0]["created"] == 2
    pushed = set(Push.objects.filter(user=org.rep_a).values_list("item__title", flat=True))
    assert pushed == {"制造业话术", "零售话术"}


def test_dry_run_says_what_it_would_push_and_writes_nothing(org):
    course = pf.item(title="价格微课")
    rule = push_rule(org.admin, {"item": course.pk, "to": ["owner"]})
    account = AccountFactory(owner=org.rep_a)
    answer = automation_services.rule_preview(actor=org.admin, rule=rule, object_id=account.pk)
    (result,) = answer["actions"]
    assert result["ok"] is True
    assert "Would push “价格微课” to Rep A" in result["would"]
    assert not Push.objects.exists()
    assert not Notification.objects.filter(kind="knowledge.push").exists()


def test_an_item_deactivated_after_the_rule_was_saved_fails_the_firing(org):
    course = pf.item()
    push_rule(org.admin, {"item": course.pk})
    course.is_active = False
    course.save()
    account = AccountFactory(owner=org.rep_a)
    (firing,) = engine.process_event("account.created", {"id": account.pk, "event_id": "e-4"})
    assert firing.status == "failed"
    assert "no longer exists or is inactive" in firing.results[0]["error"]
    assert not Push.objects.exists()


# --- the rule builder ---------------------------------------------------------------------
def test_the_builder_saves_a_push_and_names_an_unknown_item(org, client):
    import json

    from django.urls import reverse

    from salesops.automation.models import Rule

    course = pf.item(title="报价策略微课")
    client.force_login(org.admin)
    data = {
        "name": "价格敏感推送",
        "description": "",
        "trigger_type": "event",
        "entity": "",
        "event": "activity.logged",
        "condition": "same_tag_streak == 5",
        "actions": json.dumps(
            [{"kind": "push_content", "item": "999999", "to": ["owner"], "requires_note": "yes"}]
        ),
    }
    r = client.post(reverse("automation:rule_create"), data)
    assert r.status_code in (200, 400) and "No knowledge item #999999" in r.content.decode()
    assert not Rule.objects.filter(name="价格敏感推送").exists()
    data["actions"] = json.dumps(
        [{"kind": "push_content", "item": str(course.pk), "to": ["owner"], "requires_note": "yes"}]
    )
    r = client.post(reverse("automation:rule_create"), data)
    assert r.status_code == 302, r.content.decode()[:2000]
    rule = Rule.objects.get(name="价格敏感推送")
    (action,) = rule.current_version.actions
    assert (action["item"], action["requires_note"], action["to"]) == (course.pk, True, ["owner"])
    assert client.get(reverse("automation:rule_edit", args=[rule.pk])).status_code == 200

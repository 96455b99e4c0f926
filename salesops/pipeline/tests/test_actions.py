"""The pipeline's rule actions (issue 14, item 10): reassign, move to stage and approve
a stage change, through the real engine (``engine.process_event``, what the worker runs
for an event) and the real services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from salesops.automation import engine
from salesops.automation import services as automation_services
from salesops.automation.forms import builder_catalogue
from salesops.leads.models import Assignment, Lead
from salesops.leads.tests.factories import LeadFactory, make_rule
from salesops.pipeline import services, stages
from salesops.pipeline.defaults import rules as default_rules
from salesops.pipeline.models import ChangeState, Deal, StageChange

from .factories import make_deal, stage

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% proposal\n"


def rule(admin, event, actions, condition="", entity=""):
    return automation_services.rule_create(
        actor=admin,
        name=f"test {event}",
        trigger_type="event",
        trigger={"event": event},
        entity=entity,
        condition=condition,
        actions=actions,
    )


def fire(event, record, **payload):
    return engine.process_event(event, {"id": record.pk, "event_id": f"t-{record.pk}", **payload})


# --- reassign -----------------------------------------------------------------------------
def test_reassign_a_deal_to_a_person(org, pipeline):
    r = rule(
        org.admin,
        "deal.created",
        [{"kind": "reassign", "mode": "person", "person": f"user:{org.rep_b.pk}"}],
    )
    deal = make_deal(owner=org.rep_a)
    (firing,) = fire("deal.created", deal)
    assert firing.status == "done", firing.results
    assert firing.results[0]["after"] == org.rep_b.pk
    deal = Deal.objects.get(pk=deal.pk)
    assert deal.owner == org.rep_b
    assert deal.history.first().history_user is None  # no person did it
    assert r.pk


def test_reassign_a_deal_to_the_owners_manager(org, pipeline):
    rule(org.admin, "deal.created", [{"kind": "reassign", "mode": "person", "person": "manager"}])
    deal = make_deal(owner=org.rep_c)
    fire("deal.created", deal)
    assert Deal.objects.get(pk=deal.pk).owner == org.manager_sh


def test_reassign_a_deal_by_routing_rule_picks_the_rep_with_fewest_open_deals(org, pipeline):
    routing_rule = make_rule(members=[{"user_id": org.rep_a.pk}, {"user_id": org.rep_b.pk}])
    make_deal(owner=org.rep_a)
    rule(
        org.admin,
        "deal.created",
        [{"kind": "reassign", "mode": "routing", "routing_rule": routing_rule.pk}],
        condition=f"owner_id == {org.rep_c.pk}",
    )
    deal = make_deal(owner=org.rep_c)
    (firing,) = fire("deal.created", deal)
    assert firing.status == "done", firing.results
    assert Deal.objects.get(pk=deal.pk).owner == org.rep_b


def test_reassign_a_lead_to_the_pool_and_by_routing(org):
    lead = LeadFactory(owner=org.rep_a)
    assert lead.owner == org.rep_a
    pool = rule(org.admin, "lead.updated", [{"kind": "reassign", "mode": "pool"}])
    fire("lead.updated", lead, changed=["need"])
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.owner is None
    assert Assignment.objects.filter(lead=lead, owner=None, actor=None, strategy="rule").exists()
    automation_services.rule_set_active(actor=org.admin, rule=pool, active=False)

    routing_rule = make_rule(members=[{"user_id": org.rep_d.pk}])
    rule(
        org.admin,
        "lead.first_contact",
        [{"kind": "reassign", "mode": "routing", "routing_rule": routing_rule.pk}],
    )
    (firing,) = engine.process_event("lead.first_contact", {"id": lead.pk, "event_id": "fc"})
    assert firing.status == "done", firing.results
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.owner == org.rep_d
    last = Assignment.objects.filter(lead=lead).order_by("-pk").first()
    assert (last.rule_id, last.owner) == (routing_rule.pk, org.rep_d)


def test_reassign_settings_are_checked_when_the_rule_is_saved(org, pipeline):
    cases = [
        ("deal.created", {"mode": "pool"}, "actions.0.mode", "pool is for leads"),
        ("deal.created", {"mode": "person", "person": "owner"}, "actions.0.person", "manager"),
        ("deal.created", {"mode": "person", "person": "user:99999"}, "actions.0.person", "99999"),
        ("deal.created", {"mode": "routing"}, "actions.0.routing_rule", "routing rule"),
        (
            "deal.created",
            {"mode": "routing", "routing_rule": 424242},
            "actions.0.routing_rule",
            "424242",
        ),
        ("deal.created", {"mode": "teleport"}, "actions.0.mode", "pool"),
        ("task.created", {"mode": "pool"}, "actions.0.kind", "leads or deals"),
    ]
    for event, settings, key, words in cases:
        with pytest.raises(ValidationError) as exc:
            rule(org.admin, event, [{"kind": "reassign", **settings}])
        errors = exc.value.message_dict
        assert key in errors, (settings, errors)
        assert words in " ".join(errors[key]), (settings, errors[key])


# --- move to stage ------------------------------------------------------------------------
def test_move_to_stage_applies_a_move_whose_criteria_are_met(org, pipeline):
    rule(org.admin, "deal.created", [{"kind": "move_to_stage", "stage": "needs"}])
    deal = make_deal(owner=org.rep_a)
    (firing,) = fire("deal.created", deal)
    assert firing.status == "done", firing.results
    deal = Deal.objects.get(pk=deal.pk)
    assert deal.stage.code == "needs"
    change = StageChange.objects.filter(deal=deal, state=ChangeState.APPLIED).first()
    assert change.to_stage.code == "needs" and change.requested_by is None


def test_move_to_stage_fails_when_exit_criteria_are_unmet_and_writes_nothing(org, pipeline):
    rule(org.admin, "deal.created", [{"kind": "move_to_stage", "stage": "demo"}])
    deal = make_deal(owner=org.rep_a)
    (firing,) = fire("deal.created", deal)
    assert firing.status == "failed"
    result = firing.results[0]
    assert result["ok"] is False
    assert "Exit criteria not met" in result["error"]
    assert "need confirmed" in result["error"]
    deal = Deal.objects.get(pk=deal.pk)
    assert deal.stage.code == "contact"
    assert StageChange.objects.filter(deal=deal).count() == 1  # only its "created" row


def test_move_to_stage_checks_the_stage_code_when_saved(org, pipeline):
    with pytest.raises(ValidationError) as exc:
        rule(org.admin, "deal.created", [{"kind": "move_to_stage", "stage": "nirvana"}])
    assert "nirvana" in " ".join(exc.value.message_dict["actions.0.stage"])
    with pytest.raises(ValidationError) as exc:
        rule(org.admin, "lead.created", [{"kind": "move_to_stage", "stage": "needs"}])
    assert "actions.0.kind" in exc.value.message_dict


# --- approve stage change / the default auto-approval rule ---------------------------------
def ready_for_demo(deal_owner, amount):
    deal = make_deal(
        owner=deal_owner, stage_code="proposal", amount=Decimal(amount), expected_close_date=None
    )
    deal = services.deal_update(actor=deal_owner, deal=deal, expected_close_date="2026-12-31")
    return stages.request_stage_change(
        actor=deal_owner,
        deal=deal,
        to_stage=stage("demo"),
        uploads=[("proposal", SimpleUploadedFile("p.pdf", PDF, content_type="application/pdf"))],
    )


def test_the_default_auto_approval_rule_approves_small_deals_only(org, pipeline):
    (auto,) = default_rules.install_rules("en", codes={default_rules.AUTO_APPROVE_RULE})
    assert not auto.is_active  # off until an admin switches it on
    automation_services.rule_set_active(actor=org.admin, rule=auto, active=True)

    small = ready_for_demo(org.rep_a, "20000")
    big = ready_for_demo(org.rep_b, "200000")
    assert small.state == big.state == ChangeState.PENDING
    for change in (small, big):
        engine.process_event(
            "deal.stage_change_requested",
            {"id": change.deal_id, "change_id": change.pk, "event_id": f"r{change.pk}"},
        )
    small.refresh_from_db()
    big.refresh_from_db()
    assert small.state == ChangeState.APPLIED
    assert small.decided_by_rule == auto.pk and small.decided_by is None
    assert Deal.objects.get(pk=small.deal_id).stage.code == "demo"
    assert big.state == ChangeState.PENDING
    assert Deal.objects.get(pk=big.deal_id).stage.code == "proposal"


def test_approving_when_nothing_waits_is_a_skip(org, pipeline):
    rule(org.admin, "deal.created", [{"kind": "approve_stage_change"}])
    deal = make_deal(owner=org.rep_a)
    (firing,) = fire("deal.created", deal)
    assert firing.status == "done"
    assert "skipped" in firing.results[0]


# --- the rule builder ---------------------------------------------------------------------
def test_the_builder_offers_the_actions_with_their_settings_worded(org, pipeline):
    catalogue = {a["kind"]: a for a in builder_catalogue()["actions"]}
    assert {"reassign", "move_to_stage", "approve_stage_change"} <= set(catalogue)
    reassign = {f["name"]: f for f in catalogue["reassign"]["fields"]}
    assert reassign["mode"]["label"] == "Give it to"
    assert reassign["mode"]["choice_labels"]["pool"] == "The team's pool (leads)"
    assert reassign["person"]["type"] == "target"
    events = {e["name"] for e in builder_catalogue()["events"]}
    assert {"deal.created", "deal.updated", "deal.stage_changed"} <= events
    deal_fields = {f["name"] for f in builder_catalogue()["record_fields"]["deal"]}
    assert {"amount", "stage", "stall_due_at", "owner_id"} <= deal_fields
    # What the stall alert's words use, offered too.
    assert {"stage_name", "stage_next_actions", "days_in_stage"} <= deal_fields

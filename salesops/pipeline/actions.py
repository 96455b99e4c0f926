"""Rule actions of the pipeline (issue 14, item 10), registered in the automation
engine's action registry (this app imports automation, never the other way round):

* ``reassign`` — a lead or a deal to a person (or the owner's manager), a lead back to
  its team's pool, or by a routing rule: a lead through lead routing (every rule in
  priority order, or the one named), within the daily caps; a deal to the named routing
  rule's rep (active, not on leave) with the fewest open deals (lead caps count leads,
  not deals).
* ``move_to_stage`` — a deal to a stage of its pipeline by code, through the same
  stage-change service as a person's move: unmet exit criteria make the action fail
  (recorded on the firing, nothing written), a stage that needs approval leaves the
  request waiting for the manager, backward and lost moves need the reason.
* ``approve_stage_change`` — approve the deal's waiting stage change by rule
  (``stages.approve_by_rule``): the rule behind D2's auto-approval.

Each has ``validate`` (when the rule is saved) and ``run`` (when it fires; with
``ctx.dry_run`` it only says what it would do).
"""

from __future__ import annotations

import dataclasses

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesops.automation.actions import ActionContext, ValidationContext, check_text, register
from salesops.core import choices, clock, entities
from salesops.leads import placement, routing
from salesops.leads.models import Lead, RoutingRule
from salesops.org.models import Role, User
from salesops.org.selectors import manager_chain

from . import services, stages
from .models import ChangeState, Deal, DealStatus, Stage, StageChange

REASSIGN_ENTITIES = ("lead", "deal")
MODES = ("person", "pool", "routing")
SELLING_ROLES = (Role.REP, Role.MANAGER, Role.DIRECTOR)


def _messages(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc)


# --- reassign -----------------------------------------------------------------------------
def _person_problem(person: str) -> str | None:
    kind, _sep, arg = person.partition(":")
    if kind == "manager":
        if not arg or (arg.isdigit() and 1 <= int(arg) <= 10):
            return None
        return _("“%(target)s”: the number of levels up must be 1–10.") % {"target": person}
    if kind == "user":
        if (
            arg.isdigit()
            and User.objects.filter(pk=int(arg), is_active=True, role__in=SELLING_ROLES).exists()
        ):
            return None
        return _("“%(target)s”: no active sales rep, manager or director with this id.") % {
            "target": person
        }
    return _(
        "Choose who gets the record: the owner's manager (manager, manager:N) or a person "
        "(user:<id>)."
    )


def validate_reassign(config: dict, vctx: ValidationContext, errors: dict) -> dict:
    if vctx.entity_key not in REASSIGN_ENTITIES:
        errors["kind"] = _("Reassigning works on rules about leads or deals.")
    mode = str(config.get("mode") or "person").strip()
    person = str(config.get("person") or "").strip()
    rule_id = config.get("routing_rule")
    if mode not in MODES:
        errors["mode"] = _("Choose a person, the pool or a routing rule.")
    elif mode == "person":
        problem = _person_problem(person)
        if problem:
            errors["person"] = problem
    elif mode == "pool" and vctx.entity_key == "deal":
        errors["mode"] = _(
            "A deal always has an owner: the pool is for leads. Choose a person or a routing rule."
        )
    if rule_id in ("", None):
        rule_id = None
        if mode == "routing" and vctx.entity_key == "deal":
            errors["routing_rule"] = _("For a deal, enter the number of the routing rule to use.")
    else:
        try:
            rule_id = int(rule_id)
        except (TypeError, ValueError):
            errors["routing_rule"] = _(
                "Enter the routing rule's number (Settings · Routing rules)."
            )
            rule_id = None
        else:
            if not RoutingRule.objects.filter(pk=rule_id).exists():
                errors["routing_rule"] = _("No routing rule #%(id)s.") % {"id": rule_id}
    return {
        "kind": "reassign",
        "mode": mode,
        "person": person if mode == "person" else "",
        "routing_rule": rule_id if mode == "routing" else None,
        "reason": check_text(config, "reason", vctx, errors, required=False),
    }


def _person(ctx: ActionContext, person: str):
    kind, _sep, arg = person.partition(":")
    if kind == "user":
        return User.objects.filter(pk=int(arg), is_active=True).first()
    owner = ctx.owner
    if owner is None:
        return None
    chain = manager_chain(owner)
    levels = int(arg or 1)
    return chain[levels - 1] if len(chain) >= levels else None


def _deal_routing_pick(rule: RoutingRule):
    """The routing rule's rep (active, not on leave today) with the fewest open deals."""
    snapshot = routing.current_snapshot()
    spec = next((s for s in snapshot.rules if s.id == rule.pk), None)
    members = [u for u in (spec.members if spec else []) if u in snapshot.eligible]
    if not members:
        return None
    loads = dict(
        User.objects.filter(pk__in=members)
        .annotate(n=Count("deals", filter=Q(deals__status=DealStatus.OPEN)))
        .values_list("pk", "n")
    )
    return User.objects.get(pk=min(members, key=lambda u: (loads.get(u, 0), u)))


def _lead_routing(lead: Lead, rule_id: int | None):
    """Route ``lead`` again (all rules, or only ``rule_id``) and take the slot: the
    decision and the chosen user id (None when nobody is free)."""
    snapshot, counts = routing.prepare_counts()
    if rule_id is not None:
        snapshot = dataclasses.replace(
            snapshot, rules=[s for s in snapshot.rules if s.id == rule_id]
        )
    decision = routing.plan(entities.get("lead").variables(lead), (snapshot, counts))
    return decision, routing.assign(decision)


def run_reassign(config: dict, ctx: ActionContext) -> dict:
    record = ctx.instance
    reason = ctx.render(config.get("reason") or "") or _("Reassigned by rule “%(rule)s”.") % {
        "rule": ctx.rule.name
    }
    mode = config["mode"]
    result: dict = {"mode": mode, "before": getattr(record, "owner_id", None)}
    if record is None:
        return {**result, "ok": False, "error": _("No record to reassign.")}
    owner = None
    routing_rule = None
    if mode == "person":
        owner = _person(ctx, config["person"])
        if owner is None:
            return {**result, "ok": False, "error": _("Nobody to give it to (no such manager).")}
    elif mode == "routing":
        routing_rule = (
            RoutingRule.objects.filter(pk=config["routing_rule"]).first()
            if config.get("routing_rule")
            else None
        )
        if config.get("routing_rule") and routing_rule is None:
            return {**result, "ok": False, "error": _("The routing rule no longer exists.")}
    if ctx.dry_run:
        if mode == "pool":
            result["would"] = _("Put the lead back in its team's pool")
        elif mode == "routing":
            result["would"] = _("Reassign by routing rule %(rule)s") % {
                "rule": routing_rule.name if routing_rule else _("(all, in priority order)")
            }
        else:
            result["would"] = _("Reassign to %(who)s") % {"who": owner.label}
        return result
    try:
        if isinstance(record, Deal):
            if mode == "routing":
                owner = _deal_routing_pick(routing_rule)
                if owner is None:
                    return {
                        **result,
                        "ok": False,
                        "error": _("Routing rule “%(rule)s” has no rep at work today.")
                        % {"rule": routing_rule.name},
                    }
            deal = services.deal_update(actor=None, deal=record, owner=owner)
            result["after"] = deal.owner_id
        else:
            slot_taken = False
            strategy = "rule"
            if mode == "routing":
                decision, owner_id = _lead_routing(record, config.get("routing_rule"))
                if owner_id is None:
                    return {**result, "ok": False, "error": decision.reason}
                owner, slot_taken, strategy = decision.owner(owner_id), True, decision.strategy
                routing_rule = RoutingRule.objects.filter(pk=decision.rule.id).first()
                result["routing"] = decision.reason
            lead = placement.lead_reassign_by_rule(
                lead=record,
                owner=owner,
                reason=reason,
                strategy=strategy,
                routing_rule_id=getattr(routing_rule, "pk", None),
                routing_rule_name=getattr(routing_rule, "name", ""),
                slot_taken=slot_taken,
            )
            result["after"] = lead.owner_id
    except (ValidationError, PermissionDenied) as exc:
        return {**result, "ok": False, "error": _messages(exc)}
    return result


# --- move to stage ------------------------------------------------------------------------
def validate_move_to_stage(config: dict, vctx: ValidationContext, errors: dict) -> dict:
    if vctx.entity_key != "deal":
        errors["kind"] = _("Moving to a stage works on rules about deals.")
    code = str(config.get("stage") or "").strip()
    known = sorted(set(Stage.objects.values_list("code", flat=True)))
    if not code:
        errors["stage"] = _("Enter the code of the stage, e.g. %(example)s.") % {
            "example": known[0] if known else "proposal"
        }
    elif code not in known:
        errors["stage"] = _("No pipeline has a stage “%(code)s”. Known: %(choices)s.") % {
            "code": code,
            "choices": ", ".join(known),
        }
    lost_reason = str(config.get("lost_reason") or "").strip()
    if lost_reason and lost_reason not in choices.active_codes(choices.DEAL_LOST_REASON):
        errors["lost_reason"] = _("Use a code of the list “Lost reason”: %(codes)s.") % {
            "codes": ", ".join(choices.active_codes(choices.DEAL_LOST_REASON))
        }
    return {
        "kind": "move_to_stage",
        "stage": code,
        "reason": check_text(config, "reason", vctx, errors, required=False),
        "lost_reason": lost_reason,
    }


def run_move_to_stage(config: dict, ctx: ActionContext) -> dict:
    deal = ctx.instance
    if not isinstance(deal, Deal):
        return {"ok": False, "error": _("Moving to a stage works on deals only.")}
    target = Stage.objects.filter(pipeline_id=deal.pipeline_id, code=config["stage"]).first()
    result: dict = {"from": getattr(deal.stage, "code", ""), "to": config["stage"]}
    if target is None:
        return {
            **result,
            "ok": False,
            "error": _("The deal's pipeline has no stage “%(code)s”.") % {"code": config["stage"]},
        }
    reason = ctx.render(config.get("reason") or "") or _("Moved by rule “%(rule)s”.") % {
        "rule": ctx.rule.name
    }
    if ctx.dry_run:
        missing = []
        if target.order > deal.stage.order and target.is_open:
            missing = [m["message"] for m in stages.unmet_for_move(deal, target)]
        result["would"] = _("Move the deal to “%(stage)s”") % {"stage": target.name}
        if missing:
            result["would"] += " — " + _("refused now: %(missing)s") % {
                "missing": "; ".join(missing)
            }
        return result
    try:
        change = stages.request_stage_change(
            actor=None,
            deal=deal,
            to_stage=target,
            reason=reason,
            lost_reason=config.get("lost_reason") or "",
        )
    except stages.CriteriaUnmet as exc:
        return {
            **result,
            "ok": False,
            "error": _("Exit criteria not met: %(missing)s")
            % {"missing": "; ".join(m["message"] for m in exc.missing)},
        }
    except (ValidationError, PermissionDenied) as exc:
        return {**result, "ok": False, "error": _messages(exc)}
    result["change_id"] = change.pk
    result["state"] = change.state
    return result


# --- approve stage change -----------------------------------------------------------------
def validate_approve(config: dict, vctx: ValidationContext, errors: dict) -> dict:
    if vctx.entity_key != "deal":
        errors["kind"] = _("Approving a stage change works on rules about deals.")
    return {"kind": "approve_stage_change"}


def run_approve(config: dict, ctx: ActionContext) -> dict:
    deal = ctx.instance
    if not isinstance(deal, Deal):
        return {"ok": False, "error": _("Approving works on deals only.")}
    change = (
        StageChange.objects.filter(deal=deal, state=ChangeState.PENDING)
        .select_related("to_stage")
        .first()
    )
    if change is None:
        return {"skipped": _("No stage change of this deal is waiting for approval.")}
    result = {"change_id": change.pk, "to": change.to_stage.code}
    if ctx.dry_run:
        result["would"] = _("Approve the move to “%(stage)s”") % {"stage": change.to_stage.name}
        return result
    try:
        stages.approve_by_rule(change=change, rule_id=ctx.rule.pk)
    except stages.AlreadyDecided as exc:
        return {**result, "skipped": _messages(exc)}
    except (ValidationError, PermissionDenied) as exc:
        return {**result, "ok": False, "error": _messages(exc)}
    result["approved_at"] = clock.now().isoformat()
    return result


TEMPLATE_HELP = gettext_lazy("Text with {name} placeholders from the record's fields.")


def register_all() -> None:
    register(
        "reassign",
        gettext_lazy("Reassign"),
        validate_reassign,
        run_reassign,
        fields=(
            {
                "name": "mode",
                "type": "choice",
                "required": True,
                "choices": list(MODES),
                "label": gettext_lazy("Give it to"),
                "choice_labels": {
                    "person": gettext_lazy("A person or the owner's manager"),
                    "pool": gettext_lazy("The team's pool (leads)"),
                    "routing": gettext_lazy("A routing rule"),
                },
                "help": "",
            },
            {
                "name": "person",
                "type": "target",
                "required": False,
                "label": gettext_lazy("Person"),
                "help": gettext_lazy("manager, manager:N or user:<id> (when giving to a person)"),
            },
            {
                "name": "routing_rule",
                "type": "integer",
                "required": False,
                "label": gettext_lazy("Routing rule number"),
                "help": gettext_lazy(
                    "Settings · Routing rules. Empty for a lead: every rule in priority order."
                ),
            },
            {
                "name": "reason",
                "type": "template",
                "required": False,
                "label": gettext_lazy("Reason"),
                "help": TEMPLATE_HELP,
            },
        ),
    )
    register(
        "move_to_stage",
        gettext_lazy("Move the deal to a stage"),
        validate_move_to_stage,
        run_move_to_stage,
        fields=(
            {
                "name": "stage",
                "type": "text",
                "required": True,
                "label": gettext_lazy("Stage code"),
                "help": gettext_lazy(
                    "The stage's code (Settings · Pipelines), e.g. proposal. Exit criteria "
                    "and approval apply as for a person's move."
                ),
            },
            {
                "name": "reason",
                "type": "template",
                "required": False,
                "label": gettext_lazy("Reason"),
                "help": TEMPLATE_HELP,
            },
            {
                "name": "lost_reason",
                "type": "text",
                "required": False,
                "label": gettext_lazy("Lost reason code"),
                "help": gettext_lazy("Only when moving to lost."),
            },
        ),
    )
    register(
        "approve_stage_change",
        gettext_lazy("Approve the deal's waiting stage change"),
        validate_approve,
        run_approve,
        fields=(),
    )

"""Every write to automation rules: validation, versions, audit, and the preview.

Only sales-ops admins and directors manage rules (``actor=None`` is the system, e.g. a
seed of default rules). Editing what a rule does (trigger, condition, actions) adds a
:class:`RuleVersion`; name and description are the rule's own and are audited by history.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from salesops.core import clock, entities
from salesops.core.expressions import ExpressionError, compile_expression
from salesops.core.history import save_with_history
from salesops.org.models import Role

from . import actions, builtin_actions, context, engine, fields, triggers
from .models import Rule, RuleVersion, RuleWatermark, TriggerType

RULE_FIELDS = ("name", "description", "code")
DEFINITION_FIELDS = ("trigger_type", "entity", "trigger", "condition", "actions")
MAX_ACTIONS = 20


def can_manage_rules(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and (user.is_superuser or user.role in (Role.ADMIN, Role.DIRECTOR))
    )


def require_manager(actor) -> None:
    if actor is not None and not can_manage_rules(actor):
        raise PermissionDenied(
            _("Only sales-ops admins and directors can manage automation rules.")
        )


def clean_definition(
    *, trigger_type, entity="", trigger=None, condition="", actions_list=None, errors: dict
) -> dict:
    """Check a rule's trigger, condition and actions; every problem goes into ``errors``
    keyed by its field (``condition``, ``trigger.cron``, ``actions.0.url`` …)."""
    entity_key, clean_trigger = triggers.clean_trigger(trigger_type, entity, trigger or {}, errors)
    definition = {
        "trigger_type": trigger_type,
        "entity": entity_key,
        "trigger": clean_trigger,
        "condition": (condition or "").strip(),
        "actions": [],
    }
    if "trigger_type" in errors or "entity" in errors:
        return definition
    names = triggers.condition_names(trigger_type, entity_key, clean_trigger)
    if definition["condition"]:
        try:
            expression = compile_expression(definition["condition"], names)
        except ExpressionError as exc:
            errors["condition"] = triggers.expression_error(exc)
        else:
            problems = fields.enum_problems(
                expression.tree, fields.condition_fields(trigger_type, entity_key, clean_trigger)
            )
            if problems:
                errors["condition"] = " ".join(problems)
    vctx = actions.ValidationContext(
        trigger_type=trigger_type,
        entity_key="" if triggers.is_deletion(trigger_type, clean_trigger) else entity_key,
        variable_names=names,
    )
    if not isinstance(actions_list, list) or not actions_list:
        errors["actions"] = _("Add at least one action.")
        return definition
    if len(actions_list) > MAX_ACTIONS:
        errors["actions"] = _("At most %(n)d actions per rule.") % {"n": MAX_ACTIONS}
        return definition
    known = ", ".join(a.kind for a in actions.all_actions())
    for index, config in enumerate(actions_list):
        prefix = f"actions.{index}"
        if not isinstance(config, dict):
            errors[prefix] = _("Each action is an object with a “kind”.")
            continue
        action = actions.get(config.get("kind"))
        if action is None:
            errors[f"{prefix}.kind"] = _("Unknown action “%(kind)s”. Available: %(choices)s.") % {
                "kind": config.get("kind"),
                "choices": known,
            }
            continue
        problems: dict = {}
        definition["actions"].append(action.validate(config, vctx, problems))
        for key, message in problems.items():
            errors[f"{prefix}.{key}"] = message
    return definition


def _clean_rule_fields(rule: Rule, data: dict, errors: dict) -> None:
    for key in RULE_FIELDS:
        if key in data:
            value = data[key]
            setattr(rule, key, value.strip() if isinstance(value, str) else value)
    if not rule.name:
        errors["name"] = _("Give the rule a name.")
    try:
        rule.full_clean(
            exclude=["current_version", "trigger_type", "entity", "event", "webhook_secret"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, messages[0])
    if rule.code and Rule.objects.filter(code=rule.code).exclude(pk=rule.pk).exists():
        errors["code"] = _("Another rule already uses this code.")


def _mirror(rule: Rule, definition: dict) -> None:
    rule.trigger_type = definition["trigger_type"]
    rule.entity = definition["entity"]
    rule.event = definition["trigger"].get("event", "") if rule.trigger_type == "event" else ""


def _add_version(rule: Rule, definition: dict, actor) -> RuleVersion:
    number = (rule.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = RuleVersion(
        rule=rule,
        number=number,
        trigger_type=definition["trigger_type"],
        entity=definition["entity"],
        trigger=definition["trigger"],
        condition=definition["condition"],
        actions=definition["actions"],
        created_by=actor,
        created_at=clock.now(),
    )
    version._history_user = actor
    version.save()
    return version


def _save(rule: Rule, actor, reason: str) -> None:
    save_with_history(rule, actor, reason)
    engine.forget_event_rules()


def _restart_watching(rule: Rule) -> None:
    """Timers and schedules count from now: nothing that fell due before fires."""
    rule.watch_from = clock.now()
    RuleWatermark.objects.filter(rule=rule).delete()


@transaction.atomic
def rule_create(
    *,
    actor,
    name: str,
    trigger_type: str,
    trigger: dict | None = None,
    actions: list | None = None,
    entity: str = "",
    condition: str = "",
    description: str = "",
    code: str = "",
    is_active: bool = True,
) -> Rule:
    require_manager(actor)
    errors: dict = {}
    rule = Rule(created_by=actor, is_active=bool(is_active), watch_from=clock.now())
    _clean_rule_fields(rule, {"name": name, "description": description, "code": code}, errors)
    definition = clean_definition(
        trigger_type=trigger_type,
        entity=entity,
        trigger=trigger,
        condition=condition,
        actions_list=actions,
        errors=errors,
    )
    if errors:
        raise ValidationError(errors)
    _mirror(rule, definition)
    _save(rule, actor, "created")
    rule.current_version = _add_version(rule, definition, actor)
    _save(rule, actor, "version 1")
    return rule


def _definition_of(version: RuleVersion) -> dict:
    return {
        "trigger_type": version.trigger_type,
        "entity": version.entity,
        "trigger": version.trigger,
        "condition": version.condition,
        "actions": version.actions,
    }


@transaction.atomic
def rule_update(*, actor, rule: Rule, **data) -> Rule:
    """Change a rule. A changed trigger, condition or actions becomes a new version; the
    firings so far keep pointing at the version that produced them."""
    require_manager(actor)
    unknown = set(data) - set(RULE_FIELDS) - set(DEFINITION_FIELDS)
    if unknown:
        raise ValidationError({key: _("Unknown field.") for key in sorted(unknown)})
    rule = (
        Rule.objects.select_for_update(of=("self",))
        .select_related("current_version")
        .get(pk=rule.pk)
    )
    errors: dict = {}
    _clean_rule_fields(rule, data, errors)
    current = _definition_of(rule.current_version)
    wanted = {**current, **{k: v for k, v in data.items() if k in DEFINITION_FIELDS}}
    definition = clean_definition(
        trigger_type=wanted["trigger_type"],
        entity=wanted["entity"],
        trigger=wanted["trigger"],
        condition=wanted["condition"],
        actions_list=wanted["actions"],
        errors=errors,
    )
    if errors:
        raise ValidationError(errors)
    reason = "updated"
    if definition != current:
        moved = (
            definition["trigger_type"] != current["trigger_type"]
            or definition["entity"] != current["entity"]
            or definition["trigger"].get("field") != current["trigger"].get("field")
        )
        if moved:
            _restart_watching(rule)
        _mirror(rule, definition)
        rule.current_version = _add_version(rule, definition, actor)
        reason = f"version {rule.current_version.number}"
    _save(rule, actor, reason)
    return rule


@transaction.atomic
def rule_set_active(*, actor, rule: Rule, active: bool) -> Rule:
    """Switch a rule on or off. Switched on, it watches from now: timers that fell due
    while it was off do not fire."""
    require_manager(actor)
    rule = Rule.objects.select_for_update().get(pk=rule.pk)
    if rule.is_active == bool(active):
        return rule
    rule.is_active = bool(active)
    if rule.is_active:
        _restart_watching(rule)
    _save(rule, actor, "activated" if rule.is_active else "deactivated")
    return rule


def rule_preview(
    *,
    actor,
    object_id: int | None = None,
    rule: Rule | None = None,
    draft: dict | None = None,
    level: int = 0,
) -> dict:
    """ "Try it on record #N": the variables the rule would see, whether its condition (and
    a timer's "unless") holds and what each action would do. Changes nothing: the actions
    run in describe-only mode inside a transaction that is rolled back."""
    require_manager(actor)
    if draft is not None:
        errors: dict = {}
        rule = Rule(name=(draft.get("name") or _("Draft rule")).strip())
        definition = clean_definition(
            trigger_type=draft.get("trigger_type"),
            entity=draft.get("entity", ""),
            trigger=draft.get("trigger"),
            condition=draft.get("condition", ""),
            actions_list=draft.get("actions"),
            errors=errors,
        )
        if errors:
            raise ValidationError(errors)
        version = RuleVersion(rule=rule, number=0, **definition)
    else:
        version = rule.current_version
    instance = None
    if version.entity and not triggers.is_deletion(version.trigger_type, version.trigger):
        entity = entities.get(version.entity)
        if object_id is None:
            raise ValidationError({"object_id": _("Enter the number of a record to try.")})
        # Loaded as the engine loads it for an event (a plain get by primary key).
        instance = entity.model._default_manager.filter(pk=object_id).order_by().first()
        if instance is None:
            raise ValidationError(
                {
                    "object_id": _("There is no %(entity)s #%(id)s.")
                    % {
                        "entity": entity.label,
                        "id": object_id,
                    }
                }
            )
    # The same variables the engine builds (context.variables_for): a preview that says
    # "condition false" is what the engine would decide on this record now.
    variables = context.variables_for(
        version,
        instance=instance,
        instant=clock.now() if version.trigger_type == TriggerType.SCHEDULE else None,
        level=level,
    )
    evaluation = engine.evaluate(version, variables)
    answer = {
        "entity": version.entity,
        "object_id": getattr(instance, "pk", None),
        "record": str(instance) if instance is not None else "",
        "variables": actions.json_safe(variables),
        "condition_values": evaluation.values,
        "stopped_by_unless": evaluation.stopped,
        "condition": evaluation.matched and not evaluation.error,
        "error": evaluation.error,
        "would_fire": evaluation.matched and not evaluation.error,
        "actions": [],
    }
    if version.trigger_type == TriggerType.TIMER and instance is not None:
        start = triggers.start_instant(getattr(instance, version.trigger["field"], None))
        minutes = triggers.level_minutes(version.trigger, level)
        answer["due_at"] = (
            triggers.due_at(start, minutes, version.trigger["unit"]).isoformat() if start else None
        )
    if answer["would_fire"]:
        candidate = engine.Candidate(
            rule=rule,
            version=version,
            entity_key=version.entity,
            object_id=getattr(instance, "pk", 0) or 0,
            key="preview",
            instance=instance,
            variables=variables,
            level=level if version.trigger_type == TriggerType.TIMER else None,
        )
        with transaction.atomic():
            results = engine.run_actions(candidate, None, actions.Batch(), dry_run=True)
            transaction.set_rollback(True)
        answer["actions"] = [actions.json_safe(r) for r in results]
    return answer


def entity_catalogue() -> list[dict]:
    """The entities rules can be about, with their timer fields, variables and settable
    fields (for the rule builder)."""
    return [
        {
            "key": e.key,
            "label": str(e.label),
            "timer_fields": list(e.timer_fields),
            "variables": sorted(e.variable_names()),
            "settable_fields": sorted(builtin_actions.settable_fields(e)),
        }
        for e in entities.all_entities()
    ]


def action_catalogue() -> list[dict]:
    return [
        {"kind": a.kind, "label": str(a.label), "fields": actions.json_safe(list(a.fields))}
        for a in actions.all_actions()
    ]

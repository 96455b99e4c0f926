"""The built-in rule actions: notify, escalate, create_task and set_field (webhook is in
:mod:`.webhooks`). Each is a ``validate`` / ``run`` pair registered in :mod:`.actions`."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesops.core import clock, entities
from salesops.core.expressions import ExpressionError, compile_expression, evaluate
from salesops.org.models import Role, User
from salesops.org.selectors import manager_chain
from salesops.todos.services import task_create

from . import triggers
from .actions import (
    NOTIFICATION_KIND,
    ActionContext,
    ValidationContext,
    check_text,
    json_safe,
    register,
)


# --- recipients ---------------------------------------------------------------------------
def _chain(ctx: ActionContext, user) -> list:
    key = ("chain", user.pk)
    if key not in ctx.batch.cache:
        ctx.batch.cache[key] = manager_chain(user)
    return ctx.batch.cache[key]


def _role_users(ctx: ActionContext, role: str) -> list:
    key = ("role", role)
    if key not in ctx.batch.cache:
        ctx.batch.cache[key] = list(User.objects.filter(role=role, is_active=True).order_by("pk"))
    return ctx.batch.cache[key]


def _user(ctx: ActionContext, pk: int):
    key = ("user", pk)
    if key not in ctx.batch.cache:
        ctx.batch.cache[key] = User.objects.filter(pk=pk, is_active=True).first()
    return ctx.batch.cache[key]


def resolve_target(ctx: ActionContext, target: str) -> list:
    """The users a target names: ``owner``, ``manager`` (= ``manager:1``), ``manager:N``
    (N levels above the owner), ``role:<role>``, ``user:<id>``."""
    kind, _sep, arg = target.partition(":")
    if kind == "owner":
        owner = ctx.owner
        return [owner] if owner is not None else []
    if kind == "manager":
        owner = ctx.owner
        if owner is None:
            return []
        levels = int(arg or 1)
        chain = _chain(ctx, owner)
        return [chain[levels - 1]] if len(chain) >= levels else []
    if kind == "role":
        return _role_users(ctx, arg)
    if kind == "user":
        user = _user(ctx, int(arg))
        return [user] if user is not None else []
    return []


def _validate_target(target, vctx: ValidationContext) -> str | None:
    if not isinstance(target, str):
        return _("Each recipient is text such as “owner”, “manager:2”, “role:director”.")
    kind, _sep, arg = target.partition(":")
    if kind in ("owner", "manager") and not vctx.entity_key:
        return _("“%(target)s” needs a rule about records (this rule has no entity).") % {
            "target": target
        }
    if kind == "owner" and not arg:
        return None
    if kind == "manager":
        if not arg or (arg.isdigit() and 1 <= int(arg) <= 10):
            return None
        return _("“%(target)s”: the number of levels up must be 1–10.") % {"target": target}
    if kind == "role":
        if arg in Role.values:
            return None
        return _("“%(target)s”: unknown role; choose one of %(choices)s.") % {
            "target": target,
            "choices": ", ".join(Role.values),
        }
    if kind == "user":
        if arg.isdigit() and User.objects.filter(pk=int(arg), is_active=True).exists():
            return None
        return _("“%(target)s”: no active user with this id.") % {"target": target}
    return _(
        "Unknown recipient “%(target)s”; use owner, manager, manager:N, role:<role> or user:<id>."
    ) % {"target": target}


def _queue_notification(ctx: ActionContext, result: dict, recipients, title: str, body: str):
    ids = list(dict.fromkeys(u.pk for u in recipients))
    result["recipients"] = ids
    result["title"] = title
    if ctx.dry_run:
        result["would"] = _("Notify %(who)s: “%(title)s”") % {
            "who": ", ".join(u.label for u in recipients) or _("nobody"),
            "title": title,
        }
        return result
    link = ctx.link
    for pk in ids:
        item = {
            "recipient_id": pk,
            "kind": NOTIFICATION_KIND,
            "title": title,
            "body": body,
            "link": link,
            "source": ctx.source,
        }
        ctx.batch.notifications.append((item, result))
    return result


# --- notify -------------------------------------------------------------------------------
def validate_notify(config: dict, vctx: ValidationContext, errors: dict) -> dict:
    targets = config.get("to")
    if isinstance(targets, str):
        targets = [targets]
    if not targets or not isinstance(targets, list):
        errors["to"] = _("Choose at least one recipient.")
        targets = []
    for target in targets:
        problem = _validate_target(target, vctx)
        if problem:
            errors["to"] = problem
            break
    return {
        "kind": "notify",
        "to": [str(t).strip() for t in targets],
        "title": check_text(config, "title", vctx, errors, required=True),
        "message": check_text(config, "message", vctx, errors, required=False),
    }


def run_notify(config: dict, ctx: ActionContext) -> dict:
    recipients = []
    for target in config["to"]:
        recipients += resolve_target(ctx, target)
    result: dict = {}
    if not recipients:
        result["skipped"] = _("Nobody to notify (no owner or manager at that level).")
    return _queue_notification(
        ctx, result, recipients, ctx.render(config["title"]), ctx.render(config.get("message", ""))
    )


# --- escalate -----------------------------------------------------------------------------
def validate_escalate(config: dict, vctx: ValidationContext, errors: dict) -> dict:
    if not vctx.entity_key:
        errors["kind"] = _("Escalation needs a rule about records with an owner.")
    return {
        "kind": "escalate",
        "title": check_text(config, "title", vctx, errors, required=True),
        "message": check_text(config, "message", vctx, errors, required=False),
    }


def run_escalate(config: dict, ctx: ActionContext) -> dict:
    """Notify the manager ``level + 1`` steps above the owner: a timer's level 0 goes to
    the owner's manager, level 1 to that manager's manager, and so on."""
    level = ctx.level or 0
    result: dict = {"level": level}
    owner = ctx.owner
    chain = _chain(ctx, owner) if owner is not None else []
    if level >= len(chain):
        result["skipped"] = _("No manager %(n)d level(s) above the owner.") % {"n": level + 1}
        result["recipients"] = []
        return result
    target = chain[level]
    result["manager_level"] = level + 1
    return _queue_notification(
        ctx, result, [target], ctx.render(config["title"]), ctx.render(config.get("message", ""))
    )


# --- create task --------------------------------------------------------------------------
def validate_create_task(config: dict, vctx: ValidationContext, errors: dict) -> dict:
    assignee = str(config.get("assignee") or "owner").strip()
    kind = assignee.partition(":")[0]
    if kind not in ("owner", "manager", "user"):
        errors["assignee"] = _("Choose owner, manager, manager:N or user:<id>.")
    else:
        problem = _validate_target(assignee, vctx)
        if problem:
            errors["assignee"] = problem
    due = config.get("due_in_minutes")
    if due in ("", None):
        due = None
    else:
        due = triggers._int(
            due, low=0, high=triggers.MAX_MINUTES, errors=errors, key="due_in_minutes"
        )
    unit = config.get("due_unit") or "working"
    if unit not in triggers.UNITS:
        errors["due_unit"] = _("Choose “working” or “calendar” minutes.")
    return {
        "kind": "create_task",
        "title": check_text(config, "title", vctx, errors, required=True),
        "description": check_text(config, "description", vctx, errors, required=False),
        "assignee": assignee,
        "due_in_minutes": due,
        "due_unit": unit,
    }


def run_create_task(config: dict, ctx: ActionContext) -> dict:
    people = resolve_target(ctx, config["assignee"])
    title = ctx.render(config["title"])
    if not people:
        return {"skipped": _("Nobody to assign the task to."), "title": title}
    assignee = people[0]
    due = None
    if config.get("due_in_minutes") is not None:
        due = triggers.due_at(clock.now(), config["due_in_minutes"], config["due_unit"])
    result = {
        "assignee": assignee.pk,
        "title": title,
        "due_at": due.isoformat() if due else None,
    }
    if ctx.dry_run:
        result["would"] = _("Create the task “%(title)s” for %(who)s") % {
            "title": title,
            "who": assignee.label,
        }
        return result
    task = task_create(
        title=title,
        assignee=assignee,
        due_at=due,
        record=ctx.instance,
        description=ctx.render(config.get("description", "")),
        actor=None,
        source=ctx.source,
    )
    result["task_id"] = task.pk
    return result


# --- set field ----------------------------------------------------------------------------
PROTECTED_FIELDS = frozenset({"id", "created_at", "updated_at", "created_by", "created_by_id"})


def settable_fields(entity) -> dict[str, models.Field]:
    """Fields a rule may set: concrete, editable, not the key or the audit stamps, of an
    entity registered with a writer (its update service). Foreign keys by their
    ``<name>_id``."""
    if entity is None or entity.writer is None:
        return {}
    out = {}
    for f in entity.model._meta.concrete_fields:
        if f.primary_key or not f.editable or f.name in PROTECTED_FIELDS or f.name == "custom":
            continue
        out[f.attname] = f
    return out


def _no_writer(entity) -> str:
    return _(
        "Rules cannot set fields of %(entity)s records: no service is registered to write "
        "them. Choose another action, or a rule about another kind of record."
    ) % {"entity": entity.label}


def validate_set_field(config: dict, vctx: ValidationContext, errors: dict) -> dict:
    name = str(config.get("field") or "").strip()
    value = str(config.get("value") or "").strip()
    if not vctx.entity_key:
        errors["field"] = _("Setting a field needs a rule about records.")
        return {"kind": "set_field", "field": name, "value": value}
    entity = entities.get(vctx.entity_key)
    allowed = settable_fields(entity)
    if entity.writer is None:
        errors["field"] = _no_writer(entity)
    elif name not in allowed:
        errors["field"] = _(
            "Unknown or read-only field “%(name)s”. Choose one of: %(choices)s."
        ) % {
            "name": name,
            "choices": ", ".join(sorted(allowed)),
        }
    if not value:
        errors["value"] = _("Enter the new value as an expression, e.g. 'A' or amount * 2.")
    else:
        try:
            compile_expression(value, vctx.variable_names)
        except ExpressionError as exc:
            errors["value"] = triggers.expression_error(exc)
    return {"kind": "set_field", "field": name, "value": value}


def run_set_field(config: dict, ctx: ActionContext) -> dict:
    """Set one field through the entity's writer (its update service): the service
    validates, writes the history row (with the rule as the reason) and emits the
    entity's updated event. A refused value is a failed action that wrote nothing."""
    if ctx.entity is not None and ctx.entity.writer is None:
        return {"ok": False, "error": _no_writer(ctx.entity)}
    model_field = settable_fields(ctx.entity).get(config["field"])
    if model_field is None or ctx.instance is None:
        return {
            "ok": False,
            "error": _("The field “%(name)s” cannot be set.") % {"name": config["field"]},
        }
    raw = evaluate(config["value"], ctx.variables)
    try:
        value = model_field.clean(raw, ctx.instance)
    except ValidationError as exc:
        return {"ok": False, "error": "; ".join(exc.messages), "value": json_safe(raw)}
    before = getattr(ctx.instance, model_field.attname)
    result = {
        "field": config["field"],
        "before": json_safe(before),
        "after": json_safe(value),
    }
    if ctx.dry_run:
        result["would"] = _("Set %(field)s from “%(before)s” to “%(after)s”") % result
        return result
    if before == value:
        result["unchanged"] = True
        return result
    if model_field.is_relation:  # the services take the related record, by its name
        change = {model_field.name: model_field.related_model._default_manager.get(pk=value)}
    else:
        change = {model_field.name: value}
    reason = f"rule {ctx.rule.pk}"
    history = _history(ctx.instance)
    seen = history.order_by("-pk").values_list("pk", flat=True).first() if history else None
    try:
        ctx.entity.writer(ctx.instance, change, None, reason)
    except (ValidationError, PermissionDenied) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        return {**result, "ok": False, "error": "; ".join(messages), "value": json_safe(raw)}
    if history is not None:
        # The service wrote its own reason ("updated"); the history says the rule did it.
        written = history.filter(pk__gt=seen) if seen is not None else history.all()
        written.update(history_change_reason=reason)
    return result


def _history(instance):
    """The record's history rows (None for a model without history)."""
    attribute = getattr(type(instance)._meta, "simple_history_manager_attribute", None)
    return getattr(instance, attribute) if attribute else None


TEMPLATE_HELP = gettext_lazy("Text with {name} placeholders from the record's fields.")
TO_HELP = gettext_lazy("owner, manager, manager:N, role:<role>, user:<id>")

register(
    "notify",
    gettext_lazy("Notify"),
    validate_notify,
    run_notify,
    writes=False,
    fields=(
        {"name": "to", "type": "list", "required": True, "help": TO_HELP},
        {"name": "title", "type": "template", "required": True, "help": TEMPLATE_HELP},
        {"name": "message", "type": "template", "required": False, "help": TEMPLATE_HELP},
    ),
)
register(
    "escalate",
    gettext_lazy("Escalate up the manager chain"),
    validate_escalate,
    run_escalate,
    writes=False,
    fields=(
        {"name": "title", "type": "template", "required": True, "help": TEMPLATE_HELP},
        {"name": "message", "type": "template", "required": False, "help": TEMPLATE_HELP},
    ),
)
register(
    "create_task",
    gettext_lazy("Create a task"),
    validate_create_task,
    run_create_task,
    fields=(
        {"name": "title", "type": "template", "required": True, "help": TEMPLATE_HELP},
        {"name": "description", "type": "template", "required": False, "help": TEMPLATE_HELP},
        {
            "name": "assignee",
            "type": "target",
            "required": True,
            "help": gettext_lazy("owner, manager, manager:N or user:<id>"),
        },
        {"name": "due_in_minutes", "type": "integer", "required": False, "help": ""},
        {"name": "due_unit", "type": "choice", "choices": list(triggers.UNITS), "help": ""},
    ),
)
register(
    "set_field",
    gettext_lazy("Set a field"),
    validate_set_field,
    run_set_field,
    fields=(
        {"name": "field", "type": "field", "required": True, "help": ""},
        {
            "name": "value",
            "type": "expression",
            "required": True,
            "help": gettext_lazy("An expression, e.g. 'A' or amount * 2."),
        },
    ),
)

"""The rule action ``push_content`` (SPEC N4), registered in the automation engine's
action registry (this app imports automation, never the other way round).

Settings:

* ``item`` — a knowledge item's number; or ``pack: "scripts"`` — a script-tips pack
  (话术锦囊包): the ``pack_size`` active scripts (optionally only those tagged
  ``pack_tag``) best matched to each recipient's customer types (the industries of
  their own accounts and open leads, ``push_selectors.pack_for``). Exactly one of the two.
* ``to`` — who receives it: ``owner`` (the record's owner; on a rule about people, the
  person), ``manager`` / ``manager:N``, ``role:<role>`` or ``user:<id>``; a list or one.
* ``requires_note`` — the push cannot be closed before a study note is submitted.
* ``reason`` — a text template (``{name}`` placeholders from the record) shown with the
  push and in the notification.

A firing delivers each push once: the push's key is made of the rule, the record and the
firing's own key (an event's id, a schedule's instant), so a re-run of the same firing
finds the pushes already there and notifies nobody again. Each new push sends an in-app
notification (kind ``knowledge.push``) linking to the push's page. With ``dry_run`` the
action says what it would push to whom and writes nothing.
"""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from salesops.automation.actions import ActionContext, ValidationContext, check_text, register
from salesops.automation.builtin_actions import resolve_target
from salesops.org.models import Role, User

from . import push_selectors, pushes
from .models import KnowledgeItem

KIND = "push_content"
NOTIFICATION_KIND = "knowledge.push"
PACKS = ("scripts",)
MAX_PACK = 10
DEFAULT_PACK = 3


# --- validation ---------------------------------------------------------------------------
def _target_problem(target, vctx: ValidationContext) -> str | None:
    if not isinstance(target, str):
        return _("Each recipient is text such as “owner”, “role:manager” or “user:12”.")
    kind, _sep, arg = target.partition(":")
    if kind == "owner" and not arg:
        if not vctx.entity_key:
            return _("“owner” needs a rule about records (this rule has no entity).")
        return None
    if kind == "manager":
        if not vctx.entity_key:
            return _("“%(target)s” needs a rule about records (this rule has no entity).") % {
                "target": target
            }
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


def _int_setting(value, errors: dict, key: str, low: int, high: int, default: int | None):
    if value in (None, ""):
        return default
    if isinstance(value, bool):
        errors[key] = _("Enter a whole number.")
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[key] = _("Enter a whole number.")
        return default
    if not low <= number <= high:
        errors[key] = _("Enter a number between %(low)d and %(high)d.") % {"low": low, "high": high}
    return number


def validate_push(config: dict, vctx: ValidationContext, errors: dict) -> dict:
    item_id = _int_setting(config.get("item"), errors, "item", 1, 2**63 - 1, None)
    pack = str(config.get("pack") or "").strip()
    if pack and pack not in PACKS:
        errors["pack"] = _("Unknown pack “%(pack)s”; choose %(choices)s.") % {
            "pack": pack,
            "choices": ", ".join(PACKS),
        }
    if item_id is not None and "item" not in errors:
        item = KnowledgeItem.objects.filter(pk=item_id).first()
        if item is None:
            errors["item"] = _(
                "No knowledge item #%(id)s. Use the number shown on the item's page."
            ) % {"id": item_id}
        elif not item.is_active:
            errors["item"] = _("Knowledge item #%(id)s “%(title)s” is inactive.") % {
                "id": item_id,
                "title": item.title,
            }
    if item_id is not None and pack:
        errors["pack"] = _("Push either one item or a pack, not both.")
    elif item_id is None and not pack and "item" not in errors:
        errors["item"] = _("Choose the knowledge item to push (its number), or a pack.")
    size = _int_setting(config.get("pack_size"), errors, "pack_size", 1, MAX_PACK, DEFAULT_PACK)
    tag = str(config.get("pack_tag") or "").strip()
    if tag and pack:
        from .models import KnowledgeTag  # noqa: PLC0415 - only when a tag is named

        if not KnowledgeTag.objects.filter(code=tag).exists():
            errors["pack_tag"] = _("No knowledge tag “%(code)s”.") % {"code": tag}
    targets = config.get("to") or ["owner"]
    if isinstance(targets, str):
        targets = [targets]
    if not isinstance(targets, list):
        errors["to"] = _("Choose at least one recipient.")
        targets = []
    for target in targets:
        problem = _target_problem(target, vctx)
        if problem:
            errors["to"] = problem
            break
    requires_note = config.get("requires_note", False)
    if isinstance(requires_note, str):
        requires_note = requires_note.strip().lower() in ("1", "true", "yes", "on", "是")
    return {
        "kind": KIND,
        "item": item_id,
        "pack": pack,
        "pack_size": size if pack else None,
        "pack_tag": tag if pack else "",
        "to": targets,
        "requires_note": bool(requires_note),
        "reason": check_text(config, "reason", vctx, errors, required=False),
    }


# --- running ------------------------------------------------------------------------------
def _recipients(ctx: ActionContext, targets: list[str]) -> list:
    out: dict[int, object] = {}
    for target in targets:
        for user in resolve_target(ctx, target):
            if user is not None and user.is_active:
                out[user.pk] = user
    return list(out.values())


def push_key(ctx: ActionContext) -> str:
    """The occurrence: this rule, this record, this firing's own key."""
    firing = ctx.firing
    object_id = getattr(ctx.instance, "pk", None) or (firing.object_id if firing else 0)
    entity = ctx.entity.key if ctx.entity is not None else ""
    key = f"rule:{ctx.rule.pk}:{entity}:{object_id}:{firing.key if firing else 'preview'}"
    if len(key) > pushes.KEY_MAX:
        key = key[:100] + ":" + hashlib.sha256(key.encode()).hexdigest()[:40]
    return key


def _items(ctx: ActionContext, config: dict, recipient) -> list[KnowledgeItem]:
    if config.get("item"):
        key = ("push_item", config["item"])
        if key not in ctx.batch.cache:
            ctx.batch.cache[key] = KnowledgeItem.objects.filter(
                pk=config["item"], is_active=True
            ).first()
        item = ctx.batch.cache[key]
        return [item] if item is not None else []
    scripts_key = ("push_scripts", config.get("pack_tag") or "")
    if scripts_key not in ctx.batch.cache:
        ctx.batch.cache[scripts_key] = push_selectors.active_scripts(config.get("pack_tag") or "")
    ids = push_selectors.pack_for(
        recipient,
        config.get("pack_size") or DEFAULT_PACK,
        tag=config.get("pack_tag") or "",
        scripts=ctx.batch.cache[scripts_key],
    )
    found = KnowledgeItem.objects.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def push_link(push) -> str:
    try:
        return reverse("pushes:detail", args=[push.pk])
    except NoReverseMatch:  # the pages are not installed
        return ""


def run_push(config: dict, ctx: ActionContext) -> dict:
    result: dict = {"item": config.get("item"), "pack": config.get("pack") or ""}
    recipients = _recipients(ctx, config.get("to") or ["owner"])
    if not recipients:
        return {**result, "skipped": _("Nobody to push to.")}
    reason = ctx.render(config.get("reason") or "")
    plan = [(user, _items(ctx, config, user)) for user in recipients]
    if config.get("item") and not any(items for _user, items in plan):
        return {
            **result,
            "ok": False,
            "error": _("Knowledge item #%(id)s no longer exists or is inactive.")
            % {"id": config["item"]},
        }
    if ctx.dry_run:
        lines = [
            _("Would push “%(items)s” to %(who)s")
            % {"items": "”, “".join(i.title for i in items), "who": user.label}
            if items
            else _("Nothing to push to %(who)s: no script matches their customers")
            % {"who": user.label}
            for user, items in plan
        ]
        result["would"] = "; ".join(lines)
        return result
    key = push_key(ctx)
    created, existing = [], []
    for user, items in plan:
        for item in items:
            try:
                push, new = pushes.push_deliver(
                    item=item,
                    user=user,
                    key=key,
                    reason=reason,
                    requires_note=config.get("requires_note", False),
                    firing=ctx.firing if getattr(ctx.firing, "pk", None) else None,
                )
            except ValidationError as exc:
                return {**result, "ok": False, "error": "; ".join(exc.messages)}
            (created if new else existing).append(push)
            if new:
                notification = {
                    "recipient_id": user.pk,
                    "kind": NOTIFICATION_KIND,
                    "title": _("New for you to study: %(title)s") % {"title": item.title},
                    "body": reason,
                    "link": push_link(push),
                    "source": ctx.source,
                }
                ctx.batch.notifications.append((notification, result))
    result["recipients"] = [user.pk for user, _found in plan]
    result["pushes"] = [p.pk for p in created + existing]
    result["created"] = len(created)
    result["already"] = len(existing)
    if not created and not existing:
        result["skipped"] = _("No script matches the recipients' customers.")
    return result


def register_all() -> None:
    register(
        KIND,
        gettext_lazy("Push knowledge content"),
        validate_push,
        run_push,
        fields=(
            {
                "name": "item",
                "type": "integer",
                "required": False,
                "label": gettext_lazy("Knowledge item number"),
                "help": gettext_lazy("The item to push (its number on its page); or a pack."),
            },
            {
                "name": "pack",
                "type": "choice",
                "required": False,
                "choices": ["", *PACKS],
                "label": pgettext_lazy("push", "Pack"),
                "choice_labels": {
                    "": gettext_lazy("(one item)"),
                    "scripts": gettext_lazy("Script tips matched to the recipient's customers"),
                },
                "help": "",
            },
            {
                "name": "pack_size",
                "type": "integer",
                "required": False,
                "label": gettext_lazy("Scripts in the pack"),
                "help": gettext_lazy("1–10, 3 when empty."),
            },
            {
                "name": "pack_tag",
                "type": "text",
                "required": False,
                "label": gettext_lazy("Only scripts with this tag"),
                "help": gettext_lazy("A knowledge tag's code; empty for every script."),
            },
            {
                "name": "to",
                "type": "list",
                "required": True,
                "label": gettext_lazy("Push to"),
                "help": gettext_lazy(
                    "owner (on a rule about people: the person), manager, role:<role> or user:<id>"
                ),
            },
            {
                "name": "requires_note",
                "type": "text",
                "required": False,
                "label": gettext_lazy("Study note required before closing"),
                "help": gettext_lazy("yes or no (no when empty)"),
            },
            {
                "name": "reason",
                "type": "template",
                "required": False,
                "label": gettext_lazy("Reason"),
                "help": gettext_lazy("Text with {name} placeholders from the record's fields."),
            },
        ),
    )

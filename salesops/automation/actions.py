"""The actions a rule can take: a registry, so later issues add their own.

An action type has a ``validate(config, vctx, errors) -> clean config`` run when a rule
is saved (errors keyed by the setting's name, e.g. ``"message"``; the service prefixes
``actions.<n>.``) and a ``run(config, ctx) -> result dict`` run when the rule fires. With
``ctx.dry_run`` (the "try it on record #N" preview) ``run`` must describe what it would do
and change nothing. Results are stored on the firing; ``{"ok": False, "error": …}`` marks a
failure.

Built in: notify, escalate, create_task, set_field (:mod:`.builtin_actions`) and webhook
(:mod:`.webhooks`), registered when the app is ready.
"""

from __future__ import annotations

import datetime as dt
import logging
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesops.notifications import services as notification_services

log = logging.getLogger(__name__)

TEMPLATE_EXTRAS = frozenset({"rule", "record", "url", "owner", "timer_level"})
MAX_TEMPLATE_LENGTH = 2000
NOTIFICATION_KIND = "rule"


@dataclass(frozen=True)
class ActionType:
    kind: str
    label: Any
    validate: Callable
    run: Callable
    fields: tuple[dict, ...] = ()
    # False for actions that only queue work for the batch (no database write of their
    # own): they need no savepoint, which matters when a sweep fires thousands of times.
    writes: bool = True


@dataclass
class ValidationContext:
    """What an action's settings are checked against."""

    trigger_type: str
    entity_key: str
    variable_names: set[str]

    @property
    def template_names(self) -> set[str]:
        return self.variable_names | TEMPLATE_EXTRAS


@dataclass
class Batch:
    """Work collected while a batch of firings runs, done once at the end: notifications
    go out in one ``notify_many`` call; webhook deliveries are queued after the commit."""

    notifications: list[tuple[dict, dict]] = field(default_factory=list)
    deliveries: list[int] = field(default_factory=list)
    cache: dict = field(default_factory=dict)

    def flush(self) -> None:
        if not self.notifications:
            return
        items = [item for item, _result in self.notifications]
        try:
            with transaction.atomic():
                send_notifications(items)
        except Exception as exc:  # noqa: BLE001 - recorded on every firing it concerns
            log.exception("notify_many failed for %d notification(s)", len(items))
            for _item, result in self.notifications:
                result["ok"] = False
                result["error"] = f"{type(exc).__name__}: {exc}"
        self.notifications = []

    def after_commit(self) -> None:
        if self.deliveries:
            notification_services.deliveries_send(self.deliveries)


@dataclass
class ActionContext:
    rule: Any
    version: Any
    firing: Any
    entity: Any
    instance: Any
    variables: dict
    level: int | None = None
    dry_run: bool = False
    batch: Batch = field(default_factory=Batch)
    # Shared by the actions of one firing: the record's link and template values are
    # worked out once, not once per action (reverse() adds up over 10,000 firings).
    memo: dict = field(default_factory=dict)

    @property
    def source(self) -> str:
        return f"rule:{self.rule.pk}:v{self.version.number}"

    @property
    def owner(self):
        if self.entity is None or self.instance is None:
            return None
        return self.entity.owner_of(self.instance)

    @property
    def link(self) -> str:
        if "link" not in self.memo:
            getter = getattr(self.instance, "get_absolute_url", None)
            try:
                self.memo["link"] = getter() if getter else ""
            except Exception:  # noqa: BLE001 - a record without a page has no link
                self.memo["link"] = ""
        return self.memo["link"]

    def template_values(self) -> dict:
        if "values" not in self.memo:
            owner = self.owner
            values = {
                "rule": self.rule.name,
                "record": str(self.instance) if self.instance is not None else "",
                "url": self.link,
                "owner": owner.label if owner is not None else "",
                "timer_level": self.level if self.level is not None else "",
            }
            values.update(self.variables)  # the record's own fields win over these extras
            self.memo["values"] = values
        return self.memo["values"]

    def render(self, template: str) -> str:
        return render_template(template, self.template_values())


_registry: dict[str, ActionType] = {}


def register(
    kind: str,
    label,
    validate_fn: Callable,
    run_fn: Callable,
    *,
    fields: tuple[dict, ...] = (),
    writes: bool = True,
) -> ActionType:
    action = ActionType(kind, label, validate_fn, run_fn, tuple(fields), writes)
    _registry[kind] = action
    return action


def get(kind: str) -> ActionType | None:
    return _registry.get(kind)


def all_actions() -> list[ActionType]:
    return sorted(_registry.values(), key=lambda a: a.kind)


def send_notifications(items: list[dict]) -> int:
    """The one door to the notifications app for rules (bulk)."""
    return notification_services.notify_many(items)


# --- templates ----------------------------------------------------------------------------
def check_template(template: str, names: set[str]) -> str | None:
    """The problem with a message template, or None. Placeholders are plain names in
    braces (``{name}``); ``{{`` and ``}}`` are literal braces. No attribute access, indexing
    or format options: a template is text, never code."""
    if len(template) > MAX_TEMPLATE_LENGTH:
        return _("Too long: at most %(n)d characters.") % {"n": MAX_TEMPLATE_LENGTH}
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        return _("Unbalanced braces: %(reason)s. Write {{ or }} for a literal brace.") % {
            "reason": exc
        }
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if not name.isidentifier():
            return _("“{%(name)s}”: use a plain variable name such as {name}.") % {"name": name}
        if spec or conversion:
            return _("“{%(name)s}”: formatting options are not supported.") % {"name": name}
        if name not in names:
            return _("Unknown placeholder “{%(name)s}”. Available: %(choices)s.") % {
                "name": name,
                "choices": ", ".join(sorted(names)),
            }
    return None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def render_template(template: str, values: dict) -> str:
    """Fill ``{name}`` placeholders from ``values`` (unknown names become empty text).
    Built from the parsed template, not ``str.format``, so a placeholder can never reach
    an attribute or item of a value."""
    out = []
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            out.append(_text(values.get(name)) if name.isidentifier() else "")
    return "".join(out)


def json_safe(value):
    """A value as JSON can hold it (for firing results and condition values)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float | Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    return str(value)


def check_text(config, key, vctx, errors, *, required: bool) -> str:
    value = config.get(key) or ""
    if not isinstance(value, str):
        errors[key] = _("Enter text.")
        return ""
    value = value.strip()
    if not value:
        if required:
            errors[key] = _("This field is required.")
        return ""
    problem = check_template(value, vctx.template_names)
    if problem:
        errors[key] = problem
    return value

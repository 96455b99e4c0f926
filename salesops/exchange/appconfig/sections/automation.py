"""App-template section of the automation rules: each rule by its code (the default rules
apps ship have one) or else its name, with its current version's trigger, condition and
actions as data. The webhook signing secret stays behind; a recipient named by user id
(``user:12``) travels as ``user:@username``.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from salesops.automation import services as rule_services
from salesops.automation.models import Rule, TriggerType
from salesops.org.models import User

from ..base import Section, register
from .naturalkeys import find_user

USER_ID = re.compile(r"^user:(\d+)$")
USER_NAME = re.compile(r"^user:@(.+)$")
FIELDS = ("code", "name", "description", "is_active")
DEFINITION = ("trigger_type", "entity", "trigger", "condition", "actions")


def _walk(value, change):
    """``value`` with every string passed through ``change`` (lists and objects too)."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [_walk(v, change) for v in value]
    if isinstance(value, dict):
        return {k: _walk(v, change) for k, v in value.items()}
    return value


def _to_names(value, usernames: dict[int, str]):
    def change(text: str) -> str:
        match = USER_ID.match(text)
        if match and int(match[1]) in usernames:
            return f"user:@{usernames[int(match[1])]}"
        return text

    return _walk(value, change)


def _named_users(value) -> set[str]:
    found: set[str] = set()

    def collect(text: str) -> str:
        match = USER_NAME.match(text)
        if match:
            found.add(match[1])
        return text

    _walk(value, collect)
    return found


def _to_ids(value):
    def change(text: str) -> str:
        match = USER_NAME.match(text)
        if match:
            user = find_user(match[1])
            return f"user:{user.pk}" if user is not None else text
        return text

    return _walk(value, change)


@register
class AutomationRules(Section):
    name = "automation_rules"
    label = _l("Automation rule")
    depends = ("pipelines",)

    def key(self, item: dict) -> str:
        return str(item.get("code") or item.get("name") or "")

    def _definition(self, rule: Rule) -> dict:
        version = rule.current_version
        return {
            "trigger_type": version.trigger_type,
            "entity": version.entity,
            "trigger": version.trigger,
            "condition": version.condition,
            "actions": version.actions,
        }

    def _item(self, rule: Rule, usernames: dict[int, str]) -> dict:
        item = {name: getattr(rule, name) for name in FIELDS}
        item.update(_to_names(self._definition(rule), usernames))
        return item

    def export(self) -> list[dict]:
        rules = list(
            Rule.objects.select_related("current_version").filter(current_version__isnull=False)
        )
        usernames = dict(User.objects.values_list("pk", "username"))
        return sorted((self._item(r, usernames) for r in rules), key=self.key)

    def _find(self, item: dict) -> Rule | None:
        rules = Rule.objects.select_related("current_version")
        if item.get("code"):
            return rules.filter(code=item["code"]).first()
        return rules.filter(code="", name=item.get("name", "")).order_by("pk").first()

    def _clean(self, item: dict, errors: dict) -> dict:
        return rule_services.clean_definition(
            trigger_type=item.get("trigger_type", ""),
            entity=item.get("entity", ""),
            trigger=_to_ids(item.get("trigger") or {}),
            condition=item.get("condition", ""),
            actions_list=_to_ids(item.get("actions")),
            errors=errors,
        )

    def validate(self, item: dict) -> list[str]:
        messages = []
        if not str(item.get("name") or "").strip():
            messages.append(_("“name” is missing: give the rule a name."))
        if item.get("trigger_type") not in TriggerType.values:
            messages.append(
                _("“trigger_type” must be one of: %(choices)s.")
                % {"choices": ", ".join(TriggerType.values)}
            )
            return messages
        missing = sorted(u for u in _named_users(item) if find_user(u) is None)
        for username in missing:
            messages.append(
                _("“user:@%(user)s”: no active user with this username here; create them first.")
                % {"user": username}
            )
        if missing:
            return messages
        errors: dict = {}
        self._clean(item, errors)
        messages += [f"{field}: {message}" for field, message in sorted(errors.items())]
        return messages

    def apply(self, item: dict, *, actor) -> str:
        errors: dict = {}
        definition = self._clean(item, errors)
        fields = {
            "name": str(item.get("name") or "").strip(),
            "description": str(item.get("description") or "").strip(),
            "code": str(item.get("code") or "").strip(),
        }
        active = bool(item.get("is_active", True))
        rule = self._find(item)
        if rule is None:
            rule_services.rule_create(actor=actor, is_active=active, **fields, **definition)
            return "created"
        changed = {k: v for k, v in fields.items() if getattr(rule, k) != v}
        if self._definition(rule) != definition:
            changed.update(definition)
        if not changed and rule.is_active == active:
            return "unchanged"
        if changed:
            rule = rule_services.rule_update(actor=actor, rule=rule, **changed)
        if rule.is_active != active:
            rule_services.rule_set_active(actor=actor, rule=rule, active=active)
        return "changed"

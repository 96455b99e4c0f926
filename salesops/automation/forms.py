"""The rule builder's form: what the page posts, turned into the service's arguments, and
the service's error keys turned back into the builder's fields.

The builder posts flat fields (``trigger_type``, ``entity``, ``event``, ``field``,
``minutes`` … ``cron``, ``condition``) plus ``actions``: a JSON list of action settings
built by Alpine.js from the action catalogue, in the same shape as the API's. Nothing is
checked here beyond "is it JSON": the services check everything and name each bad field.
"""

from __future__ import annotations

import json

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from salesops.core import entities

from . import conditions, fields, services, triggers
from .models import TriggerType

TEXT_FIELDS = (
    "name",
    "description",
    "trigger_type",
    "entity",
    "event",
    "field",
    "minutes",
    "unit",
    "unless",
    "repeat_every",
    "max_level",
    "cron",
    "every",
    "at",
    "workday",
    "condition",
)
# Service error key → the builder field it is shown under.
FIELD_FOR_KEY = {
    "name": "name",
    "description": "description",
    "trigger_type": "trigger_type",
    "entity": "entity",
    "trigger.event": "event",
    "trigger.field": "field",
    "trigger.minutes": "minutes",
    "trigger.unit": "unit",
    "trigger.unless": "unless",
    "trigger.repeat_every": "repeat_every",
    "trigger.max_level": "max_level",
    "trigger.cron": "cron",
    "trigger.every": "every",
    "trigger.at": "at",
    "trigger.weekdays": "weekdays",
    "trigger.workday": "workday",
    "condition": "condition",
    "actions": "actions",
}
# Labels of the settings in the action catalogue (which names them, not for people).
SETTING_LABELS = {
    "to": gettext_lazy("Recipients"),
    "title": gettext_lazy("Title"),
    "message": gettext_lazy("Message"),
    "description": gettext_lazy("Description"),
    "assignee": gettext_lazy("Assignee"),
    "due_in_minutes": gettext_lazy("Due in (minutes)"),
    "due_unit": gettext_lazy("Counted in"),
    "field": gettext_lazy("Field"),
    "value": gettext_lazy("New value"),
    "url": gettext_lazy("URL"),
}
SCHEDULE_KINDS = [
    ("daily", gettext_lazy("Every day")),
    ("weekly", gettext_lazy("Every week, on …")),
    ("monthly_workday", gettext_lazy("Every month, on the Nth working day")),
    ("cron", gettext_lazy("Cron expression (expert)")),
]
WEEKDAYS = [
    ("1", gettext_lazy("Monday")),
    ("2", gettext_lazy("Tuesday")),
    ("3", gettext_lazy("Wednesday")),
    ("4", gettext_lazy("Thursday")),
    ("5", gettext_lazy("Friday")),
    ("6", gettext_lazy("Saturday")),
    ("7", gettext_lazy("Sunday")),
]
# How an event's verb reads after its entity ("Activity · check-in finished").
EVENT_VERBS = {
    "created": pgettext_lazy("event", "created"),
    "updated": pgettext_lazy("event", "changed"),
    "deleted": pgettext_lazy("event", "deleted"),
    "logged": pgettext_lazy("event", "check-in finished (result logged)"),
    "assigned": pgettext_lazy("event", "assigned"),
    "converted": pgettext_lazy("event", "converted"),
    "first_contact": pgettext_lazy("event", "first contacted"),
    "inquiry": pgettext_lazy("event", "asked again (repeat inquiry)"),
    "unroutable": pgettext_lazy("event", "could not be routed"),
    "completed": pgettext_lazy("event", "completed"),
    "reopened": pgettext_lazy("event", "reopened"),
    "received": pgettext_lazy("event", "received"),
    "issued": pgettext_lazy("event", "issued"),
    "signed": pgettext_lazy("event", "signed"),
    "resolved": pgettext_lazy("event", "resolved"),
    "closed": pgettext_lazy("event", "closed"),
    "opened": pgettext_lazy("event", "opened"),
    "stage_changed": pgettext_lazy("event", "moved to another stage"),
    "stage_change_requested": pgettext_lazy("event", "stage change waiting for approval"),
    "stage_change_rejected": pgettext_lazy("event", "stage change rejected"),
    "evidence_added": pgettext_lazy("event", "evidence uploaded"),
}


def event_label(name: str) -> str:
    """An event for people: its entity's label and what happened."""
    prefix, _dot, verb = name.partition(".")
    entity_key = triggers.entity_for_event(name)
    entity_label = str(entities.get(entity_key).label) if entity_key else prefix.capitalize()
    return f"{entity_label} · {EVENT_VERBS.get(verb, verb.replace('_', ' '))}"


UNIT_LABELS = {
    "working": gettext_lazy("working minutes"),
    "calendar": gettext_lazy("calendar minutes"),
}


def setting_label(name: str) -> str:
    return str(SETTING_LABELS.get(name) or name.replace("_", " ").capitalize())


def empty_values() -> dict:
    return {
        "name": "",
        "description": "",
        "trigger_type": TriggerType.EVENT.value,
        "entity": "",
        "event": "",
        "field": "created_at",
        "minutes": "60",
        "unit": "working",
        "unless": "",
        "repeat_every": "",
        "max_level": "",
        "cron": "",
        # A schedule's simple form (or "cron" for the expert's expression).
        "every": "daily",
        "at": "09:00",
        "weekdays": [],
        "workday": "1",
        "condition": "",
        # The condition as builder rows ("builder") or as typed text ("expert").
        "condition_mode": "builder",
        "condition_join": "and",
        "condition_rows": [],
        "actions": [],
    }


def values_from_rule(rule) -> dict:
    """The builder's fields for a saved rule's current version."""
    version = rule.current_version
    trigger = version.trigger or {}
    values = empty_values()
    values.update(
        {
            "name": rule.name,
            "description": rule.description,
            "trigger_type": version.trigger_type,
            "entity": version.entity,
            "condition": version.condition,
            "actions": list(version.actions or []),
        }
    )
    parsed = conditions.parse_rows(
        version.condition,
        fields.condition_fields(version.trigger_type, version.entity, trigger),
    )
    if parsed is None:  # not one the builder writes: it opens as text
        values["condition_mode"] = "expert"
    else:
        values["condition_rows"], values["condition_join"] = parsed
    if version.trigger_type == TriggerType.EVENT:
        values["event"] = trigger.get("event", "")
    elif version.trigger_type == TriggerType.TIMER:
        for key in ("field", "minutes", "unit", "unless", "repeat_every", "max_level"):
            value = trigger.get(key)
            values[key] = "" if value is None else str(value)
        if not trigger.get("repeat_every"):
            values["max_level"] = ""
    else:
        values["cron"] = trigger.get("cron", "")
        values["every"] = trigger.get("every") or "cron"
        values["at"] = trigger.get("at") or values["at"]
        values["weekdays"] = [str(d) for d in trigger.get("weekdays") or []]
        values["workday"] = str(trigger.get("workday") or 1)
    return values


def values_from_post(post) -> tuple[dict, dict]:
    """The builder's fields as posted, and the errors found reading them (bad JSON)."""
    values = empty_values()
    errors: dict = {}
    # Kept as typed (the services strip what they store), so a refused form shows the
    # user's own text.
    for key in TEXT_FIELDS:
        values[key] = str(post.get(key, values[key]) or "")
    values["weekdays"] = (
        [str(d) for d in post.getlist("weekdays")] if hasattr(post, "getlist") else []
    )
    if not post.get("every"):  # a post from before the simple schedules: the cron
        values["every"] = "cron"
    raw = post.get("actions") or "[]"
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    if not isinstance(parsed, list):
        errors["actions"] = _("The actions could not be read; reload the page and add them again.")
        parsed = []
    values["actions"] = parsed
    _condition_from_post(post, values, errors)
    return values, errors


def _condition_from_post(post, values: dict, errors: dict) -> None:
    """In builder mode the condition is compiled from the posted rows (a JSON list);
    in expert mode it is the typed text."""
    # A post without a mode (the API's shape, older pages) carries the text.
    values["condition_mode"] = "builder" if post.get("condition_mode") == "builder" else "expert"
    values["condition_join"] = "or" if post.get("condition_join") == "or" else "and"
    try:
        rows = json.loads(post.get("condition_rows") or "[]")
    except ValueError:
        rows = None
    if not isinstance(rows, list):
        rows = []
        if values["condition_mode"] == "builder":
            errors["condition"] = _("The conditions could not be read; reload the page.")
    values["condition_rows"] = rows
    if values["condition_mode"] != "builder":
        return
    text, problems = conditions.compile_rows(
        rows, values["condition_join"], condition_fields_of(values)
    )
    values["condition"] = text
    if problems:
        errors["condition"] = " ".join(problems)


def condition_fields_of(values: dict) -> list[dict]:
    """The fields a condition of this draft may read, described (none while the trigger
    is too incomplete to know them)."""
    errors: dict = {}
    entity_key, clean = triggers.clean_trigger(
        values["trigger_type"], values["entity"], trigger_of(values), errors
    )
    if "trigger_type" in errors or "entity" in errors:
        return []
    return fields.condition_fields(values["trigger_type"], entity_key, clean)


def trigger_of(values: dict) -> dict:
    kind = values["trigger_type"]
    if kind == TriggerType.EVENT:
        return {"event": values["event"]}
    if kind == TriggerType.TIMER:
        trigger = {
            "field": values["field"],
            "minutes": values["minutes"],
            "unit": values["unit"],
            "unless": values["unless"],
            "repeat_every": values["repeat_every"] or None,
        }
        if values["max_level"]:
            trigger["max_level"] = values["max_level"]
        return trigger
    if kind == TriggerType.SCHEDULE:
        if values["every"] == "cron":
            return {"every": "cron", "cron": values["cron"]}
        return {
            "every": values["every"],
            "at": values["at"],
            "weekdays": values["weekdays"],
            "workday": values["workday"],
        }
    return {}


def service_data(values: dict) -> dict:
    """Keyword arguments for ``rule_create`` / ``rule_update`` / a draft preview."""
    return {
        "name": values["name"],
        "description": values["description"],
        "trigger_type": values["trigger_type"],
        "entity": values["entity"],
        "trigger": trigger_of(values),
        "condition": values["condition"],
        "actions": values["actions"],
    }


def split_errors(message_dict: dict) -> tuple[dict, dict, list]:
    """Service errors → ``(field errors, {action index: {setting: message}}, the rest)``.
    ``actions.1.url`` goes under the second action's URL; ``actions.1`` on that action as
    a whole; a key the builder has no field for is shown on top, named."""
    fields: dict = {}
    per_action: dict = {}
    other: list = []
    for key, messages in message_dict.items():
        message = " ".join(str(m) for m in messages) if isinstance(messages, list) else messages
        if key in FIELD_FOR_KEY:
            fields[FIELD_FOR_KEY[key]] = message
            continue
        parts = key.split(".", 2)
        if parts[0] == "actions" and len(parts) >= 2 and parts[1].isdigit():
            setting = parts[2] if len(parts) == 3 else "__all__"
            per_action.setdefault(int(parts[1]), {})[setting] = message
            continue
        other.append(message if key == "__all__" else f"{key}: {message}")
    return fields, per_action, other


def names_for(values: dict, target: str = "condition") -> tuple[set[str], str]:
    """The variables a condition (or a timer's "unless") of this draft may read, and a
    message when the trigger is not complete enough to know them."""
    errors: dict = {}
    entity_key, clean = triggers.clean_trigger(
        values["trigger_type"], values["entity"], trigger_of(values), errors
    )
    if "trigger_type" in errors:
        return set(), _("Choose the trigger first.")
    if "entity" in errors:
        return set(), errors["entity"]
    if target == "unless":
        if not entity_key:
            return set(), _("Choose the entity first.")
        return (
            entities.get(entity_key).variable_names() | {"timer_level"} | triggers.CLOCK_VARIABLES,
            "",
        )
    # An incomplete trigger (no event yet, no minutes …) still tells the record's fields.
    return triggers.condition_names(values["trigger_type"], entity_key, clean), ""


def builder_catalogue() -> dict:
    """What the builder's Alpine.js component offers: entities with their timer fields,
    variables and settable fields; events with the entity they are about; actions with
    the settings each one takes."""
    entity_list = services.entity_catalogue()
    extra_fields = {
        "timer": fields.extra_fields(TriggerType.TIMER, "", {}),
        "schedule": fields.extra_fields(TriggerType.SCHEDULE, "", {}),
    }
    for name in triggers.event_catalogue():
        extra_fields[f"event:{name}"] = fields.extra_fields(
            TriggerType.EVENT, triggers.entity_for_event(name), {"event": name}
        )
    return {
        "entities": entity_list,
        "events": [
            {
                "name": name,
                "label": event_label(name),
                "entity": triggers.entity_for_event(name),
                "fields": list(item["fields"]),
                "description": str(item.get("description") or ""),
            }
            for name, item in sorted(triggers.event_catalogue().items())
        ],
        "record_fields": {e["key"]: fields.record_fields(e["key"]) for e in entity_list},
        "extra_fields": extra_fields,
        "users": fields.user_choices(),
        "roles": fields.role_choices(),
        "operators": conditions.operator_catalogue(),
        "actions": [
            {
                **action,
                "fields": [
                    {
                        **f,
                        # An action may word its own settings and choices (a later app's
                        # action: its labels are not in this module's tables).
                        "label": str(f.get("label") or setting_label(f["name"])),
                        "choice_labels": {
                            c: str((f.get("choice_labels") or {}).get(c) or UNIT_LABELS.get(c, c))
                            for c in f.get("choices") or ()
                        },
                    }
                    for f in action["fields"]
                ],
            }
            for action in services.action_catalogue()
        ],
    }

"""What a condition can read, described for people: each variable of a rule's record (model
fields, ``<fk>`` by code, custom fields), of its event and of its schedule, with its label,
its kind (text, number, date, choice …) and, for an enumerated one, its values by label.

The rule builder offers these in dropdowns; :func:`enum_problems` refuses a condition that
compares an enumerated variable with something that is not one of its codes (``tag ==
'价格敏感'`` names the label, never matches and is refused with the code to use).
"""

from __future__ import annotations

import ast

from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesops.core import choices as choice_lists
from salesops.core import entities
from salesops.customization.models import CustomFieldsModel, FieldType
from salesops.customization.selectors import definitions
from salesops.org.models import Role, Team

from . import triggers
from .models import TriggerType

# A reference to a table this small is offered as a dropdown of its rows (a channel, a
# team); a larger one (an account) is typed as its number.
MAX_REFERENCE_CHOICES = 300

TEXT, NUMBER, DATE, DATETIME, BOOLEAN = "text", "number", "date", "datetime", "boolean"
CHOICE, MULTI, USER, REFERENCE = "choice", "multi", "user", "reference"
# The kinds whose values are codes a condition must use exactly.
CODED = (CHOICE, MULTI)

SCHEDULE_LABELS = {
    "is_workday": gettext_lazy("Is a working day"),
    "weekday": gettext_lazy("Weekday (1 = Monday)"),
    "hour": gettext_lazy("Hour"),
    "minute": gettext_lazy("Minute"),
    "day": gettext_lazy("Day of the month"),
    "month": gettext_lazy("Month"),
    "year": gettext_lazy("Year"),
}
EVENT_LABELS = {
    "changed": gettext_lazy("Changed fields"),
    "actor_id": gettext_lazy("Done by"),
    "previous_owner_id": gettext_lazy("Previous owner"),
    "late": gettext_lazy("Late"),
    "change_id": gettext_lazy("Stage change"),
    "from_stage": gettext_lazy("From stage (code)"),
    "to_stage": gettext_lazy("To stage (code)"),
    "direction": gettext_lazy("Direction (forward, backward, won, lost, reopened)"),
    "evidence_id": gettext_lazy("Evidence file"),
}
CLOCK_LABELS = {"today": gettext_lazy("Today"), "now": gettext_lazy("Now")}


def _choice(value, label) -> dict:
    return {"value": value, "label": str(label)}


def user_choices() -> list[dict]:
    """The people a user field may name (one list for every user field of the builder)."""
    users = get_user_model()._default_manager.filter(is_active=True).order_by("username")
    return [_choice(u.pk, u.label) for u in users]


def _model_field(f) -> dict | None:
    label = str(f.verbose_name)[:1].upper() + str(f.verbose_name)[1:]
    if f.is_relation:
        related = f.related_model
        if any(r.name == "code" for r in related._meta.concrete_fields):
            rows = related._default_manager.order_by().all()[:MAX_REFERENCE_CHOICES]
            choices = [_choice(r.code, str(r)) for r in rows]
            aliases = {}
            for r in rows:
                for attr in ("label_zh", "label_en", "name"):
                    text = getattr(r, attr, "")
                    if text:
                        aliases[str(text)] = r.code
            return {
                "name": f.name,
                "label": label,
                "kind": CHOICE,
                "choices": choices,
                "aliases": aliases,
            }
        if related is get_user_model():
            return {"name": f.attname, "label": label, "kind": USER}
        if related is Team:
            teams = Team.objects.order_by("path")
            return {
                "name": f.attname,
                "label": label,
                "kind": REFERENCE,
                "choices": [_choice(t.pk, str(t)) for t in teams[:MAX_REFERENCE_CHOICES]],
            }
        # LIMIT rather than COUNT: a table of leads or activities is never counted.
        rows = list(related._default_manager.order_by("pk")[: MAX_REFERENCE_CHOICES + 1])
        if len(rows) <= MAX_REFERENCE_CHOICES:
            return {
                "name": f.attname,
                "label": label,
                "kind": REFERENCE,
                "choices": [_choice(r.pk, str(r)) for r in rows],
            }
        return {"name": f.attname, "label": label, "kind": NUMBER}
    key = choice_lists.list_of(f.model, f.name) if not f.choices else None
    if key:  # an editable list (Settings · Organisation): active codes by label
        options = choice_lists.options(key)
        aliases = {}
        for o in options:
            aliases.update({o.label_zh: o.code, o.label_en: o.code})
        return {
            "name": f.name,
            "label": label,
            "kind": CHOICE,
            "choices": [_choice(o.code, o.label()) for o in options if o.is_active],
            "aliases": {text: code for text, code in aliases.items() if text},
        }
    if f.choices:
        return {
            "name": f.name,
            "label": label,
            "kind": CHOICE,
            "choices": [_choice(v, text) for v, text in f.flatchoices],
            "aliases": {str(text): v for v, text in f.flatchoices},
        }
    if isinstance(f, models.BooleanField):
        kind = BOOLEAN
    elif isinstance(f, models.DateTimeField):
        kind = DATETIME
    elif isinstance(f, models.DateField):
        kind = DATE
    elif isinstance(f, models.IntegerField | models.DecimalField | models.FloatField):
        kind = NUMBER
    elif isinstance(f, models.JSONField):
        return None
    else:
        kind = TEXT
    return {"name": f.name, "label": label, "kind": kind}


CUSTOM_KINDS = {
    FieldType.TEXT: TEXT,
    FieldType.LONG_TEXT: TEXT,
    FieldType.NUMBER: NUMBER,
    FieldType.MONEY: NUMBER,
    FieldType.DATE: DATE,
    FieldType.DATETIME: DATETIME,
    FieldType.CHOICE: CHOICE,
    FieldType.MULTI_CHOICE: MULTI,
    FieldType.USER: USER,
    FieldType.BOOLEAN: BOOLEAN,
}


def _custom_field(d) -> dict:
    item = {"name": d.key, "label": d.label, "kind": CUSTOM_KINDS.get(d.type, TEXT)}
    if item["kind"] in CODED:
        item["choices"] = [_choice(c["value"], c.get("label") or c["value"]) for c in d.choices]
        aliases = {}
        for c in d.choices:
            for text in (c.get("label"), c.get("label_zh"), c.get("label_en")):
                if text:
                    aliases[str(text)] = c["value"]
        item["aliases"] = aliases
    return item


def record_fields(entity_key: str) -> list[dict]:
    """The record's variables, described: model fields, then custom fields."""
    entity = entities.get(entity_key)
    out = []
    for f in entity.model._meta.concrete_fields:
        if f.name == "custom" or not entity.reads(f):
            continue
        item = _model_field(f)
        if item is not None:
            out.append(item)
    # Worked out from the record (a deal's stage name): read, never "changed".
    out += [{**item, "derived": True} for item in entities.described_variables(entity)]
    if issubclass(entity.model, CustomFieldsModel):
        out += [{**_custom_field(d), "custom": True} for d in definitions(entity_key)]
    return out


def extra_fields(trigger_type: str, entity_key: str, trigger: dict) -> list[dict]:
    """What a condition of this trigger reads besides the record: the event's own fields,
    the schedule's instant, the timer's level, today."""
    out: list[dict] = []
    if trigger_type == TriggerType.EVENT:
        event = triggers.event_catalogue().get(trigger.get("event"), {})
        known = set()
        if entity_key and not triggers.is_deletion(trigger_type, trigger):
            known = entities.get(entity_key).variable_names()
        for name in event.get("fields", ()):
            if name in known:
                continue
            label = str(EVENT_LABELS.get(name, name))
            if name == "changed":
                rows = record_fields(entity_key) if entity_key else []
                choices = [_choice(i["name"], i["label"]) for i in rows if not i.get("derived")]
                out.append({"name": name, "label": label, "kind": MULTI, "choices": choices})
            elif name in ("owner_id", "previous_owner_id", "actor_id"):
                out.append({"name": name, "label": label, "kind": USER})
            else:
                out.append({"name": name, "label": label, "kind": TEXT})
    elif trigger_type == TriggerType.SCHEDULE:
        for name in sorted(triggers.SCHEDULE_VARIABLES):
            kind = BOOLEAN if name == "is_workday" else NUMBER
            out.append({"name": name, "label": SCHEDULE_LABELS[name], "kind": kind})
    elif trigger_type == TriggerType.TIMER:
        out.append({"name": "timer_level", "label": _("Timer level"), "kind": NUMBER})
    out.append({"name": "today", "label": CLOCK_LABELS["today"], "kind": DATE})
    for item in out:
        item["label"] = str(item["label"])
    return out


def condition_fields(trigger_type: str, entity_key: str, trigger: dict) -> list[dict]:
    """Everything a condition of this trigger may read, described (the names are those
    of :func:`triggers.condition_names`)."""
    out: list[dict] = []
    if entity_key and not triggers.is_deletion(trigger_type, trigger):
        out += record_fields(entity_key)
    out += extra_fields(trigger_type, entity_key, trigger)
    return out


# --- enumerated values ------------------------------------------------------------------
def _literals(node) -> list | None:
    if isinstance(node, ast.Constant):
        return [node.value]
    if isinstance(node, ast.List | ast.Tuple) and all(
        isinstance(e, ast.Constant) for e in node.elts
    ):
        return [e.value for e in node.elts]
    return None


def _comparisons(tree):
    """``(name, [literal, …])`` for each comparison of a variable with literals, either
    way round (``tag == 'x'``, ``'x' in tags``, ``status in ['a', 'b']``)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for left, right in zip(operands, operands[1:], strict=False):
            for a, b in ((left, right), (right, left)):
                if isinstance(a, ast.Name):
                    values = _literals(b)
                    if values is not None:
                        yield a.id, values


def _code_text(value) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def enum_problems(tree, fields: list[dict]) -> list[str]:
    """Messages for each literal compared with an enumerated variable that is not one of
    its codes, naming the code of a label (``“价格敏感” is a label; use 'price_sensitive'``)."""
    by_name = {f["name"]: f for f in fields if f["kind"] in CODED}
    problems: list[str] = []
    for name, values in _comparisons(tree):
        spec = by_name.get(name)
        if spec is None:
            continue
        codes = {str(c["value"]) for c in spec.get("choices") or ()}
        for value in values:
            if value is None or str(value) in codes:
                continue
            code = (spec.get("aliases") or {}).get(str(value))
            if code is not None:
                message = _(
                    "%(field)s: “%(value)s” is a label; use %(code)s (the code) instead."
                ) % {"field": spec["label"], "value": value, "code": _code_text(code)}
            else:
                message = _(
                    "%(field)s: “%(value)s” is not one of its values. Use one of: %(codes)s."
                ) % {
                    "field": spec["label"],
                    "value": value,
                    "codes": ", ".join(
                        f"{_code_text(c['value'])} ({c['label']})" for c in spec["choices"]
                    ),
                }
            if message not in problems:
                problems.append(message)
    return problems


def role_choices() -> list[dict]:
    return [_choice(value, label) for value, label in Role.choices]

"""How the automation pages word things for people: a rule version's definition, what a
firing's actions did (with names instead of user ids), the records firings are about.
Reads only; used by :mod:`.views`."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from django.db.models import Count, Max
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesops.core import entities
from salesops.org import selectors as org_selectors

from . import forms, services
from .models import RuleFiring


def entity_labels() -> dict[str, str]:
    return {e.key: str(e.label) for e in entities.all_entities()}


def action_labels() -> dict[str, str]:
    return {a["kind"]: a["label"] for a in services.action_catalogue()}


def text(value) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if value is None or value == "":
        return "—"
    return str(value)


ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)$")


def local_value(value):
    """A stored value for people: an instant (a datetime, or its ISO text as firings keep
    it, in UTC) in the organisation's time zone; anything else as it is."""
    if isinstance(value, str) and ISO_INSTANT.match(value):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    return value


def local_rows(values) -> list[tuple]:
    """``(name, value)`` rows of condition values or variables, instants made local."""
    if not isinstance(values, dict):
        return []
    return [(name, local_value(value)) for name, value in values.items()]


def schedule_text(trigger: dict) -> str:
    """A schedule's simple form in words ("Every month on working day 2 at 09:00")."""
    every, at = trigger.get("every"), trigger.get("at", "")
    if every == "daily":
        return _("Every day at %(at)s") % {"at": at}
    if every == "weekly":
        names = dict(forms.WEEKDAYS)
        days = ", ".join(str(names.get(str(d), d)) for d in trigger.get("weekdays") or [])
        return _("Every week on %(days)s at %(at)s") % {"days": days, "at": at}
    if every == "monthly_workday":
        return _("Every month on working day %(n)s at %(at)s") % {
            "n": trigger.get("workday"),
            "at": at,
        }
    return ""


def definition(version) -> dict:
    """A version's trigger, condition and actions, worded for people."""
    trigger = version.trigger or {}
    labels = action_labels()
    rows = []
    for config in version.actions or []:
        kind = config.get("kind", "")
        rows.append(
            {
                "kind": kind,
                "label": labels.get(kind, kind),
                "settings": [
                    (forms.setting_label(k), text(v))
                    for k, v in config.items()
                    if k != "kind" and v not in (None, "", [])
                ],
            }
        )
    unit = trigger.get("unit", "")
    return {
        "schedule_text": schedule_text(trigger) if version.trigger_type == "schedule" else "",
        "event_label": forms.event_label(trigger["event"]) if trigger.get("event") else "",
        "version": version,
        "trigger": trigger,
        "entity_label": entity_labels().get(version.entity, version.entity),
        "unit_label": forms.UNIT_LABELS.get(unit, unit),
        "action_rows": rows,
    }


RESULT_LABELS = {
    "recipients": gettext_lazy("Recipients"),
    "title": gettext_lazy("Title"),
    "would": gettext_lazy("Would"),
    "skipped": gettext_lazy("Skipped"),
    "assignee": gettext_lazy("Assignee"),
    "task_id": gettext_lazy("Task"),
    "due_at": gettext_lazy("Due"),
    "field": gettext_lazy("Field"),
    "before": gettext_lazy("Before"),
    "after": gettext_lazy("After"),
    "unchanged": gettext_lazy("Unchanged"),
    "value": gettext_lazy("Value"),
    "level": gettext_lazy("Escalation level"),
    "manager_level": gettext_lazy("Manager level"),
    "delivery_id": gettext_lazy("Webhook delivery"),
    "url": gettext_lazy("URL"),
}
PERSON_KEYS = ("recipients", "assignee")


def people_names(results_lists, user) -> dict[int, str]:
    """Names of the people the results mention by id (one query for a whole page)."""
    ids = set()
    for results in results_lists:
        for result in results or []:
            if not isinstance(result, dict):
                continue
            for key in PERSON_KEYS:
                value = result.get(key)
                values = value if isinstance(value, list) else [value]
                ids |= {v for v in values if isinstance(v, int) and not isinstance(v, bool)}
    if not ids:
        return {}
    return {u.pk: u.label for u in org_selectors.visible_users(user).filter(pk__in=ids)}


def result_value(key, value, people) -> str:
    if key in PERSON_KEYS:
        values = value if isinstance(value, list) else [value]
        value = [people.get(v, f"#{v}") if isinstance(v, int) else v for v in values]
        return text(value) if value else "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return text(local_value(value))


def result_rows(results, labels, people=None) -> list[dict]:
    people = people or {}
    rows = []
    for result in results or []:
        if not isinstance(result, dict):
            rows.append({"label": "", "ok": False, "details": [("", text(result))]})
            continue
        kind = result.get("kind", "")
        rows.append(
            {
                "label": labels.get(kind, kind),
                "ok": result.get("ok", True),
                "details": [
                    (str(RESULT_LABELS.get(k, k)), result_value(k, v, people))
                    for k, v in result.items()
                    if k not in ("kind", "ok", "error")
                ],
                "error": result.get("error", ""),
                "summary": result.get("would") or result.get("skipped") or "",
            }
        )
    return rows


def decorate_firings(firings: list[RuleFiring], user) -> list[RuleFiring]:
    """Attach each firing's record (one query per entity for the whole page), a link to
    it when the record has a page, and its results worded for people."""
    wanted = defaultdict(set)
    for firing in firings:
        if firing.entity and firing.object_id:
            wanted[firing.entity].add(firing.object_id)
    found = {}
    for key, ids in wanted.items():
        try:
            entity = entities.get(key)
        except LookupError:
            continue
        for pk, obj in entity.model._default_manager.in_bulk(list(ids)).items():
            found[(key, pk)] = obj
    labels = action_labels()
    entity_names = entity_labels()
    people = people_names([f.results for f in firings], user)
    for firing in firings:
        record = found.get((firing.entity, firing.object_id))
        firing.record = record
        getter = getattr(record, "get_absolute_url", None)
        firing.record_url = getter() if getter else ""
        firing.entity_label = entity_names.get(firing.entity, firing.entity)
        firing.result_rows = result_rows(firing.results, labels, people)
        firing.value_rows = local_rows(firing.condition_values)
    return firings


def firing_stats(rule_ids: list[int]) -> dict[int, dict]:
    """Firings count and last firing time of the rules on one page (one grouped query on
    the ``(rule, fired_at)`` index, only for these rules)."""
    rows = (
        RuleFiring.objects.filter(rule_id__in=rule_ids)
        .order_by()
        .values("rule_id")
        .annotate(count=Count("id"), last=Max("fired_at"))
    )
    return {row["rule_id"]: row for row in rows}

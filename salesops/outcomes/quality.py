"""Record quality: completeness of customer records and the over-collection guard.

* :func:`completeness` — the share of the required and recommended fields (Settings ·
  Outcomes, per entity) that are filled on the records created in a window.
* :func:`placeholder_fields` — per field and per rep, the share of values that say
  nothing: a placeholder from the settings' list ("无", "-", "1", "N/A", "不详" …,
  compared trimmed and lower-cased) or a *copied* value (the same free text in at least
  ``copy_min_repeats`` of one rep's records in the window). The seeds warn that forcing
  people to fill too much makes them fill it with noise; this shows where.

Both answer with grouped queries (one per entity, two per field), never one per rep.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Count, Q
from django.db.models.functions import Lower, Trim
from django.utils.translation import gettext_lazy as _

from salesops.customers.models import Account, Contact
from salesops.customization import selectors as custom_selectors
from salesops.leads.models import Lead

from .models import OutcomePolicy
from .windows import instant

# entity key → (model, lookup to the owning user, label)
ENTITIES = {
    "lead": (Lead, "owner_id", _("Leads")),
    "account": (Account, "owner_id", _("Accounts")),
    "contact": (Contact, "account__owner_id", _("Contacts")),
}
LISTS = ("required", "recommended")
# Fields no person fills (bookkeeping) are not offered for the completeness lists.
_NOT_FIELDS = {"id", "custom", "created_at", "updated_at", "created_by"}


def field_names(entity: str) -> dict[str, str]:
    """The fields a completeness list may name for ``entity``: model fields and
    ``custom.<key>`` for its active custom fields, each with its label."""
    model = ENTITIES[entity][0]
    names = {}
    for f in model._meta.concrete_fields:
        if f.name in _NOT_FIELDS or not f.editable or f.primary_key:
            continue
        names[f.name] = str(f.verbose_name)
    for definition in custom_selectors.definitions(entity):
        names[f"custom.{definition.key}"] = str(definition.label)
    return names


def _filled_q(model, name: str) -> Q:
    if name.startswith("custom."):
        key = name.split(".", 1)[1]
        return (
            Q(custom__has_key=key) & ~Q(**{f"custom__{key}": ""}) & ~Q(**{f"custom__{key}": None})
        )
    f = model._meta.get_field(name)
    condition = Q(**{f"{f.attname}__isnull": False})
    if isinstance(f, models.CharField | models.TextField):
        condition &= ~Q(**{f.attname: ""})
    return condition


def _fields(policy: OutcomePolicy, entity: str) -> dict[str, list[str]]:
    """The policy's lists for ``entity``, without names that no longer exist (a custom
    field deactivated since the settings were saved is skipped, not an error)."""
    known = field_names(entity)
    lists = (policy.completeness_fields or {}).get(entity) or {}
    return {which: [n for n in lists.get(which, []) if n in known] for which in LISTS}


@dataclass
class Completeness:
    """Filled cells and cells in all per owner, split by list."""

    records: int = 0
    filled: dict = field(default_factory=lambda: dict.fromkeys(LISTS, 0))
    cells: dict = field(default_factory=lambda: dict.fromkeys(LISTS, 0))


def completeness_parts(
    entity: str, start: dt.date, end: dt.date, owner_ids=None, policy=None
) -> dict[int | None, Completeness]:
    """Per owner, the completeness of ``entity`` records created in [start, end)."""
    policy = policy or OutcomePolicy.current()
    model, owner_path, _label = ENTITIES[entity]
    lists = _fields(policy, entity)
    rows = model.objects.filter(created_at__gte=instant(start), created_at__lt=instant(end))
    if owner_ids is not None:
        rows = rows.filter(**{f"{owner_path}__in": owner_ids})
    annotations = {"records": Count("pk")}
    for which in LISTS:
        for i, name in enumerate(lists[which]):
            annotations[f"{which}_{i}"] = Count("pk", filter=_filled_q(model, name))
    result: dict = {}
    for row in rows.order_by().values(owner_path).annotate(**annotations):
        part = result.setdefault(row[owner_path], Completeness())
        part.records += row["records"]
        for which in LISTS:
            part.cells[which] += row["records"] * len(lists[which])
            part.filled[which] += sum(row[f"{which}_{i}"] for i in range(len(lists[which])))
    return result


@dataclass
class FieldQuality:
    """One field's placeholder and copied values in a window, overall and per rep."""

    entity: str
    field: str
    label: str
    total: int = 0
    placeholders: int = 0
    copied: int = 0
    per_rep: dict = field(default_factory=dict)  # owner id → [total, placeholders, copied]

    @property
    def suspect(self) -> int:
        return self.placeholders + self.copied

    @property
    def share(self) -> float | None:
        return round(100 * self.suspect / self.total, 1) if self.total else None


def _free_text(model, name: str) -> bool:
    """Copies are looked for in free text only: codes (industry, province …) repeat by
    nature."""
    if name.startswith("custom."):
        return True
    f = model._meta.get_field(name)
    if not isinstance(f, models.CharField | models.TextField) or f.choices:
        return False
    return name not in {"industry", "size_band", "province", "city", "level", "decision_role"}


def placeholder_fields(
    entity: str,
    start: dt.date,
    end: dt.date,
    owner_ids=None,
    *,
    fields: list[str] | None = None,
    policy: OutcomePolicy | None = None,
) -> list[FieldQuality]:
    """Placeholder and copied values in ``entity``'s records created in [start, end) —
    by default in its *required* completeness fields — per field and per rep, worst
    field first. ``owner_ids`` (``None``: everyone) limits the records to those owners."""
    policy = policy or OutcomePolicy.current()
    model, owner_path, _label = ENTITIES[entity]
    known = field_names(entity)
    names = fields if fields is not None else _fields(policy, entity)["required"]
    placeholders = sorted({str(p).strip().lower() for p in policy.placeholders or []})
    repeats = max(2, int(policy.copy_min_repeats or 5))
    rows = model.objects.filter(created_at__gte=instant(start), created_at__lt=instant(end))
    if owner_ids is not None:
        rows = rows.filter(**{f"{owner_path}__in": owner_ids})
    rows = rows.order_by()
    result = []
    for name in names:
        if name not in known:
            continue
        quality = FieldQuality(entity, name, known[name])
        if name.startswith("custom."):
            # A custom value is JSON: compared as text after the database's cast.
            column = models.functions.Cast(f"custom__{name.split('.', 1)[1]}", models.TextField())
        else:
            column = model._meta.get_field(name).attname
        normal = Lower(Trim(column))
        filled = _filled_q(model, name)
        counts = rows.filter(filled).alias(_v=normal).values(owner_path)
        counts = counts.annotate(
            total=Count("pk"), placeholders=Count("pk", filter=Q(_v__in=placeholders))
        )
        for row in counts:
            quality.per_rep[row[owner_path]] = [row["total"], row["placeholders"], 0]
        if _free_text(model, name):
            # Values repeated at least ``repeats`` times by one owner (placeholders
            # already counted are left out).
            copies = (
                rows.filter(filled)
                .annotate(_v=normal)
                .exclude(_v__in=placeholders)
                .values(owner_path, "_v")
                .annotate(n=Count("pk"))
                .filter(n__gte=repeats)
            )
            for row in copies:
                entry = quality.per_rep.setdefault(row[owner_path], [0, 0, 0])
                entry[2] += row["n"]
        for total, placeholder_count, copied in quality.per_rep.values():
            quality.total += total
            quality.placeholders += placeholder_count
            quality.copied += copied
        result.append(quality)
    result.sort(key=lambda q: -(q.share or 0))
    return result


def placeholder_by_rep(items: list[FieldQuality]) -> dict[int | None, dict]:
    """Across fields: per owner, values checked and suspect (placeholder or copied)."""
    totals: dict = defaultdict(lambda: {"total": 0, "placeholders": 0, "copied": 0})
    for item in items:
        for owner, (total, placeholder_count, copied) in item.per_rep.items():
            totals[owner]["total"] += total
            totals[owner]["placeholders"] += placeholder_count
            totals[owner]["copied"] += copied
    return dict(totals)

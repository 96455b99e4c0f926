"""Turn django-simple-history rows into "who changed what, before → after" for the pages.

Generic over every model with ``history = HistoricalRecords()``. The rows are read in
one query with the acting user joined; each row is diffed against the next-older row of
the same list (not ``record.prev_record``, which would cost one query per row), and
foreign keys are resolved with one query per related model.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from simple_history.manager import HistoryDescriptor

HISTORY_TYPES = {
    "+": ("created", _("created")),
    "~": ("changed", _("changed")),
    "-": ("deleted", _("deleted")),
}
EMPTY = "—"
DEFAULT_LIMIT = 100


class CachedHistoryDescriptor(HistoryDescriptor):
    """``Model.history`` / ``instance.history``, building its manager class once.

    simple-history's descriptor calls ``Manager.from_queryset()`` on every access, which
    builds a new class by inspecting every queryset method; every save of a tracked model
    accesses it to write the history row. That was a twentieth of a lead intake, inside
    the write transaction. The class built is the same each time, so build it once."""

    def __get__(self, instance, owner):
        manager = self.__dict__.get("_manager")
        if manager is None:
            manager = self.manager_class.from_queryset(self.queryset_class)
            self._manager = manager
        return manager(self.model, instance)


# Where the writes in the current block come from ("import #12"): every history row
# written meanwhile, by any service, records it beside its reason.
_SOURCE: ContextVar[str] = ContextVar("history_source", default="")


@contextmanager
def source(text: str) -> Iterator[None]:
    """Within the block, every history row's reason ends with `` · <text>`` (an Excel
    import audits each record it writes with the import as its source)."""
    token = _SOURCE.set(text)
    try:
        yield
    finally:
        _SOURCE.reset(token)


def with_source(reason: str | None) -> str:
    """``reason`` with the current block's source appended, if there is one."""
    current = _SOURCE.get()
    reason = reason or ""
    if not current:
        return reason
    return f"{reason} · {current}" if reason else current


def mark_source(sender, history_instance=None, **kwargs) -> None:
    """simple-history's ``pre_create_historical_record``: append the block's source."""
    if _SOURCE.get() and history_instance is not None:
        history_instance.history_change_reason = with_source(history_instance.history_change_reason)


def save_with_history(instance, actor, reason: str, **save_kwargs) -> None:
    """Save ``instance`` with the user and reason its history row records (the service
    has validated it: this only writes)."""
    instance._history_user = actor
    instance._change_reason = reason
    instance.save(**save_kwargs)


def cache_history_managers(models_) -> int:
    """Swap simple-history's descriptor for :class:`CachedHistoryDescriptor` on each
    tracked model of ``models_``; returns how many were swapped."""
    swapped = 0
    for model in models_:
        name = getattr(model._meta, "simple_history_manager_attribute", None)
        descriptor = model.__dict__.get(name) if name else None
        if type(descriptor) is HistoryDescriptor:
            setattr(
                model,
                name,
                CachedHistoryDescriptor(
                    descriptor.model,
                    manager=descriptor.manager_class,
                    queryset=descriptor.queryset_class,
                ),
            )
            swapped += 1
    return swapped


def history_records(instance, *, limit: int = DEFAULT_LIMIT) -> list:
    """The newest ``limit`` history rows of ``instance`` plus one older row, which is only
    there to diff the oldest shown row against. One query."""
    qs = instance.history.select_related("history_user").order_by("-history_date", "-history_id")
    return list(qs[: limit + 1])


def _display(field: models.Field | None, value, related: dict) -> str:
    if value is None or value == "":
        return EMPTY
    if field is None:
        return force_str(value)
    if field.is_relation:
        obj = related.get((field.related_model, value))
        return force_str(obj) if obj is not None else f"#{value}"
    if field.flatchoices:
        return force_str(dict(field.flatchoices).get(value, value))
    # A code of an editable list (core.choices.display_method): its label.
    label_of = getattr(getattr(field.model, f"get_{field.name}_display", None), "label_of", None)
    if label_of is not None:
        return force_str(label_of(value))
    if isinstance(field, models.BooleanField):
        return force_str(_("yes") if value else _("no"))
    return force_str(value)


def _load_related(model, deltas) -> dict:
    """``{(related model, pk): object}`` for every foreign key value in the changes."""
    wanted: dict = defaultdict(set)
    for delta in deltas:
        for change in delta.changes:
            field = _field(model, change.field)
            if field is not None and field.is_relation:
                wanted[field.related_model].update(
                    v for v in (change.old, change.new) if v not in (None, "")
                )
    related = {}
    for related_model, pks in wanted.items():
        # _base_manager: show the name even of a user or record that is now hidden or
        # deactivated; history must not lose who a record used to belong to.
        for obj in related_model._base_manager.filter(pk__in=pks):
            related[(related_model, obj.pk)] = obj
    return related


def _field(model, name: str):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:  # a field removed since the row was written
        return None


def history_entries(instance, *, limit: int = DEFAULT_LIMIT, exclude=()) -> list[dict]:
    """The change log of ``instance``, newest first, one dict per history row::

        {"id", "date", "user", "type": "created"|"changed"|"deleted", "type_label",
         "reason", "changes": [{"field": name, "label": verbose name, "old": "…", "new": "…"}]}

    Values are shown the way the pages show them (choice labels, related objects' names).
    ``exclude`` names fields whose changes are noise on this page.
    """
    model = type(instance)
    records = history_records(instance, limit=limit)
    pairs = [
        (rec, records[i + 1] if i + 1 < len(records) else None)
        for i, rec in enumerate(records[:limit])
    ]
    deltas = [
        rec.diff_against(prev, excluded_fields=exclude) for rec, prev in pairs if prev is not None
    ]
    related = _load_related(model, deltas)
    by_id = {id(d.new_record): d for d in deltas}
    entries = []
    for rec, _prev in pairs:
        key, label = HISTORY_TYPES.get(rec.history_type, ("changed", _("changed")))
        changes = []
        delta = by_id.get(id(rec))
        if delta is not None and key == "changed":
            for change in delta.changes:
                field = _field(model, change.field)
                changes.append(
                    {
                        "field": change.field,
                        "label": force_str(field.verbose_name)
                        if field is not None
                        else change.field,
                        "old": _display(field, change.old, related),
                        "new": _display(field, change.new, related),
                    }
                )
            changes.sort(key=lambda c: _field_order(model, c["field"]))
        entries.append(
            {
                "id": rec.history_id,
                "date": rec.history_date,
                "user": rec.history_user,
                "type": key,
                "type_label": label,
                "reason": getattr(rec, "history_change_reason", "") or "",
                "changes": changes,
            }
        )
    return entries


def _field_order(model, name: str) -> int:
    """Changes listed in the order the form shows the fields, not alphabetically."""
    names = [f.name for f in model._meta.get_fields()]
    return names.index(name) if name in names else len(names)

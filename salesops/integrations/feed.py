"""The finance feed: an ERP/finance system pushes records with its own ``external_id``.

The kinds it accepts (``register("payment", upsert, model=Payment)``) and the references
records may carry (``register_reference("contract_number", …)``) are declared in
``integrations.kinds``, which calls the apps' services: the apps do not know the feed. An
upsert function has one contract::

    upsert(*, actor, external_id: str, data: dict, source: str) -> (instance, status)

with ``status`` "created" | "updated" | "unchanged": the same data twice is "unchanged"
(no write, no history row, no event); a change is an update with a history row; bad data
raises ``ValidationError`` naming the fields. References inside ``data``
(``account_external_id``, ``account_credit_code``, ``contract_external_id``,
``contract_number`` …) are resolved here, before the upsert sees the record: it gets
``account`` / ``contract`` instances, and an unknown one is reported under the key sent.

A batch (:func:`process`) is one transaction in which each record is kept or refused on
its own, so the good records are kept when some are bad, and events go out once, after the
commit. New rows are queued and written together (``core.unitofwork``); a change to a
stored row runs in its own savepoint. The records a batch refers to — existing rows by
external id, accounts and contracts by reference, and what each kind's ``prefetch`` asks —
are read up front in one query per kind and per reference, not one per record.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from salesops.core import entities, unitofwork
from salesops.org.models import Role

log = logging.getLogger(__name__)

MAX_BATCH = 1000
EXTERNAL_ID_MAX = 100
STATUSES = ("created", "updated", "unchanged", "error")


@dataclass(frozen=True)
class Kind:
    key: str
    upsert: Callable
    model: type | None = None  # rows prefetched by external_id for a batch
    label: str = ""
    # Called as ``prefetch(datas, refs)`` with the ``data`` of the batch's records of this
    # kind, before any runs, to read ahead what their checks ask (which numbers are taken).
    # ``refs(key, value)`` is the instance a reference names, or None.
    prefetch: Callable | None = None
    # Called as ``warnings(instance)`` after a record was kept: what the system flagged on
    # it (a payment over its contract), ``[{"code", "message", "field"}]``, reported in the
    # record's result so the sender learns it too.
    warnings: Callable | None = None


@dataclass(frozen=True)
class Reference:
    key: str  # the key in a record's data: "contract_number"
    target: str  # what the upsert receives instead: "contract"
    model: type
    field: str  # looked up on: "number"
    select_related: tuple[str, ...] = field(default=())
    # What a referring record reads of the row (the rest loads on first use), so a batch
    # naming a thousand contracts does not build a thousand full ones.
    only: tuple[str, ...] = field(default=())


_kinds: dict[str, Kind] = {}
_references: dict[str, Reference] = {}


def register(
    kind: str,
    upsert: Callable,
    *,
    model=None,
    label: str = "",
    prefetch: Callable | None = None,
    warnings: Callable | None = None,
) -> Kind:
    _kinds[kind] = Kind(
        key=kind,
        upsert=upsert,
        model=model,
        label=label or kind,
        prefetch=prefetch,
        warnings=warnings,
    )
    return _kinds[kind]


def register_reference(
    key: str,
    *,
    target: str,
    model,
    field: str,
    select_related: tuple[str, ...] = (),
    only: tuple[str, ...] = (),
) -> None:
    _references[key] = Reference(key, target, model, field, tuple(select_related), tuple(only))


def kinds() -> list[str]:
    return sorted(_kinds)


def get_kind(key: str) -> Kind | None:
    return _kinds.get(key)


# --- the batch cache ------------------------------------------------------------------------


class _Cache:
    def __init__(self):
        self.rows: dict[type, dict[str, object]] = {}
        self.refs: dict[tuple[str, str], object] = {}

    def remember(self, instance) -> None:
        """A row the batch created or changed: later records may refer to it."""
        model = type(instance)
        if model in self.rows and getattr(instance, "external_id", ""):
            self.rows[model][instance.external_id] = instance
        for ref in _references.values():
            if ref.model is model:
                value = getattr(instance, ref.field, "")
                if value:
                    self.refs[(ref.key, str(value))] = instance


_cache: contextvars.ContextVar[_Cache | None] = contextvars.ContextVar(
    "salesops_feed_cache", default=None
)


_STALE = object()


def existing(model, external_id: str):
    """The ``model`` row with this external id, or None, read in the current transaction
    and locked (where the database can) — the upsert may change this instance directly.
    From the batch's prefetch when there is one, else one query."""
    cache = _cache.get()
    if cache is not None and model in cache.rows:
        row = cache.rows[model].get(external_id)
        if row is not _STALE:
            return row
    row = _locking(model.objects).filter(external_id=external_id).first()
    if cache is not None and model in cache.rows:
        cache.rows[model][external_id] = row
    return row


def _locking(queryset):
    if connection.features.has_select_for_update:
        return queryset.select_for_update(of=("self",))
    return queryset


def _forget(record) -> None:
    """A refused upsert may have left its instance half-changed: read it again if a later
    record of the batch needs it."""
    cache = _cache.get()
    kind = _kinds.get(record.get("kind"))
    if cache is not None and kind is not None and kind.model in cache.rows:
        rows = cache.rows[kind.model]
        if rows.get(record["external_id"].strip()) is not None:
            rows[record["external_id"].strip()] = _STALE


def _prefetch(records: list[dict]) -> _Cache:
    cache = _Cache()
    ids: dict[type, set[str]] = defaultdict(set)
    values: dict[str, set[str]] = defaultdict(set)
    datas: dict[Kind, list[dict]] = defaultdict(list)
    for record in records:
        if not isinstance(record, dict):
            continue
        kind = _kinds.get(record.get("kind"))
        if kind and kind.model is not None and isinstance(record.get("external_id"), str):
            ids[kind.model].add(record["external_id"].strip())
        data = record.get("data")
        if isinstance(data, dict):
            if kind and kind.prefetch is not None:
                datas[kind].append(data)
            for key in data.keys() & _references.keys():
                if data[key] not in (None, ""):
                    values[key].add(str(data[key]))
    for model, wanted in ids.items():
        rows = cache.rows.setdefault(model, {})
        for chunk in _chunks(sorted(wanted)):
            queryset = _locking(model.objects).filter(external_id__in=chunk)
            rows.update({r.external_id: r for r in queryset})
    for key, wanted in values.items():
        ref = _references[key]
        queryset = ref.model.objects.only(*ref.only) if ref.only else ref.model.objects.all()
        if ref.select_related:  # (select_related() without names would follow every key)
            queryset = queryset.select_related(*ref.select_related)
        for chunk in _chunks(sorted(wanted)):
            for row in queryset.filter(**{f"{ref.field}__in": chunk}):
                cache.refs[(key, str(getattr(row, ref.field)))] = row

    def refs(key, value):
        return None if value in (None, "") else cache.refs.get((key, str(value)))

    for kind, kind_datas in datas.items():
        kind.prefetch(kind_datas, refs)
    return cache


def _chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _resolve(data: dict, cache: _Cache | None) -> tuple[dict, dict, dict]:
    """Replace reference keys by instances: ``(data, errors, source_key_of_target)``."""
    resolved, errors, used = {}, {}, {}
    for key, value in data.items():
        ref = _references.get(key)
        if ref is None:
            resolved[key] = value
            continue
        if value in (None, ""):
            continue
        if ref.target in resolved and ref.target in used:
            continue  # account_external_id and account_credit_code both sent: first wins
        if cache is not None:
            instance = cache.refs.get((key, str(value)))
        else:
            instance = ref.model.objects.filter(**{ref.field: value}).first()
        if instance is None:
            errors[key] = [
                _("No %(what)s with %(key)s “%(value)s”; send it first or check the value.")
                % {"what": ref.model._meta.verbose_name, "key": key, "value": value}
            ]
            continue
        resolved[ref.target] = instance
        used[ref.target] = key
    return resolved, errors, used


# --- running records ------------------------------------------------------------------------


def _error_list(exc: ValidationError, used: dict) -> list[dict]:
    out = []
    if hasattr(exc, "error_dict"):
        for name, errs in exc.error_dict.items():
            for e in errs:
                message = e.message % e.params if e.params else e.message
                field_name = used.get(name, name)
                out.append(
                    {
                        "field": None if field_name == "__all__" else field_name,
                        "code": e.code or "invalid",
                        "message": str(message),
                    }
                )
    else:
        out = [{"field": None, "code": "invalid", "message": str(m)} for m in exc.messages]
    return out


def _envelope_errors(record) -> list[dict]:
    if not isinstance(record, dict):
        return [{"field": None, "code": "invalid", "message": _("Each record is an object.")}]
    errors = []
    if record.get("kind") not in _kinds:
        errors.append(
            {
                "field": "kind",
                "code": "invalid_choice",
                "message": _("Unknown kind; use one of: %(kinds)s.")
                % {"kinds": ", ".join(kinds())},
            }
        )
    external_id = record.get("external_id")
    if not isinstance(external_id, str) or not external_id.strip():
        errors.append(
            {
                "field": "external_id",
                "code": "required",
                "message": _("Send the record's id in your system."),
            }
        )
    elif len(external_id) > EXTERNAL_ID_MAX:
        errors.append(
            {
                "field": "external_id",
                "code": "max_length",
                "message": _("Too long: at most %(n)s characters.") % {"n": EXTERNAL_ID_MAX},
            }
        )
    if not isinstance(record.get("data"), dict):
        errors.append(
            {
                "field": "data",
                "code": "invalid",
                "message": _("Send the record's fields as an object."),
            }
        )
    return errors


def _is_new(kind: Kind, external_id: str, cache: _Cache | None) -> bool:
    """Known not to exist: the batch read every row its records name, and this was not one."""
    if cache is None or kind.model is None or kind.model not in cache.rows:
        return False
    return external_id not in cache.rows[kind.model]


def _names_queued(unit, kind: Kind, external_id: str, data: dict, cache: _Cache | None) -> bool:
    """Whether the record changes or refers to a row still in the batch's queue."""
    if not len(unit):
        return False
    if any(unit.is_queued(value) for value in data.values()):
        return True
    if cache is not None and kind.model in cache.rows:
        return unit.is_queued(cache.rows[kind.model].get(external_id))
    return False


def run_one(*, actor, record: dict, source: str, index: int = 0) -> dict:
    """One record; its result, never an exception for bad data.

    With a unit of work (``core.unitofwork``, see :func:`process`) a record known to be new
    runs without a savepoint: its new rows are only queued, so a refusal drops them from the
    queue. Any other record (a change to a stored row) runs in its own savepoint."""
    result = {
        "index": index,
        "kind": record.get("kind") if isinstance(record, dict) else None,
        "external_id": record.get("external_id") if isinstance(record, dict) else None,
    }
    errors = _envelope_errors(record)
    if errors:
        return {**result, "status": "error", "errors": errors}
    kind = _kinds[record["kind"]]
    cache = _cache.get()
    data, ref_errors, used = _resolve(record["data"], cache)
    if ref_errors:
        return {
            **result,
            "status": "error",
            "errors": _error_list(ValidationError(ref_errors), used),
        }
    source = str(record.get("source") or source or "feed")[:50]
    external_id = record["external_id"].strip()
    unit = unitofwork.current()
    mark = None
    if unit is not None:
        if _names_queued(unit, kind, external_id, data, cache):
            unit.flush()  # the record reads or changes a queued row: write the queue first
        mark = unit.mark()
    new = unit is not None and _is_new(kind, external_id, cache)
    try:
        with contextlib.nullcontext() if new else transaction.atomic():
            instance, status = kind.upsert(
                actor=actor, external_id=external_id, data=data, source=source
            )
    except ValidationError as exc:
        if mark is not None:
            unit.rollback(mark)
        _forget(record)
        return {**result, "status": "error", "errors": _error_list(exc, used)}
    except IntegrityError:
        if new:
            raise  # no savepoint to go back to: the batch runs again record by record
        if mark is not None:
            unit.rollback(mark)
        _forget(record)
        return {
            **result,
            "status": "error",
            "errors": [
                {
                    "field": None,
                    "code": "conflict",
                    "message": _("Conflicts with another record (a number or id already used)."),
                }
            ],
        }
    if cache is not None:
        cache.remember(instance)
    result = {**result, "status": status, "id": instance.pk}
    flagged = kind.warnings(instance) if kind.warnings is not None else None
    if flagged:
        result["warnings"] = flagged
    return result


@contextlib.contextmanager
def _batch(records: list):
    """Within a batch, upserts may remember what stays true for all its records
    (``entities.batch_memo``): custom field definitions, a contract's paid total."""
    with entities.variable_batch():
        token = _cache.set(_prefetch(records))
        try:
            yield
        finally:
            _cache.reset(token)


class BatchTooLarge(ValueError):
    pass


def _expect(unit, records: list) -> None:
    counts: dict[type, int] = defaultdict(int)
    for record in records:
        kind = _kinds.get(record.get("kind")) if isinstance(record, dict) else None
        if kind is not None and kind.model is not None:
            counts[kind.model] += 1
    for model, count in counts.items():
        unit.expect(model, count)


def _run_all(actor, records: list, source: str) -> list[dict]:
    return [
        run_one(actor=actor, record=record, source=source, index=index)
        for index, record in enumerate(records)
    ]


def process(*, actor, records: list, source: str = "") -> dict:
    """Upsert up to :data:`MAX_BATCH` records; ``{"results": [...], "counts": {...}}``.

    One transaction. The records run in order with their new rows queued
    (``core.unitofwork``) and written together at the end; if the database refuses that
    write (a clash a check could not see, such as another writer's row with the same
    number), everything the attempt did is undone and the batch runs again with each
    record saved at once in its own savepoint, so each clash is reported on its record."""
    if len(records) > MAX_BATCH:
        raise BatchTooLarge(
            _("A batch holds at most %(max)d records; this one has %(n)d. Split it.")
            % {"max": MAX_BATCH, "n": len(records)}
        )
    with transaction.atomic():
        results = None
        try:
            with transaction.atomic(), _batch(records), unitofwork.deferred() as unit:
                if unit is not None:
                    _expect(unit, records)
                results = _run_all(actor, records, source)
                if unit is not None:
                    unit.flush()
        except IntegrityError:
            log.info(
                "feed batch of %d: the database refused the queued rows; again one by one",
                len(records),
            )
            results = None
        if results is None:
            with _batch(records):
                results = _run_all(actor, records, source)
    counts = dict.fromkeys(STATUSES, 0)
    for r in results:
        counts[r["status"]] += 1
    return {"counts": counts, "results": results}


def can_use_feed(user) -> bool:
    """Admins and finance (in person or through their API token) may push records."""
    if not user or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.role in (Role.ADMIN, Role.FINANCE)

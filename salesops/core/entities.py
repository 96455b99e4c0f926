"""Registry of business entities that rules, custom fields and tasks can refer to.

Each app registers its models in ``AppConfig.ready`` (``customers`` registers account and
contact; later apps add lead, deal …). The automation engine reads from here which
entities exist, which datetime fields a timer may start from, who owns a record (for
"notify owner / owner's manager"), the variables a condition may use and the ``writer``
through which a rule's "set a field" changes a record: the app's own update service, so
validation, history and events happen as for any other write. An entity registered
without a writer cannot be the target of "set a field".
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import models, transaction

from . import events
from .history import save_with_history

# writer(instance, changes, actor, reason) -> the saved instance. ``changes`` maps field
# names (a foreign key by its name, with the related object) to their new values; a
# refused change raises ValidationError (or PermissionDenied) and writes nothing.
Writer = Callable[[models.Model, dict, object, str], models.Model]


@dataclass(frozen=True)
class Entity:
    key: str  # "account"
    model: type[models.Model]
    label: str
    owner_path: str = "owner"  # lookup from the model to the owning user
    timer_fields: tuple[str, ...] = ("created_at", "updated_at")
    writer: Writer | None = None
    # The model fields rules may read (None: all). A user's password hash, for one, is
    # nothing a condition or a message should see.
    fields: tuple[str, ...] | None = None

    def owner_of(self, instance):
        if self.owner_path == "self":  # the record is a person: they are its "owner"
            return instance
        obj = instance
        for part in self.owner_path.split("__"):
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        return obj

    def reads(self, f) -> bool:
        """Whether rules may read model field ``f`` (see ``fields``)."""
        return self.fields is None or f.name in self.fields or f.attname in self.fields

    def field_names(self) -> list[str]:
        names = []
        for f in self.model._meta.concrete_fields:
            if f.name == "custom" or not self.reads(f):
                continue
            names.append(f.attname if f.is_relation else f.name)
        return names

    def code_relations(self) -> list[tuple[str, str, type[models.Model]]]:
        """Foreign keys to a model with a ``code`` (a check-in's result tag): a condition
        reads them by that code as ``<name>`` (``tag == 'price_sensitive'``), the way the
        events carry them, besides the raw ``<name>_id``."""
        relations = []
        for f in self.model._meta.concrete_fields:
            if not f.is_relation or f.name == f.attname or not self.reads(f):
                continue
            related = f.related_model
            if any(r.name == "code" for r in related._meta.concrete_fields):
                relations.append((f.name, f.attname, related))
        return relations

    def variable_names(self) -> set[str]:
        """Names a condition on this entity may use (custom fields added by customization)."""
        names = set(self.field_names()) | {name for name, _a, _m in self.code_relations()}
        for provider in _variable_providers:
            names |= set(provider.names(self))
        return names

    def variables(self, instance) -> dict:
        """The values a condition sees: model fields (foreign keys as ``<name>_id``) and
        what the variable providers add (custom fields)."""
        values = {}
        # The same for every record of a batch (read once per batch, not per record).
        names = batch_memo(("field_names", self.key), self.field_names)
        for name in names:
            value = getattr(instance, name, None)
            if isinstance(value, float):
                value = Decimal(str(value))
            values[name] = value
        for name, attname, related in batch_memo(("code_relations", self.key), self.code_relations):
            pk = getattr(instance, attname, None)
            codes = batch_memo(
                ("codes", related._meta.label),
                lambda related=related: dict(
                    related._default_manager.values_list("pk", "code").order_by()
                ),
            )
            values[name] = codes.get(pk) if pk is not None else None
        for provider in _variable_providers:
            values.update(provider.values(self, instance))
        return values


_registry: dict[str, Entity] = {}
_variable_providers: list = []


def register(key: str, model, *, label: str, **options) -> Entity:
    entity = Entity(key=key, model=model, label=label, **options)
    _registry[key] = entity
    return entity


def service_writer(update: Callable, argument: str) -> Writer:
    """A writer calling an app's update service ``update(*, actor, <argument>=instance,
    **changes)``, e.g. ``service_writer(services.account_update, "account")``."""

    def write(instance, changes: dict, actor, reason: str):
        return update(actor=actor, **{argument: instance}, **changes)

    return write


def fields_writer(event: str) -> Writer:
    """A writer for state no update service exposes (a lead's SLA state and escalation
    level, which only rules and the SLA code set): the model validates the changed
    fields, the save writes the history row with ``reason``, and ``event`` (e.g.
    ``lead.updated``) is emitted after the commit with the changed field names."""

    @transaction.atomic
    def write(instance, changes: dict, actor, reason: str):
        if not changes:
            return instance
        instance = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
        for name, value in changes.items():
            setattr(instance, name, value)
        names = {instance._meta.get_field(name).name for name in changes}
        exclude = [f.name for f in instance._meta.fields if f.name not in names]
        instance.full_clean(exclude=exclude, validate_unique=False)
        update_fields = [instance._meta.get_field(name).attname for name in changes]
        if any(f.name == "updated_at" for f in instance._meta.concrete_fields):
            update_fields.append("updated_at")
        save_with_history(instance, actor, reason, update_fields=update_fields)
        events.emit(
            event,
            {"id": instance.pk, "changed": sorted(names), "actor_id": getattr(actor, "pk", None)},
        )
        return instance

    return write


def add_variable_provider(provider) -> None:
    """Add an object with ``names(entity)`` and ``values(entity, instance)`` (custom fields)."""
    if provider not in _variable_providers:
        _variable_providers.append(provider)


def described_variables(entity: Entity) -> list[dict]:
    """The variables the providers add to ``entity``, described for the rule builder
    (``{"name", "label", "kind"}``) by the providers that can (``describe(entity)``)."""
    out: list[dict] = []
    for provider in _variable_providers:
        describe = getattr(provider, "describe", None)
        if describe is not None:
            out += describe(entity)
    return out


def get(key: str) -> Entity:
    try:
        return _registry[key]
    except KeyError:
        raise LookupError(
            f"unknown entity {key!r}; known: {', '.join(sorted(_registry))}"
        ) from None


def for_model(model) -> Entity | None:
    for entity in _registry.values():
        if entity.model is model or isinstance(model, entity.model):
            return entity
    return None


def all_entities() -> list[Entity]:
    return sorted(_registry.values(), key=lambda e: e.key)


_batch: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "salesops_entity_variable_batch", default=None
)


@contextlib.contextmanager
def variable_batch():
    """Within the block, variable providers may remember what is the same for every record
    (custom-field definitions): a sweep evaluating thousands of records reads it once.
    Outside a batch nothing is remembered, so a page always sees the latest definitions."""
    token = _batch.set({})
    try:
        yield
    finally:
        _batch.reset(token)


def batch_memo(key, compute: Callable):
    """``compute()``, remembered under ``key`` for the current :func:`variable_batch`."""
    cache = _batch.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]

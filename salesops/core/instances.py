"""New model instances for bulk writers, built without ``Model.__init__``'s per-field work.

``Model(field=value, …)`` walks every field of the model, looks up each keyword, sets
each value through its descriptor and sends ``pre_init`` and ``post_init`` (whose
receivers are looked up by a weak reference to the model on each send). An import
builds five of them per row (the lead, its inquiry and assignment, the report row, the
row key): a fifth of a 100,000-row commit's time went into ``__init__`` alone.

:func:`new_instance` builds the same instance: every concrete field's value in the
instance's ``__dict__`` (the value given, else the field's default, called afresh as
``__init__`` calls it), a related object given by its field's name set through its
descriptor (as ``__init__`` sets it), a fresh ``ModelState``, and ``post_init`` sent when something
listens to it for this model. A model with ``pre_init`` receivers (their arguments are
``__init__``'s) is built by ``__init__`` itself. ``core/tests/test_instances.py``
compares the two.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

# model → [(name, attname, default callable or None, constant default, is a relation)]
_PLANS: dict[type, list] = {}
_IMMUTABLE = (type(None), str, int, bool, float, Decimal)


def _plan(model) -> list:
    plan = _PLANS.get(model)
    if plan is None:
        plan = _PLANS[model] = [_entry(f) for f in model._meta.concrete_fields]
    return plan


def _entry(field) -> tuple:
    """A field's default as a constant when it is one (no default: None or ""; a
    default that is neither callable nor a related instance: its immutable value),
    else the field's ``get_default`` to call for each instance."""
    if not field.is_relation and (not field.has_default() or not callable(field.default)):
        value = field.get_default()
        if type(value) in _IMMUTABLE:
            return field.name, field.attname, None, value, field.is_relation
    if field.is_relation and not field.has_default():
        return field.name, field.attname, None, None, True
    return field.name, field.attname, field.get_default, None, field.is_relation


def new_instance(model, **values):
    """``model(**values)``, where ``values`` name concrete fields by attname
    (``job_id``) or, for a foreign key, by name with the related instance (``job``)."""
    if pre_init.has_listeners(model):
        return model(**values)
    obj = model.__new__(model)
    obj._state = ModelState()
    data = obj.__dict__
    used = 0
    for name, attname, default, constant, relation in _plan(model):
        if relation and name != attname and name in values:
            # Through the descriptor, as __init__ sets it: type-checked, id and cache set.
            setattr(obj, name, values[name])
            used += 1
        elif attname in values:
            data[attname] = values[attname]
            used += 1
        elif default is None:
            data[attname] = constant
        else:
            data[attname] = default()
    if used != len(values):
        known = {p[0] for p in _plan(model)} | {p[1] for p in _plan(model)}
        unknown = sorted(set(values) - known)
        raise TypeError(f"{model.__name__}() got unexpected keyword arguments: {unknown}")
    if post_init.has_listeners(model):
        post_init.send(sender=model, instance=obj)
    return obj

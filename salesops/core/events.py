"""Domain events: services emit them after their transaction commits.

Subscribers (the automation engine, later issues) register with :func:`subscribe`. A
registry of event names with their payload fields lets rule builders offer them.
"""

from __future__ import annotations

import contextvars
import logging
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import transaction

from . import unitofwork

log = logging.getLogger(__name__)

_subscribers: dict[str, list[Callable]] = defaultdict(list)
_catalogue: dict[str, dict] = {}

# The rules whose actions caused the events emitted now (innermost last). An event an
# action causes carries them under CAUSE_KEY, so the automation engine can refuse to let
# a rule re-trigger itself through its own write (a rule on ``contract.updated`` that
# changes the contract) and can cut a chain of rules triggering each other.
CAUSE_KEY = "caused_by_rules"
_cause: contextvars.ContextVar[tuple[int, ...]] = contextvars.ContextVar(
    "salesops_event_cause", default=()
)


@contextmanager
def caused_by(chain: tuple[int, ...]) -> Iterator[None]:
    """Events emitted inside carry ``chain`` (rule ids) as their cause."""
    token = _cause.set(tuple(chain))
    try:
        yield
    finally:
        _cause.reset(token)


def register(name: str, *, fields: tuple[str, ...] = (), description: str = "") -> None:
    """Declare an event and its payload fields."""
    _catalogue[name] = {"name": name, "fields": tuple(fields), "description": description}


def catalogue() -> list[dict]:
    return sorted(_catalogue.values(), key=lambda e: e["name"])


def subscribe(name: str, handler: Callable[[str, dict], None]) -> None:
    """Call ``handler(name, payload)`` after commit for each ``name`` event (``*`` = all)."""
    _subscribers[name].append(handler)


def unsubscribe(name: str, handler: Callable) -> None:
    if handler in _subscribers.get(name, []):
        _subscribers[name].remove(handler)


def _dispatch(name: str, payload: dict) -> None:
    for handler in [*_subscribers.get(name, ()), *_subscribers.get("*", ())]:
        try:
            handler(name, payload)
        except Exception:  # noqa: BLE001 - one bad subscriber must not break the others
            log.exception("event handler %r failed for %s", handler, name)


def emit(name: str, payload: dict) -> None:
    """Dispatch after the current transaction commits (at once if none is open).

    Each emitted event gets an ``event_id``: a subscriber that is handed the same event
    twice (a retried task, a replay) can recognise it and act once."""
    payload = dict(payload)
    if "event_id" not in payload:
        # 128 random bits as 32 hex digits, like uuid4().hex, without building a UUID.
        payload["event_id"] = secrets.token_hex(16)
    if chain := _cause.get():
        payload.setdefault(CAUSE_KEY, list(chain))
    if unitofwork.emit(name, payload, _dispatch_copy):
        return  # held until the batch's queued rows are written (core.unitofwork)
    transaction.on_commit(lambda: _dispatch(name, dict(payload)))


def _dispatch_copy(name: str, payload: dict) -> None:
    _dispatch(name, dict(payload))

"""The one per-process cache of configuration read on hot paths: custom field
definitions, event rules, intake channels, the routing snapshot, the lead SLA policy.

Public intake reads the same few configuration rows for every lead; asking the database
each time was a third of an intake's queries (and without the routing snapshot intake
managed ~31 leads/s instead of ~150–200). A :class:`ConfigCache` keeps what a ``build``
function returned, per key, for up to its age limit (the ``CONFIG_CACHE_SECONDS``
setting, or the one named by ``ttl_setting``; 0 switches caching off, as
the tests do unless they guard a cache: ``core/tests/caching.py``) and drops it at once when the configuration changes:

* in the process that made the change, :meth:`ConfigCache.invalidate` clears it;
* other processes compare a version number kept in Django's cache, so with Redis as the
  cache every process sees a change at its next read; with the local-memory cache the
  age limit bounds how long another process can serve the old value.

:meth:`ConfigCache.invalidate_on` ties a cache to the models it is built from: every save
or delete of one of their rows (a service, the admin, an import) invalidates it.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import threading
import time
import weakref
from collections.abc import Callable, Hashable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

# Inside :func:`steady`: each cache's shared version, read once for the block.
_steady: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "salesops_configcache_steady", default=None
)


@contextlib.contextmanager
def steady():
    """Read each cache's shared version once for the block instead of on every ``get``
    (a batch of thousands of records asks for the same configuration thousands of
    times; another process's change is seen from the next block on). Changes made in
    this process are seen at once, as outside the block (:meth:`ConfigCache.invalidate`
    drops the local values)."""
    if _steady.get() is not None:
        yield
        return
    token = _steady.set({})
    try:
        yield
    finally:
        _steady.reset(token)


def ttl(setting: str = "CONFIG_CACHE_SECONDS") -> float:
    return float(settings.SALESOPS.get(setting, 0) or 0)


class ConfigCache:
    """Values built from configuration rows, per key, for this process."""

    # Every cache of this process (tests empty them all between tests).
    instances: weakref.WeakSet[ConfigCache] = weakref.WeakSet()

    def __init__(self, name: str, *, ttl_setting: str = "CONFIG_CACHE_SECONDS"):
        ConfigCache.instances.add(self)
        self.name = name
        self.ttl_setting = ttl_setting
        self.version_key = f"salesops:config:{name}:version"
        self._values: dict[Hashable, tuple[float, int, Any]] = {}
        self._lock = threading.Lock()

    def enabled(self) -> bool:
        return ttl(self.ttl_setting) > 0

    def _version(self) -> int:
        memo = _steady.get()
        if memo is not None:
            version = memo.get(self.version_key)
            if version is None:
                version = memo[self.version_key] = self._shared_version()
            return version
        return self._shared_version()

    def _shared_version(self) -> int:
        return cache.get_or_set(self.version_key, 1, timeout=None) or 1

    def get(self, key: Hashable, build: Callable[[], Any], *, only_key: bool = False) -> Any:
        """The cached value for ``key``, or ``build()`` (stored when caching is on).
        ``only_key``: drop the other keys when building (a value per day, say, where
        yesterday's is never asked for again)."""
        memo = _steady.get()
        if memo is None:
            limit = ttl(self.ttl_setting)
        else:
            # Inside a steady block the age limit is read once too (a settings lookup
            # per get was most of a cached get's time in a batch).
            limit = memo.get(self.ttl_setting)
            if limit is None:
                limit = memo[self.ttl_setting] = ttl(self.ttl_setting)
        if limit <= 0:
            return build()
        version = self._version()
        entry = self._values.get(key)
        if entry is not None and entry[1] == version and time.monotonic() - entry[0] < limit:
            return entry[2]
        value = build()
        with self._lock:
            if only_key:
                self._values.clear()
            self._values[key] = (time.monotonic(), version, value)
        return value

    def _new_lock(self) -> None:
        self._lock = threading.Lock()

    def clear_local(self) -> None:
        with self._lock:
            self._values.clear()

    def invalidate(self) -> None:
        """Drop the cached values here at once and, through the shared version, in every
        process once the change commits (a process that read the old rows meanwhile
        cannot keep them past the commit)."""

        def bump():
            self.clear_local()
            try:
                cache.incr(self.version_key)
            except ValueError:
                cache.set(self.version_key, 2, timeout=None)

        self.clear_local()
        transaction.on_commit(bump)

    def invalidate_on(self, *models) -> None:
        """Invalidate on every save or delete of a row of ``models``."""

        def handler(sender, **kwargs):
            self.invalidate()

        for model in models:
            for signal in (post_save, post_delete):
                signal.connect(
                    handler,
                    sender=model,
                    weak=False,
                    dispatch_uid=f"configcache:{self.name}:{model._meta.label}",
                )


def _after_fork_in_child() -> None:
    # A process forked while another thread held a cache's lock (core.writebehind forks
    # from a worker thread) would wait on it forever: the child starts with new ones.
    for instance in list(ConfigCache.instances):
        instance._new_lock()


os.register_at_fork(after_in_child=_after_fork_in_child)

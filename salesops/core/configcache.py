"""Per-process caches of configuration read on hot paths (custom field definitions,
event rules, intake channels).

Public intake reads the same few configuration rows for every lead; asking the database
each time was a third of an intake's queries. A :class:`ConfigCache` keeps what a
``build`` function returned for up to ``CONFIG_CACHE_SECONDS`` (0 switches caching off,
as the test settings do) and drops it at once when the configuration changes:

* in the process that made the change, :meth:`ConfigCache.invalidate` clears it;
* other processes compare a version number kept in Django's cache, so with Redis as the
  cache every process sees a change at its next read; with the local-memory cache the
  age limit bounds how long another process can serve the old value.

:meth:`ConfigCache.invalidate_on` ties a cache to the models it is built from: every save
or delete of one of their rows (a service, the admin, an import) invalidates it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction


def ttl() -> float:
    return float(settings.SALESOPS.get("CONFIG_CACHE_SECONDS", 0) or 0)


class ConfigCache:
    """Values built from configuration rows, per key, for this process."""

    def __init__(self, name: str):
        self.name = name
        self.version_key = f"salesops:config:{name}:version"
        self._values: dict[Hashable, tuple[float, int, Any]] = {}
        self._lock = threading.Lock()

    def _version(self) -> int:
        return cache.get_or_set(self.version_key, 1, timeout=None) or 1

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The cached value for ``key``, or ``build()`` (stored when caching is on)."""
        limit = ttl()
        if limit <= 0:
            return build()
        version = self._version()
        entry = self._values.get(key)
        if entry is not None and entry[1] == version and time.monotonic() - entry[0] < limit:
            return entry[2]
        value = build()
        with self._lock:
            self._values[key] = (time.monotonic(), version, value)
        return value

    def clear_local(self) -> None:
        with self._lock:
            self._values.clear()

    def invalidate(self) -> None:
        """Drop the cached values here and, through the shared version, everywhere."""

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
        from django.db.models.signals import post_delete, post_save

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

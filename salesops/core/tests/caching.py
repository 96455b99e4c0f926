"""The per-process caches in tests: off by default, on in the tests that guard them.

Configuration read on hot paths (custom field definitions, event rules, intake channels:
``core/configcache``; the routing snapshot and today's counts: ``leads/routing``; the SLA
policy) is cached per process in production. Under pytest each test runs in a
transaction that is rolled back, and a rollback sends no ``post_delete`` signal, so a
value cached by one test could be served to the next one, which never created those
rows. So every test starts with the caches off (``_caches_off``, autouse), and a test
that guards a cache switches them on, as in production, starting empty and emptied
afterwards::

    @pytest.mark.usefixtures("config_cache_on")
    def test_a_new_custom_field_is_accepted_at_once(...): ...

This replaces the global switch the settings used to flip under pytest, which kept every
cache off in every test, so no test could catch a stale-cache bug.
The root conftest registers this file as a plugin.
"""

from __future__ import annotations

import pytest

# Production values would do; a minute is long enough that only an invalidation (never
# the age limit) can make a test see a change.
ON_SECONDS = 60.0
KEYS = ("CONFIG_CACHE_SECONDS", "ROUTING_CACHE_SECONDS")


def empty_process_caches() -> None:
    """Forget every cached configuration value of this process and the shared versions."""
    # Imported here: this plugin is loaded with the root conftest, before Django is set up.
    from django.core.cache import cache

    from salesops.core.configcache import ConfigCache
    from salesops.leads import routing

    cache.clear()
    for config_cache in list(ConfigCache.instances):
        config_cache.clear_local()
    routing._tally.day = None  # today's counts are read again at the next assignment


@pytest.fixture(autouse=True)
def _caches_off(settings):
    """Every test reads configuration from the database unless it asks for the caches."""
    settings.SALESOPS = {**settings.SALESOPS, **dict.fromkeys(KEYS, 0.0)}
    # The organisation settings stay cached, as in production (an intake's query count
    # is the production one), but nothing a rolled-back test saved survives it.
    from salesops.core import orgsettings

    # Only invalidation, never the age limit, refreshes it within a test (a loaded machine
    # must not add queries to a test that counts them).
    settings.SALESOPS["ORG_SETTINGS_CACHE_SECONDS"] = 3600.0
    orgsettings.cache.clear_local()
    yield
    orgsettings.cache.clear_local()


@pytest.fixture
def config_cache_on(_caches_off, settings):
    """The caches on, as in production (``CONFIG_CACHE_SECONDS`` and
    ``ROUTING_CACHE_SECONDS`` one minute), starting empty and emptied afterwards."""
    settings.SALESOPS = {**settings.SALESOPS, **dict.fromkeys(KEYS, ON_SECONDS)}
    empty_process_caches()
    yield
    empty_process_caches()

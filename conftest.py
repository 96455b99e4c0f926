"""Project-wide pytest fixtures: an organisation tree and users for every role."""

import pytest

# The real server (`salesops run` as a subprocess) for tests where WSGI matters.
# Caches off by default, on where a test guards them (``config_cache_on``).
pytest_plugins = ["salesops.core.tests.realserver", "salesops.core.tests.caching"]


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """Tests read messages in English unless they switch; zh-Hans stays the product default."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def org(db):
    """A small organisation::

    company (director)
    ├── East 华东 (manager_east) ── reps: rep_a, rep_b
    │     └── Shanghai group (manager_sh) ── rep: rep_c
    └── South 华南 (manager_south) ── rep: rep_d
    plus admin, finance, cs users at company level.
    """
    from salesops.org.tests.factories import build_org

    return build_org()

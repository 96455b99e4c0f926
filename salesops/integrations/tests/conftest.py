"""The revenue tests' fixed day and event log, for the feed's revenue kinds."""

from salesops.revenue.tests.conftest import _today, seen  # noqa: F401 - fixtures

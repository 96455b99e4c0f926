"""Fixtures for the read model's tests: the revenue tests' fixed "today" (2026-07-15 10:00
Shanghai, after the contracts were signed), so values such as years as a customer hold."""

import pytest
import time_machine

from salesops.revenue.tests.conftest import TODAY


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield

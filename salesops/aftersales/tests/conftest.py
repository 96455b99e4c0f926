"""Fixtures for after-sales tests: accounts of two reps and a log of emitted events."""

import pytest

from salesops.core import events
from salesops.customers.tests.factories import make_account, make_contact


@pytest.fixture
def accounts(org):
    """One account per rep (rep_a, rep_b, rep_c, rep_d) and one owned by customer success."""
    return {
        name: make_account(getattr(org, name), name=f"{name} 客户")
        for name in ("rep_a", "rep_b", "rep_c", "rep_d", "cs")
    }


@pytest.fixture
def account(accounts):
    return accounts["rep_a"]


@pytest.fixture
def contact(account):
    return make_contact(account, name="王经理")


@pytest.fixture
def seen():
    """Every after-sales event dispatched (after commit), as ``(name, payload)``."""
    log = []

    def handler(name, payload):
        if name.split(".")[0] in ("complaint", "nps", "ticket", "renewal"):
            log.append((name, payload))

    events.subscribe("*", handler)
    yield log
    events.unsubscribe("*", handler)

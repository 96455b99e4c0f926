"""Factories for contracts and what follows them, built through the services."""

import datetime as dt
import itertools
from decimal import Decimal

from salesops.customers.tests.factories import make_account
from salesops.revenue import billing, services

_seq = itertools.count(1)
SIGNED = dt.date(2026, 3, 2)


def make_contract(account=None, *, owner=None, **data):
    """A signed ¥100,000 contract with a 30 / 60 / 10 plan unless told otherwise."""
    if account is None:
        account = make_account(owner)
    n = next(_seq)
    data.setdefault("number", f"HT-2026-{n:04d}")
    data.setdefault("amount", Decimal("100000.00"))
    data.setdefault("status", "signed")
    data.setdefault("signed_on", SIGNED)
    data.setdefault(
        "instalments",
        [
            {"due_on": dt.date(2026, 3, 16), "percent": "30"},
            {"due_on": dt.date(2026, 6, 30), "percent": "60"},
            {"due_on": dt.date(2026, 12, 31), "percent": "10"},
        ],
    )
    actor = data.pop("actor", account.owner)
    return services.contract_create(actor=actor, account=account, **data)


def make_payment(contract, amount="30000.00", **data):
    data.setdefault("received_on", dt.date(2026, 3, 20))
    actor = data.pop("actor", contract.owner)
    return billing.payment_record(actor=actor, contract=contract, amount=Decimal(amount), **data)


def make_invoice(contract, amount="30000.00", **data):
    n = next(_seq)
    data.setdefault("number", f"FP{n:08d}")
    data.setdefault("issued_on", dt.date(2026, 3, 21))
    actor = data.pop("actor", contract.owner)
    return billing.invoice_create(actor=actor, contract=contract, amount=Decimal(amount), **data)

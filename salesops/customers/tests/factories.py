"""Factories for accounts and contacts, built through the services (audit + events)."""

import itertools

from stdnum.cn import uscc

from salesops.customers import services

_seq = itertools.count(1)


def credit_code(n: int | None = None) -> str:
    """A valid unified social credit code (the check digit computed by python-stdnum)."""
    n = next(_seq) if n is None else n
    body = f"91310000{n:09d}"
    return body + uscc.calc_check_digit(body)


def mobile(n: int | None = None) -> str:
    n = next(_seq) if n is None else n
    return f"139{n:08d}"


def make_account(owner, **data):
    n = next(_seq)
    data.setdefault("name", f"测试公司{n}")
    data.setdefault("province", "上海市")
    data.setdefault("city", "上海市")
    return services.account_create(actor=data.pop("actor", owner), owner=owner, **data)


def make_contact(account, **data):
    n = next(_seq)
    data.setdefault("name", f"联系人{n}")
    data.setdefault("phone", mobile(n))
    return services.contact_create(actor=data.pop("actor", account.owner), account=account, **data)

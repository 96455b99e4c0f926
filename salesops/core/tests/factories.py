"""What every app's factories share: realistic, valid Chinese business data and the base
class that creates through the services.

* :func:`company_name` gives names that are all distinct *as the duplicate check sees
  them* (``core.names.company_key`` + rapidfuzz, leads/dedup): two generated names never
  score near the review threshold (``OrgSettings.dedup_name_review``), so fuzzy
  de-duplication never pairs test records by accident (``test_factories.py`` checks it).
* :func:`credit_code` gives unified social credit codes whose check digit python-stdnum
  accepts; :func:`mobile` gives +86 mobile numbers phonenumbers accepts.
* :class:`ServiceFactory`: ``create()`` goes through the app's service, so validation,
  audit and events happen as for any other write; ``build()`` gives an unsaved instance
  with the same values, for ``bulk_create`` where a benchmark needs many rows fast.
"""

from __future__ import annotations

import itertools

import factory
from stdnum.cn import uscc

# One counter for every generated name, code and number of the session, so a lead's
# company never repeats an account's by accident. Numbers below RESERVED are left to the
# tests that ask for a given one (``credit_code(307)``, ``lead_data(n=7)``).
RESERVED = 100_000
_numbers = itertools.count(RESERVED)

# The distinctive part of a name is five characters, one from each group (no character in
# two groups, none of them a region prefix or a suffix that core.names strips), chosen by
# a Reed-Solomon code over GF(13): the values at 0..4 of a polynomial of degree < 3 whose
# coefficients are the digits of n. Two such polynomials agree on at most two points, so
# two names differ in at least three of the five places, and since a character can only
# stand in its own place, rapidfuzz finds at most two in common: a ratio of at most about
# 57 between keys (the review threshold is 80), 71 for the same five with another trade.
GROUPS = (
    "安邦博诚达丰港冠恒宏华汇佳",
    "嘉建金锦君凯康兰朗力联林龙",
    "茂美明鹏启瑞森盛世泰腾拓伟",
    "文翔鑫信星旭耀亿益英永优宇",
    "元远跃云正志智卓富德通和润",
)
Q = 13
TRADES = ("科技", "机械", "电子", "材料", "物流", "贸易", "软件", "制造", "仪器", "环保")
DISTINCT_NAMES = Q**3 * len(TRADES)  # 21,970; then they repeat


def next_number() -> int:
    return next(_numbers)


def company_name(n: int | None = None) -> str:
    """A company name such as ``安嘉茂文元科技有限公司``, one of ``DISTINCT_NAMES`` that
    the duplicate check never takes for one another (see above). Generated names avoid
    those of the first 1,000 ``n``, which tests ask for by number."""
    if n is None:
        n = 1000 + next_number() % (DISTINCT_NAMES - 1000)
    n %= DISTINCT_NAMES
    a, b, c, trade = n % Q, n // Q % Q, n // Q**2 % Q, n // Q**3
    core = "".join(group[(a + b * x + c * x * x) % Q] for x, group in enumerate(GROUPS))
    return f"{core}{TRADES[trade]}有限公司"


def credit_code(n: int | None = None) -> str:
    """A valid unified social credit code (the check digit computed by python-stdnum)."""
    n = next_number() if n is None else n
    body = f"91310000{n:09d}"
    return body + uscc.calc_check_digit(body)


def mobile(n: int | None = None) -> str:
    """A Chinese mobile number (China Mobile's 139 block), as a person types it."""
    n = next_number() if n is None else n
    return f"139{n % 10**8:08d}"


class ServiceFactory(factory.django.DjangoModelFactory):
    """``create()`` calls :meth:`through_service` with the factory's values; ``build()``
    returns the unsaved model instance."""

    class Meta:
        abstract = True

    @classmethod
    def through_service(cls, **values):
        raise NotImplementedError

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return cls.through_service(**kwargs)

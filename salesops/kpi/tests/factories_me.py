"""A hand-built scored month for the self-service tests (K3–K5).

The standard org (conftest ``org``): East (rep_a, rep_b), Shanghai (rep_c), South (rep_d).
One organisation-wide rep scheme, scored over July 2026 by the engine (``runs.run_period``)
from real activities:

- ``calls`` (result, weight 100): calls started in the month, target 4;
- ``visits`` (process, weight 100): visits, target 2;
- ``call_share`` (quality, weight 100, derived): calls ÷ (calls + visits).

Activities: rep_a 4 calls + 2 visits, rep_b 2 calls + 1 visit, rep_c 2 calls + 1 visit,
rep_d 1 call. So rep_b and rep_c tie; rep_a is first.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from salesops.activities.tests.factories import ActivityFactory
from salesops.customers.tests.factories import AccountFactory
from salesops.kpi import runs
from salesops.kpi.models import Metric, Scheme

from .factories import item, make_metric, make_scheme

NOW = timezone.make_aware(dt.datetime(2026, 7, 15, 10, 0), timezone.get_default_timezone())
START, END = dt.date(2026, 7, 1), dt.date(2026, 7, 31)
_SERIAL = itertools.count(1)
ACTIVITIES = {"rep_a": (4, 2), "rep_b": (2, 1), "rep_c": (2, 1), "rep_d": (1, 0)}


def scheme(items: list[tuple[Metric, str, Decimal | None]], *, role: str = "rep") -> Scheme:
    """The organisation-wide scheme of ``role`` (replacing the default one), version 1
    effective from 2026-01-01; each item is (metric, group, fixed target) with weight 100
    in its group ("actual * 100" without a target)."""
    return make_scheme(
        name=f"KPI {role}",
        role=role,
        effective_from=dt.date(2026, 1, 1),
        items=[
            item(
                m.code,
                group,
                100,
                formula="min(actual / target, 1.2) * 100" if target else "actual * 100",
                target_source="fixed" if target else "none",
                target_value=target,
            )
            for m, group, target in items
        ],
    )


def log(user, kind: str, n: int, account=None) -> list:
    account = account or AccountFactory(owner=user, name=f"{user.username} 客户 {next(_SERIAL)}")
    return [ActivityFactory(owner=user, kind=kind, account=account) for _ in range(n)]


def standard_metrics() -> dict[str, Metric]:
    return {
        "calls": make_metric("calls", name_en="Calls", filter='kind == "call"'),
        "visits": make_metric("visits", name_en="Visits", filter='kind == "visit"'),
        "call_share": make_metric(
            "call_share", name_en="Call share", formula="div(calls, calls + visits, 0)"
        ),
    }


def scored_month(
    org,
    activities: dict | None = None,
    found: dict | None = None,
    period: tuple[dt.date, dt.date] = (START, END),
) -> Scheme:
    """The module docstring's month, scored (call inside ``time_machine`` at ``NOW``).
    ``activities`` maps a user (or an ``org`` attribute name) to (calls, visits)."""
    found = found or standard_metrics()
    plan = scheme(
        [
            (found["calls"], "result", Decimal(4)),
            (found["visits"], "process", Decimal(2)),
            (found["call_share"], "quality", None),
        ]
    )
    for name, (calls, visits) in (activities or ACTIVITIES).items():
        user = getattr(org, name) if isinstance(name, str) else name
        account = AccountFactory(owner=user, name=f"{user.username} 客户")
        log(user, "call", calls, account)
        log(user, "visit", visits, account)
    runs.run_period(plan, *period)
    return plan

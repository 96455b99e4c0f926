"""Test data of the schemes area: two metrics over activities, a team scheme with one
version, and last month's activities for the East team (rep_a: 2 calls and a visit,
rep_b: 1 call, rep_c: nothing)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from django.utils import timezone

from salesops.activities.tests.factories import ActivityFactory
from salesops.core import clock
from salesops.kpi import metric_library, schemes
from salesops.kpi.models import Metric
from salesops.org.tests.factories import build_org

FORMULA = "min(actual / target, 1.2) * 100"


def last_month_at(day: int, hour: int = 10) -> dt.datetime:
    start, _end = schemes.last_month()
    return timezone.make_aware(
        dt.datetime(start.year, start.month, day, hour), timezone.get_default_timezone()
    )


def metric(admin, code: str, kind: str) -> Metric:
    existing = Metric.objects.filter(code=code).first()
    if existing:
        return existing
    return metric_library.metric_create(
        by=admin,
        data={
            "code": code,
            "name_zh": f"{code} 中文",
            "name_en": code,
            "kind": "aggregate",
            "source": "activities",
            "filter": f'kind == "{kind}"',
            "aggregate": "count",
            "date_field": "started_at",
            "unit": "count",
        },
    )


def items(calls_target="2", visits_target="1", formula=FORMULA) -> list[dict]:
    return [
        {
            "metric": "t_calls",
            "group": "result",
            "weight": "100",
            "formula": formula,
            "target_source": "fixed",
            "target_value": calls_target,
        },
        {
            "metric": "t_visits",
            "group": "process",
            "weight": "100",
            "formula": FORMULA,
            "target_source": "fixed",
            "target_value": visits_target,
        },
    ]


WEIGHTS = {"result_weight": "75", "process_weight": "25", "quality_weight": "0"}


def build(with_activities: bool = True) -> SimpleNamespace:
    org = build_org()
    calls = metric(org.admin, "t_calls", "call")
    visits = metric(org.admin, "t_visits", "visit")
    scheme = schemes.scheme_create(by=org.admin, name="East reps KPI", role="rep", team=org.east)
    version = schemes.scheme_save_version(
        by=org.admin,
        scheme=scheme,
        effective_from=clock.today(),
        items=items(),
        note="first",
        **WEIGHTS,
    )
    if with_activities:
        ActivityFactory(owner=org.rep_a, started_at=last_month_at(3))
        ActivityFactory(owner=org.rep_a, started_at=last_month_at(4))
        ActivityFactory(owner=org.rep_a, kind="visit", started_at=last_month_at(5))
        ActivityFactory(owner=org.rep_b, started_at=last_month_at(6))
    return SimpleNamespace(
        org=org, calls=calls, visits=visits, scheme=scheme, version=version, Decimal=Decimal
    )

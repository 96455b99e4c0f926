"""What the revenue import tests share: a fixed "today", the standard organisation, and
the export of an importer written back as a sheet (the round trip)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from salesops.exchange import registry
from salesops.exchange.importers import load
from salesops.org.tests.factories import build_org

# After the factories' contracts were signed (2026-03-02), before their last instalment.
TODAY = timezone.make_aware(dt.datetime(2026, 7, 15, 10, 0), timezone.get_default_timezone())


@pytest.fixture(autouse=True, name="_today")
def today_fixture():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture(name="org")
def org_fixture():
    return build_org()


def importer(entity: str):
    load()
    return registry.get(entity)


def headers(entity: str, lang: str = "zh") -> list[str]:
    """The template's headers: each field's zh-Hans (or English) name."""
    index = 0 if lang == "zh" else 1
    return [f.names()[index] for f in importer(entity).fields()]


def exported(entity: str, actor) -> list[dict]:
    return list(importer(entity).export_rows(actor))


def sheet(entity: str, rows: list[dict]) -> list[list]:
    """Export rows as the cells of a sheet with :func:`headers`' columns."""
    keys = [f.key for f in importer(entity).fields()]
    return [[row.get(k) for k in keys] for row in rows]


def statuses(job) -> list[tuple[int, str]]:
    return list(job.rows.order_by("row_no").values_list("row_no", "status"))


def errors(job, row_no: int) -> list[tuple[str, str]]:
    return [(e["field"], e["message"]) for e in job.rows.get(row_no=row_no).errors]

"""API schemas of the bonus runs and the rep month factors (names of their own)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema


class BonusRunOut(Schema):
    id: int
    period: dt.date
    state: str
    progress: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    started_by_id: int | None
    summary: dict
    error: str


class BonusRunPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[BonusRunOut]


class BonusRunIn(Schema):
    month: str = Field(..., description="YYYY-MM", max_length=7)


class BonusRunQueued(Schema):
    task_id: str
    status_url: str


class BonusRunStatusOut(Schema):
    done: bool
    progress: int
    run: int | None
    error: str


class BonusReplayDifference(Schema):
    key: str
    stored: dict | None
    recomputed: dict | None


class BonusReplayOut(Schema):
    month: str
    same: bool
    differences: list[BonusReplayDifference]


class RepFactorsOut(Schema):
    rep_id: int
    period: dt.date
    cs_hours: Decimal
    cs_points: int
    response_hours: Decimal | None
    adoption: Decimal | None
    nps_change: Decimal | None
    coefficient_raw: Decimal
    coefficient: Decimal
    explanation: dict
    computed_at: dt.datetime

"""API shapes of target health (SPEC T4, T5). Money and ratios are decimal strings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema


class FiguresOut(Schema):
    target_year: Decimal
    target_to_date: Decimal
    achieved: Decimal
    qualified_pipeline: Decimal
    gap: Decimal
    coverage: Decimal | None = Field(description="qualified pipeline ÷ gap; null: target reached")
    completion: Decimal = Field(description="achieved ÷ target for the year")
    status: str = Field(description="red | amber | green")


class TeamHealthOut(Schema):
    team_id: int
    team: str
    parent_id: int | None
    reps: int
    figures: FiguresOut


class RepHealthOut(Schema):
    rep_id: int
    rep: str
    team_id: int
    figures: FiguresOut


class ThresholdsOut(Schema):
    coverage_red: Decimal
    coverage_amber: Decimal


class HealthOut(Schema):
    plan_id: int
    version: int
    today: dt.date
    month: dt.date
    thresholds: ThresholdsOut
    teams: list[TeamHealthOut]
    reps: list[RepHealthOut]


class SnapshotOut(Schema):
    id: int
    month: dt.date
    version: int
    team_id: int
    rep_id: int | None
    target_year: Decimal
    target_to_date: Decimal
    achieved: Decimal
    qualified_pipeline: Decimal
    gap: Decimal
    coverage: Decimal | None
    completion: Decimal
    status: str
    taken_at: dt.datetime


class SnapshotPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[SnapshotOut]


class SnapshotIn(Schema):
    month: dt.date | None = Field(None, description="Any day of the month; empty: this month")


class SnapshotTaken(Schema):
    month: dt.date
    teams: int
    reps: int


class AwardOut(Schema):
    id: int
    team_id: int
    team: str
    quarter: int
    percent: Decimal
    snapshot_ids: list[int]
    explanation: dict
    created_at: dt.datetime

    @staticmethod
    def resolve_team(obj):
        return obj.team.name

    @staticmethod
    def resolve_snapshot_ids(obj):
        return sorted(s.pk for s in obj.snapshots.all())

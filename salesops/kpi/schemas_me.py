"""API shapes of the KPI self-service (SPEC K3–K5). Scores and values are decimal strings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema


class MetricLineOut(Schema):
    value_id: int
    code: str
    name: str
    group: str
    unit: str
    higher_is_better: bool
    actual: Decimal | None
    target: Decimal | None
    gap: Decimal | None = Field(description="target − actual")
    target_score: Decimal | None = Field(description="the score the target itself gives")
    score: Decimal
    weight: Decimal = Field(description="weight in its group (%)")
    formula: str = Field(description="the item's scoring formula")
    metric_formula: str = Field(description="a derived metric's formula over other metrics")
    inputs: dict[str, Any]
    error: str
    records_url: str = Field(description="the API listing the records behind the number")


class ScoreOut(Schema):
    user_id: int
    user: str
    period: str = Field(description="YYYY-MM")
    start: dt.date
    end: dt.date
    state: str | None = Field(description="live | final; null: no score")
    reason: str = Field(description="no_scheme | no_score when there is no score, else empty")
    scheme: str | None
    version: int | None
    score: Decimal | None
    result_score: Decimal | None
    process_score: Decimal | None
    quality_score: Decimal | None
    rank_team: int | None
    team_size: int
    rank_org: int | None
    org_size: int
    computed_at: dt.datetime | None
    metrics: list[MetricLineOut]


class RankRowOut(Schema):
    rank: int
    user_id: int
    name: str
    team: str | None
    score: Decimal
    result_score: Decimal
    process_score: Decimal
    quality_score: Decimal
    is_me: bool


class RankingOut(Schema):
    period: str
    scope: str
    run_id: int | None
    scheme: str | None
    total: int = Field(description="how many people the scope ranks")
    names: bool = Field(description="whether other people's rows are shown")
    my_rank: int | None
    count: int
    page: int
    page_size: int
    results: list[RankRowOut]


class ComparisonLineOut(Schema):
    code: str
    name: str
    unit: str
    higher_is_better: bool
    me: Decimal | None
    top3: Decimal | None = Field(description="mean of the TOP3 teammates (never me)")
    benchmark: Decimal | None
    vs_top3: str | None = Field(description="better | worse | equal")
    vs_benchmark: str | None


class TopOut(Schema):
    user_id: int
    name: str | None = Field(description="null when ranking names are hidden")
    score: Decimal


class ComparisonOut(Schema):
    period: str
    score: Decimal | None
    rank_team: int | None
    team_size: int
    i_am_top3: bool
    top3: list[TopOut]
    benchmark_mode: str
    members: int
    metrics: list[ComparisonLineOut]
    missing: list[str] = Field(description="configured comparison codes with no metric")


class AxisOut(Schema):
    code: str
    name: str
    name_en: str
    formula: str
    value: Decimal | None
    team_average: Decimal | None
    inputs: dict[str, Any]
    error: str


class QuarterOut(Schema):
    start: dt.date
    end: dt.date
    stored: bool
    axes: list[AxisOut]


class RadarOut(Schema):
    current: QuarterOut
    previous: QuarterOut


class RecordOut(Schema):
    id: int
    label: str
    date: Any = None
    value: Any = None
    url: str | None


class ComponentOut(Schema):
    code: str
    name: str
    value: Any = None
    value_id: int | None
    records_url: str


class RecordsOut(Schema):
    value_id: int
    code: str
    name: str
    start: dt.date
    end: dt.date
    actual: Decimal | None
    derived: bool
    components: list[ComponentOut]
    count: int
    page: int
    page_size: int
    results: list[RecordOut]

"""API shapes of the metric library, schemes and versions, the preview, runs and
Settings · KPI."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from .schemes import DEFAULT_FORMULA


class MetricOut(Schema):
    id: int
    code: str
    name_zh: str
    name_en: str
    description: str
    kind: str
    source: str
    filter: str
    aggregate: str
    field: str
    date_field: str
    formula: str
    unit: str
    higher_is_better: bool
    is_builtin: bool
    is_active: bool


class MetricPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[MetricOut]


class MetricIn(Schema):
    code: str
    name_zh: str
    name_en: str
    description: str = ""
    kind: str = "aggregate"
    source: str = ""
    filter: str = ""
    aggregate: str = "count"
    field: str = ""
    date_field: str = ""
    formula: str = ""
    unit: str = "count"
    higher_is_better: bool = True
    is_active: bool = True


class MetricPatch(Schema):
    code: str | None = None
    name_zh: str | None = None
    name_en: str | None = None
    description: str | None = None
    kind: str | None = None
    source: str | None = None
    filter: str | None = None
    aggregate: str | None = None
    field: str | None = None
    date_field: str | None = None
    formula: str | None = None
    unit: str | None = None
    higher_is_better: bool | None = None
    is_active: bool | None = None


class TryValue(Schema):
    user_id: int
    user: str
    value: Decimal | None


class TryOut(Schema):
    period_start: dt.date
    period_end: dt.date
    values: list[TryValue]


class ItemIn(Schema):
    metric: str
    group: str
    weight: Decimal
    formula: str = DEFAULT_FORMULA
    target_source: str = "fixed"
    target_value: Decimal | None = None


class SchemeItemOut(Schema):
    id: int
    metric: str = Field(..., alias="metric_definition.code")
    metric_definition: dict
    group: str
    weight: Decimal
    formula: str
    target_source: str
    target_value: Decimal | None
    order: int


class SchemeVersionOut(Schema):
    id: int
    scheme_id: int
    number: int
    effective_from: dt.date
    result_weight: Decimal
    process_weight: Decimal
    quality_weight: Decimal
    note: str
    created_at: dt.datetime
    created_by_id: int | None
    items: list[SchemeItemOut]

    @staticmethod
    def resolve_items(obj):
        return list(obj.items.order_by("order", "pk"))


class VersionIn(Schema):
    effective_from: dt.date
    result_weight: Decimal
    process_weight: Decimal
    quality_weight: Decimal
    items: list[ItemIn]
    note: str = ""


class SchemeOut(Schema):
    id: int
    name: str
    role: str
    team_id: int | None
    is_active: bool
    latest_version: int | None = None

    @staticmethod
    def resolve_latest_version(obj):
        latest = getattr(obj, "latest", None)
        if latest is None:
            latest = obj.versions.order_by("-number").values_list("number", flat=True).first()
        return latest


class SchemePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[SchemeOut]


class SchemeIn(Schema):
    name: str
    role: str = "rep"
    team_id: int | None = None


class SchemePatch(Schema):
    name: str | None = None
    is_active: bool | None = None


class SchemePreviewIn(Schema):
    scheme_id: int | None = None
    result_weight: Decimal
    process_weight: Decimal
    quality_weight: Decimal
    items: list[ItemIn]


class PreviewItemOut(Schema):
    metric: str
    group: str
    actual: Decimal | None
    target: Decimal | None
    score: Decimal
    error: str


class PreviewRepOut(Schema):
    user_id: int
    user: str
    team_id: int | None
    score: Decimal
    result_score: Decimal
    process_score: Decimal
    quality_score: Decimal
    items: list[PreviewItemOut]


class SchemePreviewOut(Schema):
    period_start: dt.date
    period_end: dt.date
    results: list[PreviewRepOut]


class RunOut(Schema):
    id: int
    scheme_id: int
    scheme: str = Field(..., alias="scheme.name")
    version: int = Field(..., alias="version.number")
    period_start: dt.date
    period_end: dt.date
    state: str
    reps: int
    progress: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    duration_ms: int
    error: str


class RunPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[RunOut]


class RunIn(Schema):
    scheme_id: int
    month: str = Field(..., description="YYYY-MM", max_length=7)


class RunQueued(Schema):
    task_id: str
    status_url: str


class RunStatusOut(Schema):
    done: bool
    progress: int
    run: int | None
    error: str


class ReplayOut(Schema):
    identical: bool
    differences: list[str]


class PolicyOut(Schema):
    result_weight: Decimal
    process_weight: Decimal
    quality_weight: Decimal
    process_min: Decimal
    process_max: Decimal
    ranking_visibility: str
    comparison_metrics: list[str]
    benchmark_mode: str
    benchmark_values: dict
    updated_at: dt.datetime
    updated_by_id: int | None


class PolicyPatch(Schema):
    result_weight: Decimal | None = None
    process_weight: Decimal | None = None
    quality_weight: Decimal | None = None
    process_min: Decimal | None = None
    process_max: Decimal | None = None
    ranking_visibility: str | None = None
    comparison_metrics: list[str] | None = None
    benchmark_mode: str | None = None
    benchmark_values: dict | None = None

"""API shapes of statements, payout periods and adjustments (SPEC I7). Money and
coefficients are decimal strings; months are ``YYYY-MM``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema


class StatementRecordOut(Schema):
    model: str = Field(description="app.model, e.g. revenue.contract")
    id: int | None
    label: str
    url: str | None = Field(description="the record's page, when it has one")


class StatementLineOut(Schema):
    id: int
    month: str
    kind: str
    kind_label: str
    state: str = Field(description="pending | released | forfeited | earned")
    state_text: str = Field(description="e.g. “released in 2026-11”")
    settled_in: str | None = Field(description="the month a tranche was released/forfeited")
    tranche: str
    amount: Decimal
    base: Decimal | None
    coefficient: Decimal | None
    percent: Decimal | None
    plan: str | None
    plan_version: int | None
    formula: str
    condition: str = Field(description="the release condition in words")
    due_on: dt.date | None
    reason: str
    approved_by: str | None
    inputs: dict[str, Any] = Field(description="the formula's variables as computed")
    explanation: dict[str, Any]
    records: list[StatementRecordOut]
    url: str = Field(description="the line's page (why this number)")


class StatementGroupOut(Schema):
    kind: str
    label: str
    payable: Decimal
    pending: Decimal
    forfeited: Decimal
    count: int = Field(description="the kind's lines this month (all pages)")
    lines: list[StatementLineOut] = Field(description="the kind's lines on this page")


class StatementCoefficientOut(Schema):
    coefficient: Decimal
    raw: Decimal = Field(description="the formula's result before clamping and the cap")
    formula: str
    capped: bool = Field(description="the customer-success cap applied")
    neutral: list[str] = Field(description="inputs without data that took the neutral value")
    response_hours: Any
    response_target: Any
    adoption: Any
    nps_change: Any
    cs_hours: Any
    cs_points: Any
    cs_per_point: Any
    cs_max: Any
    cs_cap_below: Any
    cs_cap: Any


class StatementOut(Schema):
    rep_id: int
    rep: str
    team: str | None
    month: str
    locked: bool
    locked_at: dt.datetime | None
    payable: Decimal = Field(description="Σ earned lines (adjustments and deductions too)")
    pending: Decimal
    forfeited: Decimal
    coefficient: StatementCoefficientOut | None
    groups: list[StatementGroupOut]
    earlier_pending_count: int = Field(description="tranches from earlier months still pending")
    earlier_pending_amount: Decimal
    earlier_pending: list[StatementLineOut]
    line_count: int = Field(description="lines of the month (of ``kind`` when given)")
    page: int
    pages: int


class StatementLineDetailOut(Schema):
    line: StatementLineOut
    rep_id: int
    rep: str
    event: dict[str, Any] | None = Field(description="what released or forfeited the tranche")
    settlement: StatementLineOut | None
    settles: StatementLineOut | None
    source_line: StatementLineOut | None
    derived: list[StatementLineOut] = Field(description="e.g. the mentor's reward lines")
    adjustments: list[StatementLineOut]
    coefficient: StatementCoefficientOut | None


class IncentivePeriodOut(Schema):
    month: str
    state: str = Field(description="open | locked")
    locked_at: dt.datetime | None
    locked_by: str | None
    lines: int
    reps: int
    payable: Decimal
    pending: Decimal
    forfeited: Decimal


class IncentiveAdjustmentIn(Schema):
    rep_id: int | None = None
    amount: Decimal | None = None
    reason: str = ""
    source_line_id: int | None = None


class StatementPageQuery(Schema):
    page: int = Field(1, ge=1, le=100000, description="the page of lines (50 a page)")
    kind: str = Field("", description="only the lines of this kind (e.g. tranche, monthly)")


class StatementQuery(StatementPageQuery):
    month: str | None = None


class PayrollExportQuery(Schema):
    format: str = "xlsx"

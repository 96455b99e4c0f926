"""API shapes of the read model: lifetime value (moved from ``revenue.schemas`` with
their names, so the OpenAPI schema is unchanged) and the healthy-deal check."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema


class LtvInputOut(Schema):
    name: str
    label: str
    value: Any = Field(None, description="A number (money and scores as decimal strings).")


class LtvOut(Schema):
    account_id: int
    realised: Decimal = Field(..., description="Payments received to date.")
    projected: Decimal = Field(..., description="What the formula projects on the inputs.")
    total: Decimal = Field(..., description="realised + projected.")
    formula: str
    formula_version: int = Field(..., description="0 is the built-in default formula.")
    inputs: list[LtvInputOut]
    error: str = Field("", description="Why the formula failed (the projection is then 0).")
    consistent: bool = Field(
        ..., description="The stored formula on the stored inputs gives the stored projection."
    )
    computed_at: dt.datetime


class RepLtvOut(Schema):
    owner_id: int
    owner: str
    accounts: int
    total: Decimal
    average: Decimal = Field(..., description="Total LTV per account owned.")


class LtvFormulaOut(Schema):
    version: int
    source: str
    inputs: dict[str, str] = Field(..., description="The names a formula may read.")


class HealthCriterionOut(Schema):
    code: str = Field(
        ..., description="roles, custom_service, first_payment, implementation, success"
    )
    label: str
    passed: bool | None = Field(..., description="null: not yet applicable (no contract yet).")
    value: str
    threshold: str
    signal: str = Field(..., description="The risk signal when the criterion fails, else empty.")


class DealHealthOut(Schema):
    criteria: list[HealthCriterionOut]
    passed: int
    total: int


class DealHealthRowOut(Schema):
    id: int
    name: str
    account_id: int
    owner_id: int
    pipeline_id: int
    stage_id: int
    status: str
    amount: Decimal
    health: DealHealthOut | None
    health_checked_at: dt.datetime | None


class DealHealthPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[DealHealthRowOut]

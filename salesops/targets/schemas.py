"""API shapes of target plans, calibration, scenarios, votes and adjustments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema


class PlanOut(Schema):
    id: int
    name: str
    fiscal_year: int
    team_id: int
    team_name: str = Field(..., alias="team.name")
    product_line: str
    measure: str
    state: str
    pool: Decimal
    baseline_id: int | None
    baseline_amount: Decimal | None
    vote_open: bool
    version: int
    published_at: dt.datetime | None


class PlanPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[PlanOut]


class PlanIn(Schema):
    name: str
    fiscal_year: int
    team_id: int
    product_line: str = ""
    measure: str | None = None


class PlanPatch(Schema):
    name: str | None = None
    fiscal_year: int | None = None
    team_id: int | None = None
    product_line: str | None = None
    measure: str | None = None


class CalibrationOut(Schema):
    history_months: list[dict]
    historical: Decimal
    seasonal_index: list[str]
    bidding_index: Decimal
    competitor_notes: str
    market: Decimal
    top_n: int
    top_monthly: Decimal
    headcount: int
    utilisation: Decimal
    manpower: Decimal
    formula: str
    pool: Decimal
    computed_at: dt.datetime | None


class CalibrationIn(Schema):
    """Any of the inputs; those left out keep their value. Saving computes."""

    seasonal_index: list[str | float | int] | None = None
    bidding_index: str | float | int | None = None
    competitor_notes: str | None = None
    top_n: int | None = None
    headcount: int | None = Field(None, description="Leave empty for the member count")
    utilisation: str | float | int | None = None
    formula: str | None = None


class ScenarioOut(Schema):
    id: int
    code: str
    name_zh: str
    name_en: str
    formula: str
    position: int
    factors: dict
    result: Decimal | None


class ScenarioIn(Schema):
    code: str
    name_zh: str
    name_en: str
    formula: str
    position: int | None = None


class ScenarioPatch(Schema):
    code: str | None = None
    name_zh: str | None = None
    name_en: str | None = None
    formula: str | None = None
    position: int | None = None


class VoteOut(Schema):
    open: bool
    can_vote: bool
    my_scenario_id: int | None
    counts: dict[int, int] | None = Field(None, description="Hidden (null) from reps while open")


class PlanDetailOut(PlanOut):
    calibration: CalibrationOut
    scenarios: list[ScenarioOut]
    vote: VoteOut


class VoteIn(Schema):
    scenario_id: int


class ConfirmIn(Schema):
    scenario_id: int


class AdjustmentOut(Schema):
    id: int
    from_version: int
    to_version: int | None
    changes: dict[str, str]
    reason: str
    state: str
    created_by_id: int | None
    created_at: dt.datetime
    decided_by_id: int | None
    decided_at: dt.datetime | None
    decision_note: str


class AdjustmentIn(Schema):
    changes: dict[str, Decimal | str]
    reason: str


class DecisionIn(Schema):
    note: str = ""

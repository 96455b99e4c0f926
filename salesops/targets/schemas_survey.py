"""API schemas of the consensus survey (T6) and of Settings · Targets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema


class SurveyAnswerIn(Schema):
    estimate: Decimal = Field(..., description="Your estimate of your team's target, in yuan.")
    reachability: int = Field(
        ..., description="How reachable the target is: 1 out of reach … 5 certain."
    )
    priority: str = Field(
        ...,
        max_length=30,
        description="The top priority: new_customers, key_accounts, renewals, product_mix, "
        "team_capability or other.",
    )


class SurveyGroupOut(Schema):
    level: str
    level_label: str
    shown: bool = Field(..., description="False: fewer answers than the smallest group shown.")
    n: int | None = None
    mean_estimate: Decimal | None = None
    mean_reachability: Decimal | None = None
    priorities: dict[str, int] = {}


class SurveyTeamOut(Schema):
    team_id: int
    team: str
    groups: list[SurveyGroupOut]
    target: Decimal | None = None
    target_source: str = Field("", description="allocations, estimates or empty.")
    deviation: Decimal | None = Field(
        None, description="Mean absolute difference of the levels' mean estimates ÷ target."
    )
    consensus: Decimal | None = Field(None, description="1 − deviation.")
    achieved: Decimal | None = None
    attainment: Decimal | None = None


class SurveyResultsOut(Schema):
    min_group: int
    teams: list[SurveyTeamOut]
    r: Decimal | None = Field(None, description="Pearson r of consensus and attainment.")
    n: int = Field(..., description="Teams with both a consensus and an attainment.")
    needed: int


class SurveyChoiceOut(Schema):
    code: str
    label: str


class SurveyOut(Schema):
    plan_id: int
    is_open: bool
    closes_on: dt.date | None = None
    can_answer: bool
    answered: bool
    can_manage: bool
    priorities: list[SurveyChoiceOut]
    reachability: list[SurveyChoiceOut]
    results: SurveyResultsOut | None = None


class SurveyAnsweredOut(Schema):
    answered: bool
    message: str


class TargetQuadrantIO(Schema):
    label_zh: str | None = Field(None, max_length=100)
    label_en: str | None = Field(None, max_length=100)
    weight: Decimal | None = None


class TargetPolicyIn(Schema):
    """Any subset of the settings; the ones left out stay as they are."""

    fiscal_year_start_month: int | None = None
    default_measure: str | None = Field(None, max_length=20)
    pool_formula: str | None = Field(None, max_length=500)
    manpower_top_n: int | None = None
    manpower_utilisation: Decimal | None = None
    key_account_levels: list[str] | None = None
    matrix_months: int | None = None
    quadrants: dict[str, TargetQuadrantIO] | None = None
    default_quadrant: str | None = Field(None, max_length=20)
    coverage_red: Decimal | None = None
    coverage_amber: Decimal | None = None
    snapshot_workday: int | None = None
    award_coverage: Decimal | None = None
    award_months: int | None = None
    award_floor: Decimal | None = None
    award_percent: Decimal | None = None
    peers_see_targets: bool | None = None
    survey_min_group: int | None = None


class TargetPolicyOut(Schema):
    fiscal_year_start_month: int
    default_measure: str
    pool_formula: str
    manpower_top_n: int
    manpower_utilisation: Decimal
    key_account_levels: list[str]
    matrix_months: int
    quadrants: dict[str, TargetQuadrantIO]
    default_quadrant: str
    coverage_red: Decimal
    coverage_amber: Decimal
    snapshot_workday: int
    award_coverage: Decimal
    award_months: int
    award_floor: Decimal
    award_percent: Decimal
    peers_see_targets: bool
    survey_min_group: int
    updated_at: dt.datetime | None = None
    updated_by: str | None = None

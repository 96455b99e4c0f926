"""API shapes of the LTV leaderboard (SPEC I6)."""

from __future__ import annotations

from decimal import Decimal

from ninja import Field, Schema


class LtvQuery(Schema):
    period: str | None = Field(
        None, description="cohort of first signing: YYYY-MM, YYYY-Qn, YYYY or all (default)"
    )
    team: int | None = Field(None, description="a team id: its reps and those of the teams below")
    sort: str = Field("total", description="total | average")
    search: str = ""
    page: int = 1
    page_size: int | None = None


class LtvRowOut(Schema):
    rep_id: int
    name: str
    team: str | None
    accounts: int = Field(description="customers in the rep's customer group (in the cohort)")
    total: Decimal = Field(description="Σ of the customers' lifetime values")
    average: Decimal = Field(description="total ÷ accounts")
    rank_total: int
    rank_average: int
    is_me: bool


class LtvBoardOut(Schema):
    period: str
    period_start: str | None
    period_end: str | None
    team_id: int | None
    sort: str
    total: int = Field(description="how many reps the filter ranks")
    names: str = Field(description="whose rows are shown: all | team | own")
    my_rank_total: int | None
    my_rank_average: int | None
    formula_version: int = Field(description="the LTV formula version in force (C4)")
    count: int
    page: int
    page_size: int
    results: list[LtvRowOut]

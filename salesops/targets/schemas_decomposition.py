"""API shapes of the decomposition (T3): rep targets, the adjustment, "my target"."""

from __future__ import annotations

from decimal import Decimal

from ninja import Field, Schema


class AllocationOut(Schema):
    id: int
    plan_id: int
    version: int
    rep_id: int
    rep: str = Field(description="The rep's display name")
    team_id: int
    team: str
    median_deal: Decimal | None = Field(description="x: median won deal size in the window")
    key_win_rate: Decimal | None = Field(description="y: key-account win rate, 0–1")
    won_deals: int
    quadrant: str
    quadrant_label: str
    weight: Decimal
    share: Decimal = Field(description="0–1, eight places")
    amount: Decimal
    monthly: list[Decimal] = Field(description="Per fiscal month, first month first")
    adjusted: bool
    reason: str

    @staticmethod
    def resolve_rep(obj):
        return obj.rep.label

    @staticmethod
    def resolve_team(obj):
        return obj.team.name

    @staticmethod
    def resolve_quadrant_label(obj):
        from .decomposition import quadrant_label
        from .models import TargetPolicy

        return quadrant_label(TargetPolicy.current(), obj.quadrant)

    @staticmethod
    def resolve_monthly(obj):
        return [Decimal(m) for m in obj.monthly]


class TeamTotalOut(Schema):
    team_id: int
    team: str
    total: Decimal


class DecompositionOut(Schema):
    plan_id: int
    state: str
    version: int
    pool: Decimal
    allocations: list[AllocationOut]
    team_totals: list[TeamTotalOut]


class AdjustIn(Schema):
    amounts: dict[int, Decimal] = Field(description="New amount per rep id")
    reason: str = ""


class MonthOut(Schema):
    month: str
    amount: Decimal


class MyTargetOut(Schema):
    plan_id: int
    plan: str
    fiscal_year: int
    version: int
    amount: Decimal
    months: list[MonthOut]
    quarters: list[Decimal]
    team: str
    team_total: Decimal
    median_deal: Decimal | None
    key_win_rate: Decimal | None
    team_median_deal: Decimal | None
    team_median_win_rate: Decimal | None
    medians_scope: str = Field(description="team, or plan when the team had no history")
    quadrant: str
    quadrant_label: str
    weight: Decimal
    total_weight: Decimal
    share: Decimal
    pool: Decimal
    adjusted: bool
    reason: str
    why: str = Field(description="The explanation in plain words")

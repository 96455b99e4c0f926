"""API schemas of the growth account (K7)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class BalanceOut(Schema):
    user_id: int
    balance: int


class PointEntryOut(Schema):
    id: int
    kind: str
    points: int
    balance: int
    note: str
    claim_id: int | None = None
    created_at: dt.datetime


class EntryPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[PointEntryOut]


class ClaimOut(Schema):
    id: int
    user_id: int
    user: str
    kind: str
    reward: str
    points: int
    description: str
    evidence_url: str
    knowledge_item_id: int | None = None
    state: str
    created_at: dt.datetime
    decided_by_id: int | None = None
    decided_at: dt.datetime | None = None
    decision_note: str


class ClaimPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ClaimOut]


class ClaimIn(Schema):
    kind: str = Field(..., max_length=20, description="collaboration, case_study or certification.")
    description: str = Field(..., max_length=500)
    evidence_url: str = Field("", max_length=500)
    knowledge_item_id: int | None = Field(
        None, description="An active knowledge item of kind case (required for case_study)."
    )


class RedeemIn(Schema):
    reward: str = Field(..., max_length=50, description="A reward code of the growth settings.")


class ClaimDecisionIn(Schema):
    approve: bool
    note: str = Field("", max_length=500, description="Required to reject.")


class PointsAdjustIn(Schema):
    user_id: int
    points: int = Field(..., description="Positive to add, negative to take (never below 0).")
    note: str = Field(..., max_length=500)

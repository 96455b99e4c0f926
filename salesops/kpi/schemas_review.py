"""API schemas of the review area: credibility entries, compliance findings and scans,
the check of one file, Settings · KPI review."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from salesops.core.schemas import AccountRef, UserRef


class CredibilityEntryOut(Schema):
    id: int
    user: UserRef
    team: str | None = Field(None, description="The rep's team when computed.")
    month: dt.date
    leads: int
    corrected: int
    source_accuracy: Decimal | None
    level_events: int
    level_days: Decimal | None
    listed: str = Field(
        "", description='"red", "black" or "" (a black listing shows only to reviewers).'
    )
    computed_at: dt.datetime


class EntryDetailOut(CredibilityEntryOut):
    inputs: dict = Field(
        default_factory=dict,
        description="lead_ids, corrected (lead id, channel from → to), events (contract, "
        "account, signed_on, days, open), the thresholds used and the as-of day.",
    )


class CredibilityOut(Schema):
    month: dt.date
    red: list[CredibilityEntryOut]
    black: list[CredibilityEntryOut] | None = Field(
        None, description="Only for reviewers: the key is absent for everyone else."
    )
    figures: list[CredibilityEntryOut]


class FindingOut(Schema):
    id: int
    kind: str
    state: str
    owner: UserRef | None
    account: AccountRef | None
    source: str
    object_id: int
    excerpt: str
    detail: str
    occurred_at: dt.datetime
    created_at: dt.datetime
    reviewed_by: UserRef | None
    reviewed_at: dt.datetime | None
    review_reason: str


class FindingPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[FindingOut]


class DecideIn(Schema):
    decision: str = Field(..., description='"confirm" or "dismiss".', max_length=20)
    reason: str = Field("", max_length=500, description="Required to dismiss.")

    model_config = {"extra": "forbid"}


class HitOut(Schema):
    kind: str
    phrase: str
    excerpt: str
    detail: str


class CheckOut(Schema):
    file_kind: str = Field(..., description='"pdf" or "image".')
    read: bool = Field(..., description="False for an image when no OCR engine is installed.")
    findings: list[HitOut]


class ScanIn(Schema):
    full: bool = Field(False, description="Rescan everything, not only what changed.")

    model_config = {"extra": "forbid"}


class ScanOut(Schema):
    id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    documents: int
    texts: int
    findings: int
    seconds: Decimal
    not_read: int = Field(0, description="Images not read (no OCR engine).")


class ReviewPolicyOut(Schema):
    watermark_text: str
    quote_evidence_types: list[str]
    approved_phrases: str
    forbidden_phrases: str
    core_parameters: str
    red_min_accuracy: int
    red_max_days: int
    black_max_accuracy: int
    black_min_days: int
    credibility_min_leads: int
    updated_at: dt.datetime


class ReviewPolicyIn(Schema):
    watermark_text: str | None = Field(None, max_length=200)
    quote_evidence_types: list[str] | None = None
    approved_phrases: str | None = Field(None, max_length=100_000)
    forbidden_phrases: str | None = Field(None, max_length=100_000)
    core_parameters: str | None = Field(None, max_length=100_000)
    red_min_accuracy: int | None = Field(None, ge=0, le=100)
    red_max_days: int | None = Field(None, ge=0, le=365)
    black_max_accuracy: int | None = Field(None, ge=0, le=100)
    black_min_days: int | None = Field(None, ge=0, le=365)
    credibility_min_leads: int | None = Field(None, ge=0, le=10000)

    model_config = {"extra": "forbid"}

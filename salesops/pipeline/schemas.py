"""API schemas for deals, pipelines, stage changes and evidence."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import BeforeValidator

from salesops.core.schemas import AccountRef, ContactRef, DealRef, UserRef

CUSTOM_OUT_HELP = (
    "Custom field values by key (GET /custom-fields?entity=deal lists them): numbers and "
    "money as decimal strings, dates and instants as ISO text, users as ids."
)


# --- pipelines ------------------------------------------------------------------------------
class StageRef(Schema):
    id: int
    code: str
    name: str
    kind: str = Field(..., description="open, won or lost.")


class PipelineRef(Schema):
    id: int
    code: str
    name: str


class StageOut(Schema):
    id: int
    code: str
    name: str
    name_zh: str
    name_en: str
    kind: str = Field(..., description="open, won or lost.")
    order: int
    probability: int = Field(..., description="Percent: weights the forecast.")
    colour: str
    stall_days: int = Field(..., description="Working days in the stage before it stalls.")
    required_fields: list[str] = Field(
        ..., description="Deal fields to fill before the deal leaves the stage forward."
    )
    required_evidence: list[str] = Field(
        ..., description="Evidence types (list “evidence_type”) to upload first."
    )
    required_activities: list[dict[str, Any]] = Field(
        ..., description='Activities to log while in the stage, e.g. {"kind": "visit", "count": 1}.'
    )
    needs_approval: bool = Field(
        ..., description="Moving forward out of this stage waits for a manager's approval."
    )
    next_actions: list[str] = Field(..., validation_alias="next_action_lines")

    @staticmethod
    def resolve_required_activities(obj):
        return [
            item if isinstance(item, dict) else {"kind": str(item), "count": 1}
            for item in obj.required_activities or ()
        ]


class PipelineOut(Schema):
    id: int
    code: str
    name: str
    name_zh: str
    name_en: str
    product_line: str
    team_id: int | None
    is_default: bool
    is_active: bool
    order: int
    stages: list[StageOut] = Field(..., description="Open stages in order, then won and lost.")

    @staticmethod
    def resolve_stages(obj):
        return sorted(obj.stages.all(), key=lambda s: (s.kind != "open", s.order, s.pk))


# --- deals ----------------------------------------------------------------------------------
class DealOut(Schema):
    id: int
    name: str
    account: AccountRef
    contacts: list[ContactRef] = Field(..., description="The decision chain.")
    owner: UserRef
    lead_id: int | None
    pipeline: PipelineRef
    stage: StageRef
    stage_entered_at: dt.datetime
    stall_due_at: dt.datetime | None = Field(
        None, description="When the deal stalls in its stage (null once won or lost)."
    )
    status: str = Field(..., description="open, won or lost.")
    product_line: str
    amount: Decimal
    weighted_amount: Decimal = Field(..., description="amount × the stage's probability.")
    expected_close_date: dt.date | None
    commit_category: str = Field(..., description="commit, best_case, pipeline or omitted.")
    need_confirmed: bool
    budget_confirmed: bool
    decision_maker_identified: bool
    qualified: bool = Field(..., description="Need, budget and decision maker all confirmed.")
    lost_reason: str
    lost_note: str
    closed_at: dt.datetime | None
    health_passed: int | None = Field(None, description="Healthy-deal criteria met (of 5).")
    custom: dict[str, Any] = Field(default_factory=dict, description=CUSTOM_OUT_HELP)
    created_at: dt.datetime
    updated_at: dt.datetime
    url: str = Field(..., description="The deal's page.")

    @staticmethod
    def resolve_contacts(obj):
        return list(obj.contacts.all())

    @staticmethod
    def resolve_url(obj):
        return obj.get_absolute_url()


class DealPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[DealOut]


_STAGE_HELP = (
    "An open stage of the pipeline (default: its first); a stage of another pipeline is refused."
)


class DealIn(Schema):
    account_id: int = Field(..., description="An account you can see.")
    name: str = Field("", max_length=200, description="Default: the account's name.")
    owner_id: int | None = Field(None, description="Default: you. A rep or manager you may pick.")
    pipeline_id: int | None = Field(
        None,
        description="Default: the product line's pipeline, else the owner's team's, else the "
        "default one (or the pipeline of stage_id).",
    )
    stage_id: int | None = Field(None, description=_STAGE_HELP)
    contact_ids: list[int] = Field(
        default_factory=list, description="The decision chain: contacts of the account."
    )
    product_line: str = Field("", max_length=30)
    amount: Decimal = Field(Decimal("0"), description="CNY, not negative.")
    expected_close_date: dt.date | None = None
    commit_category: str = Field("pipeline", max_length=20)
    need_confirmed: bool = False
    budget_confirmed: bool = False
    decision_maker_identified: bool = False
    custom: dict[str, Any] = Field(
        default_factory=dict, description="Custom field values by key; see GET /custom-fields."
    )

    model_config = {"extra": "forbid"}


class DealPatch(Schema):
    """Only the fields sent change; the stage changes through POST …/stage-changes."""

    name: str | None = Field(None, min_length=1, max_length=200)
    account_id: int | None = None
    owner_id: int | None = None
    contact_ids: list[int] | None = Field(None, description="Replaces the decision chain.")
    product_line: str | None = Field(None, max_length=30)
    amount: Decimal | None = None
    expected_close_date: dt.date | None = None
    commit_category: str | None = Field(None, max_length=20)
    need_confirmed: bool | None = None
    budget_confirmed: bool | None = None
    decision_maker_identified: bool | None = None
    custom: dict[str, Any] | None = Field(
        None, description='Only the custom fields named are changed; null or "" clears one.'
    )

    model_config = {"extra": "forbid"}


class DealReassignIn(Schema):
    owner_id: int = Field(..., description="The new owner: an active rep or manager you may pick.")
    reason: str = Field("", max_length=500)

    model_config = {"extra": "forbid"}


class DealFromLeadIn(Schema):
    lead_id: int = Field(..., description="A lead you may change; it is converted first if needed.")
    name: str | None = Field(None, max_length=200, description="Default: company · product line.")
    pipeline_id: int | None = None
    stage_id: int | None = Field(None, description=_STAGE_HELP)
    product_line: str | None = Field(None, max_length=30, description="Default: the lead's.")
    amount: Decimal | None = None
    expected_close_date: dt.date | None = None

    model_config = {"extra": "forbid"}


# --- stage changes --------------------------------------------------------------------------
class EvidenceOut(Schema):
    id: int
    deal_id: int
    stage: StageRef = Field(..., description="The stage the deal was in at the upload.")
    stage_change_id: int | None
    type: str
    type_label: str = Field(..., validation_alias="get_type_display")
    original_name: str
    size: int
    content_type: str
    sha256: str
    note: str
    created_by: UserRef | None
    created_at: dt.datetime
    file_url: str = Field(..., description="GET it to download the file (same visibility).")

    @staticmethod
    def resolve_file_url(obj):
        return f"/api/v1/evidence/{obj.pk}/file"


class StageChangeOut(Schema):
    id: int
    deal: DealRef
    from_stage: StageRef | None
    to_stage: StageRef
    direction: str = Field(..., description="created, forward, backward, won, lost or reopened.")
    state: str = Field(..., description="pending, applied, rejected or cancelled (withdrawn).")
    reason: str
    lost_reason: str
    requested_by: UserRef | None
    requested_at: dt.datetime
    decided_by: UserRef | None
    decided_by_rule: int | None = Field(None, description="The rule that approved it, if any.")
    decided_at: dt.datetime | None
    decision_note: str
    applied_at: dt.datetime | None
    working_days_in_stage: Decimal | None = Field(
        None, description="Working days the deal spent in from_stage (once applied)."
    )


class StageChangePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[StageChangeOut]


def _id_as_text(value):
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


StageKey = Annotated[str, BeforeValidator(_id_as_text)]


class StageChangeIn(Schema):
    to_stage: StageKey = Field(
        ...,
        max_length=50,
        description="The target stage of the deal's pipeline: its code (e.g. proposal) or "
        "its id (as text or a number).",
    )
    reason: str = Field(
        "", max_length=500, description="Required to move back, to lost, or to reopen."
    )
    lost_reason: str = Field(
        "", max_length=30, description="Moving to lost: a code of the list “deal_lost_reason”."
    )

    model_config = {"extra": "forbid"}


class ApproveIn(Schema):
    note: str = Field("", max_length=500)

    model_config = {"extra": "forbid"}


class RejectIn(Schema):
    reason: str = Field(..., max_length=500, description="Why: told to the requester.")

    model_config = {"extra": "forbid"}


class MissingCriterion(Schema):
    code: str = Field(..., description="field, evidence or activity.")
    field: str
    message: str
    type: str | None = Field(None, description="The evidence type missing (code evidence).")
    kind: str | None = Field(None, description="The activity kind missing (code activity).")

"""API schemas for leads, channels, routing rules and the dwell report."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from salesops.core.schemas import UserRef
from salesops.core.visibility import visible_owner_ids

CUSTOM_OUT_HELP = (
    "Custom field values by key (GET /custom-fields?entity=lead lists them): numbers and "
    "money as decimal strings, dates and instants as ISO text, users as ids."
)


class NamedRef(Schema):
    id: int
    name: str


class ChannelRef(Schema):
    id: int
    name: str
    kind: str


# --- leads ----------------------------------------------------------------------------------
class LeadOut(Schema):
    id: int
    contact_name: str
    phone: str = Field(..., description="International format (E.164), e.g. +8613800138000.")
    company: str
    need: str
    email: str
    wechat: str
    credit_code: str
    address: str
    province: str
    city: str
    industry: str
    size_band: str
    product_line: str
    channel: ChannelRef
    campaign: str
    status: str
    invalid_reason: str
    owner: UserRef | None = Field(None, description="null while the lead is in the pool.")
    team_id: int | None
    assigned_at: dt.datetime | None
    first_contact_at: dt.datetime | None
    sla_due_at: dt.datetime | None
    sla_state: str
    escalation_level: int
    progressed_at: dt.datetime = Field(
        ..., description="Last progress (intake, status change, check-in): the dwell report."
    )
    touches: int = Field(..., description="How many inquiries reached this lead.")
    review_state: str
    possible_duplicate_of_id: int | None
    account_id: int | None = Field(
        None, description="The account the lead links to; null unless you may see it."
    )
    contact_id: int | None = Field(
        None, description="The contact the lead links to; null unless you may see it."
    )
    created_at: dt.datetime
    custom: dict[str, Any] = Field(default_factory=dict, description=CUSTOM_OUT_HELP)

    # A lead may link to a customer its reader may not see (an intake matched another
    # rep's account, or a manager converted it into one): the link is shown only to
    # those who may see that account.
    @staticmethod
    def resolve_account_id(obj, context):
        return obj.account_id if _customer_visible(obj, context) else None

    @staticmethod
    def resolve_contact_id(obj, context):
        return obj.contact_id if _customer_visible(obj, context) else None


def _customer_visible(lead, context) -> bool:
    if getattr(lead, "account_id", None) is None:
        return True
    request = (context or {}).get("request")
    user = getattr(request, "user", None)
    if user is None:
        return False
    ids = visible_owner_ids(user)
    return ids is None or lead.account.owner_id in ids


class LeadPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[LeadOut]


_REQUIRED = "Required: a lead needs contact_name, phone, company and need."


class LeadIn(Schema):
    """Quick entry. The four required fields default to "" here so that one 422 names
    every missing or bad field at once (the service checks them together)."""

    contact_name: str = Field("", description=_REQUIRED)
    phone: str = Field("", description=_REQUIRED + " Any common format; stored as E.164.")
    company: str = Field("", description=_REQUIRED)
    need: str = Field("", description=_REQUIRED)
    email: str = ""
    wechat: str = ""
    credit_code: str = ""
    address: str = ""
    province: str = ""
    city: str = ""
    industry: str = ""
    size_band: str = ""
    product_line: str = ""
    campaign: str = ""
    channel: str | int = Field(
        "",
        description="Source channel: its id or kind code (referral, event, website, social, "
        "ads, manual); blank is manual entry. API and import channels cannot be named; an "
        "unknown or inactive one is a 422 on `channel` listing the choices.",
    )
    custom: dict[str, Any] = Field(
        default_factory=dict, description="Custom field values by key; see GET /custom-fields."
    )

    model_config = {"extra": "forbid"}


class LeadPatch(Schema):
    contact_name: str | None = None
    phone: str | None = None
    company: str | None = None
    need: str | None = None
    email: str | None = None
    wechat: str | None = None
    credit_code: str | None = None
    address: str | None = None
    province: str | None = None
    city: str | None = None
    industry: str | None = None
    size_band: str | None = None
    product_line: str | None = None
    campaign: str | None = None
    channel: str | int | None = Field(
        None, description="Correct the source channel: its id or kind code (as on entry)."
    )
    custom: dict[str, Any] | None = Field(
        None, description='Only the custom fields named are changed; null or "" clears one.'
    )

    model_config = {"extra": "forbid"}


class QuickEntryOut(Schema):
    """The answer to ``POST /leads``, the same shape for both outcomes."""

    outcome: str = Field(
        ...,
        description="created: a new lead (HTTP 201); attached: a repeat inquiry counted on "
        "an existing lead (HTTP 200).",
    )
    id: int = Field(..., description="The new lead, or the lead the inquiry was attached to.")
    owner_name: str | None = Field(None, description="Who has the lead (null: the pool).")
    matched_by: str | None = Field(
        None, description="phone, credit_code or company when a duplicate was found."
    )
    visible: bool = Field(..., description="Whether you may open the lead.")
    lead: LeadOut | None = Field(None, description="The full lead, only when visible.")


class StatusIn(Schema):
    status: str
    invalid_reason: str = ""

    model_config = {"extra": "forbid"}


class ReassignIn(Schema):
    owner_id: int | None = Field(..., description="The new owner; null puts it in the pool.")
    reason: str = ""
    override_cap: bool = Field(
        False,
        description="Give the lead even when the new owner reached their daily lead cap "
        "(the reason is recorded with the override).",
    )

    model_config = {"extra": "forbid"}


class ReviewIn(Schema):
    merge: bool = Field(
        ..., description="true: merge into the earlier lead; false: not a duplicate."
    )

    model_config = {"extra": "forbid"}


class ConvertOut(Schema):
    outcome: str = Field(
        "converted",
        description="converted (200), or review (202): the lead matches a customer you "
        "may not change and waits for your manager; nothing was written to that customer.",
    )
    message: str = ""
    account_id: int | None = Field(None, description="null while the lead waits for review.")
    contact_id: int | None = Field(None, description="null while the lead waits for review.")
    lead: LeadOut


class TimelineOut(Schema):
    at: dt.datetime
    kind: str = Field(
        ...,
        description="intake, duplicate, inquiry, assignment, activity, status, rule, escalation",
    )
    title: str
    detail: str
    actor: str
    data: dict[str, Any]


class AssignmentOut(Schema):
    id: int
    created_at: dt.datetime
    owner: UserRef | None
    previous_owner: UserRef | None
    rule_id: int | None
    rule_name: str
    strategy: str = Field(
        ..., description="round_robin, least_loaded, weighted, manual, claim, or empty."
    )
    reason: str
    over_cap: bool = Field(
        False, description="A manager reassigned it beyond the rep's daily cap (L5)."
    )
    actor: UserRef | None


# --- channels -------------------------------------------------------------------------------
class LeadChannelOut(Schema):
    id: int
    name: str
    kind: str
    campaign: str
    is_active: bool
    rate_limit: int
    team_id: int | None
    token: str = Field(..., description="The secret of the public intake endpoint.")
    created_at: dt.datetime
    updated_at: dt.datetime


class LeadChannelIn(Schema):
    name: str = ""
    kind: str = ""
    campaign: str = ""
    is_active: bool = True
    rate_limit: int = 60
    team_id: int | None = None

    model_config = {"extra": "forbid"}


class LeadChannelPatch(Schema):
    name: str | None = None
    kind: str | None = None
    campaign: str | None = None
    is_active: bool | None = None
    rate_limit: int | None = None
    team_id: int | None = None

    model_config = {"extra": "forbid"}


# --- routing rules --------------------------------------------------------------------------
class MemberIn(Schema):
    user_id: int
    weight: int = 1

    model_config = {"extra": "forbid"}


class MemberOut(Schema):
    user_id: int
    name: str
    weight: int


class RoutingRuleOut(Schema):
    id: int
    name: str
    priority: int
    is_active: bool
    condition: str
    team_id: int | None
    strategy: str
    members: list[MemberOut]
    created_at: dt.datetime
    updated_at: dt.datetime
    warnings: list[str] = Field(
        default_factory=list,
        description="Why the rule may never place a lead: its condition cannot hold, or an "
        "earlier active rule matches every lead it matches (named).",
    )


class RoutingRuleIn(Schema):
    name: str = ""
    priority: int | None = Field(None, description="Omitted: after the existing rules.")
    is_active: bool = True
    condition: str = Field("", description="An expression over lead fields; empty: every lead.")
    team_id: int | None = None
    strategy: str = "round_robin"
    members: list[MemberIn] = Field(
        default_factory=list, description="The reps (with weights); empty: the team's reps."
    )

    model_config = {"extra": "forbid"}


class RoutingRulePatch(Schema):
    name: str | None = None
    priority: int | None = None
    is_active: bool | None = None
    condition: str | None = None
    team_id: int | None = None
    strategy: str | None = None
    members: list[MemberIn] | None = Field(None, description="Replaces the list when given.")

    model_config = {"extra": "forbid"}


class RoutingSampleIn(Schema):
    contact_name: str = ""
    phone: str = ""
    company: str = ""
    need: str = ""
    email: str = ""
    wechat: str = ""
    credit_code: str = ""
    address: str = ""
    province: str = ""
    city: str = ""
    industry: str = ""
    size_band: str = ""
    product_line: str = ""
    campaign: str = ""
    custom: dict[str, Any] = Field(default_factory=dict)

    model_config = {"extra": "forbid"}


class RoutingTestOut(Schema):
    placed: bool
    rule: NamedRef | None
    strategy: str
    candidates: list[NamedRef] = Field(..., description="In the order they would be tried.")
    reason: str
    skipped: list[str]
    province: str = Field(..., description="The province used (filled from the address).")
    city: str


# --- dwell report ---------------------------------------------------------------------------
class DwellRowOut(Schema):
    lead_id: int
    company: str
    contact_name: str
    owner: UserRef | None
    team_id: int | None
    status: str
    progressed_at: dt.datetime
    days: float


class DwellTeamOut(Schema):
    team: NamedRef | None
    rows: list[DwellRowOut]


class DwellOwnerOut(Schema):
    owner: UserRef | None
    rows: list[DwellRowOut]


class DwellOut(Schema):
    month: str
    as_of: dt.datetime
    overall: list[DwellRowOut]
    by_team: list[DwellTeamOut]
    by_owner: list[DwellOwnerOut]

"""API schemas for complaints, NPS responses, service tickets, renewals and the decision
chain."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema

from salesops.core.schemas import AccountRef, ContactRef, UserRef

CUSTOM_OUT = Field(
    default_factory=dict,
    description="Custom field values by key (GET /custom-fields?entity=… lists them).",
)
CUSTOM_IN = Field(
    default_factory=dict, description="Custom field values by key; see GET /custom-fields."
)
CUSTOM_PATCH = Field(
    None, description='Only the custom fields named are changed; null or "" clears one.'
)
EXTERNAL_ID = Field(
    "", max_length=100, description="The id in the sending system; unique per kind when given."
)
SOURCE = Field("", max_length=50, description="Where the record came from (default: manual).")

SeverityT = Literal["major", "minor"]
ComplaintStatusT = Literal["open", "in_progress", "resolved", "closed"]
PriorityT = Literal["low", "normal", "high", "urgent"]
RenewalStatusT = Literal["pending", "renewed", "lost"]


class RecordOut(Schema):
    id: int
    account: AccountRef
    external_id: str
    source: str
    custom: dict[str, Any] = CUSTOM_OUT
    created_at: dt.datetime
    updated_at: dt.datetime


class Page(Schema):
    count: int
    page: int
    page_size: int


# --- complaints ---------------------------------------------------------------------------------


class ComplaintOut(RecordOut):
    contact: ContactRef | None
    severity: str
    status: str
    summary: str
    details: str
    raised_on: dt.date
    resolved_on: dt.date | None
    owner: UserRef = Field(..., description="Who handles the complaint.")


class ComplaintIn(Schema):
    account_id: int
    contact_id: int | None = None
    severity: SeverityT = "minor"
    status: ComplaintStatusT = "open"
    summary: str = Field(..., min_length=1, max_length=200)
    details: str = Field("", max_length=4000)
    raised_on: dt.date
    resolved_on: dt.date | None = None
    owner_id: int | None = Field(None, description="The handler; default the account owner.")
    external_id: str = EXTERNAL_ID
    source: str = SOURCE
    custom: dict[str, Any] = CUSTOM_IN

    model_config = {"extra": "forbid"}


class ComplaintPatch(Schema):
    contact_id: int | None = None
    severity: SeverityT | None = None
    status: ComplaintStatusT | None = None
    summary: str | None = Field(None, min_length=1, max_length=200)
    details: str | None = Field(None, max_length=4000)
    raised_on: dt.date | None = None
    resolved_on: dt.date | None = None
    owner_id: int | None = None
    external_id: str | None = Field(None, max_length=100)
    custom: dict[str, Any] | None = CUSTOM_PATCH

    model_config = {"extra": "forbid"}


class ComplaintPage(Page):
    results: list[ComplaintOut]


# --- NPS ----------------------------------------------------------------------------------------


class NpsOut(RecordOut):
    contact: ContactRef | None
    score: int
    category: str = Field(..., description="promoter (9–10), passive (7–8), detractor (0–6)")
    comment: str
    responded_on: dt.date
    survey: str


class NpsIn(Schema):
    account_id: int
    contact_id: int | None = None
    score: int = Field(..., description="0 to 10.")
    comment: str = Field("", max_length=2000)
    responded_on: dt.date
    survey: str = Field("", max_length=100)
    external_id: str = EXTERNAL_ID
    source: str = SOURCE
    custom: dict[str, Any] = CUSTOM_IN

    model_config = {"extra": "forbid"}


class NpsPatch(Schema):
    contact_id: int | None = None
    score: int | None = None
    comment: str | None = Field(None, max_length=2000)
    responded_on: dt.date | None = None
    survey: str | None = Field(None, max_length=100)
    external_id: str | None = Field(None, max_length=100)
    custom: dict[str, Any] | None = CUSTOM_PATCH

    model_config = {"extra": "forbid"}


class NpsPage(Page):
    results: list[NpsOut]


# --- service tickets ----------------------------------------------------------------------------


class TicketOut(RecordOut):
    contact: ContactRef | None
    subject: str
    details: str
    priority: str
    state: str = Field(..., description="waiting, responded or resolved")
    opened_at: dt.datetime
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    response_working_minutes: int | None
    response_hours: Decimal | None
    resolution_working_minutes: int | None
    resolution_hours: Decimal | None


class TicketIn(Schema):
    account_id: int
    contact_id: int | None = None
    subject: str = Field(..., min_length=1, max_length=200)
    details: str = Field("", max_length=4000)
    priority: PriorityT = "normal"
    opened_at: dt.datetime
    first_response_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    external_id: str = EXTERNAL_ID
    source: str = SOURCE
    custom: dict[str, Any] = CUSTOM_IN

    model_config = {"extra": "forbid"}


class TicketPatch(Schema):
    contact_id: int | None = None
    subject: str | None = Field(None, min_length=1, max_length=200)
    details: str | None = Field(None, max_length=4000)
    priority: PriorityT | None = None
    opened_at: dt.datetime | None = None
    first_response_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    external_id: str | None = Field(None, max_length=100)
    custom: dict[str, Any] | None = CUSTOM_PATCH

    model_config = {"extra": "forbid"}


class TicketPage(Page):
    results: list[TicketOut]


# --- renewals -----------------------------------------------------------------------------------


class RenewalOut(RecordOut):
    contract_number: str
    due_on: dt.date
    status: str
    amount: Decimal
    closed_on: dt.date | None
    lost_reason: str


class RenewalIn(Schema):
    account_id: int
    contract_number: str = Field("", max_length=100)
    due_on: dt.date
    status: RenewalStatusT = "pending"
    amount: Decimal = Field(Decimal("0.00"), description="CNY, 2 places, not negative.")
    closed_on: dt.date | None = None
    lost_reason: str = Field("", max_length=500)
    external_id: str = EXTERNAL_ID
    source: str = SOURCE
    custom: dict[str, Any] = CUSTOM_IN

    model_config = {"extra": "forbid"}


class RenewalPatch(Schema):
    contract_number: str | None = Field(None, max_length=100)
    due_on: dt.date | None = None
    status: RenewalStatusT | None = None
    amount: Decimal | None = None
    closed_on: dt.date | None = None
    lost_reason: str | None = Field(None, max_length=500)
    external_id: str | None = Field(None, max_length=100)
    custom: dict[str, Any] | None = CUSTOM_PATCH

    model_config = {"extra": "forbid"}


class RenewalPage(Page):
    results: list[RenewalOut]


# --- the decision chain -------------------------------------------------------------------------


class ChainContact(Schema):
    id: int
    name: str
    title: str


class ChainLinkOut(Schema):
    role: str
    label: str
    reached: bool
    contacts: list[ChainContact]


class DecisionChainOut(Schema):
    account_id: int
    reached: int = Field(..., description="Distinct decision roles covered by contacts.")
    total: int
    roles: list[ChainLinkOut] = Field(..., description="In chain order, signatory first.")
    missing: list[str]
    others: list[ChainContact] = Field(..., description="Contacts without a decision role.")

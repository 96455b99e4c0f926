"""API shapes of the inbox."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class MessageIn(Schema):
    source: int | None = Field(
        None, description="An active inbox source of kind api; the first one when left out."
    )
    message_id: str = Field(..., description="The message's id in the sending system (unique).")
    sender: str = Field(..., description="Who wrote: a phone, an email or a user id.")
    sender_name: str = ""
    subject: str = ""
    body: str = ""
    received_at: dt.datetime | None = None


class MessageOut(Schema):
    id: int
    source_id: int
    channel: str
    direction: str
    source_message_id: str
    sender_address: str
    sender_name: str
    subject: str
    body: str
    received_at: dt.datetime
    account_id: int | None
    contact_id: int | None
    lead_id: int | None
    matched_by: str
    scenario: str
    scenario_keyword: str
    complaint_id: int | None
    renewal_id: int | None
    outcome_note: str
    assignee_id: int | None
    status: str
    reply_to_id: int | None
    delivery_error: str


class MessagePage(Schema):
    count: int
    page: int
    page_size: int
    results: list[MessageOut]


class MessageQuery(Schema):
    q: str | None = None
    channel: str | None = None
    scenario: str | None = None
    status: str | None = None
    matched: str | None = None
    scope: str | None = None
    account: int | None = None
    page: int = 1
    page_size: int = 25


class LinkIn(Schema):
    contact: int


class ReplyIn(Schema):
    body: str

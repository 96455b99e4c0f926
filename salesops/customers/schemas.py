"""API schemas for accounts and contacts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from salesops.core.schemas import AccountRef, UserRef


class AccountOut(Schema):
    id: int
    name: str
    credit_code: str
    industry: str
    size_band: str
    province: str
    city: str
    address: str
    level: str
    notes: str
    nda_signed_on: dt.date | None = Field(
        None, description="When the NDA was signed; null = no NDA (K10)."
    )
    owner: UserRef
    success_owner: UserRef | None = Field(
        None, description="The assigned customer-success manager, if any."
    )
    custom: dict[str, Any] = Field(
        default_factory=dict,
        description="Custom field values by key (GET /custom-fields lists them): numbers and "
        "money as decimal strings, dates and instants as ISO text, users as ids.",
    )
    created_at: dt.datetime
    updated_at: dt.datetime
    url: str = Field(..., validation_alias="get_absolute_url")


class AccountIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    credit_code: str = Field("", max_length=32)
    industry: str = Field("", max_length=30)
    size_band: str = Field("", max_length=30)
    province: str = Field("", max_length=30)
    city: str = Field("", max_length=30)
    address: str = Field("", max_length=255)
    level: str = Field("C", max_length=30)
    notes: str = Field("", max_length=2000)
    nda_signed_on: dt.date | None = Field(None, description="When the NDA was signed.")
    owner_id: int | None = None
    success_owner_id: int | None = Field(
        None, description="An active customer-success user to look after the account."
    )
    custom: dict[str, Any] = Field(
        default_factory=dict,
        description="Custom field values by key; see GET /custom-fields?entity=…",
    )

    model_config = {"extra": "forbid"}


class AccountPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    credit_code: str | None = Field(None, max_length=32)
    industry: str | None = Field(None, max_length=30)
    size_band: str | None = Field(None, max_length=30)
    province: str | None = Field(None, max_length=30)
    city: str | None = Field(None, max_length=30)
    address: str | None = Field(None, max_length=255)
    level: str | None = Field(None, max_length=30)
    notes: str | None = Field(None, max_length=2000)
    nda_signed_on: dt.date | None = Field(
        None, description="When the NDA was signed; null clears it (no NDA)."
    )
    owner_id: int | None = None
    success_owner_id: int | None = Field(
        None, description="An active customer-success user; null clears the assignment."
    )
    custom: dict[str, Any] | None = Field(
        None, description='Only the custom fields named are changed; null or "" clears one.'
    )

    model_config = {"extra": "forbid"}


class ContactOut(Schema):
    id: int
    account: AccountRef
    name: str
    phone: str
    wechat: str
    email: str
    title: str
    decision_role: str
    custom: dict[str, Any] = Field(
        default_factory=dict,
        description="Custom field values by key (GET /custom-fields lists them): numbers and "
        "money as decimal strings, dates and instants as ISO text, users as ids.",
    )
    created_at: dt.datetime
    updated_at: dt.datetime
    url: str = Field(..., validation_alias="get_absolute_url")


class ContactIn(Schema):
    account_id: int
    name: str = Field(..., min_length=1, max_length=100)
    phone: str = Field("", max_length=32)
    wechat: str = Field("", max_length=64)
    email: str = Field("", max_length=254)
    title: str = Field("", max_length=100)
    decision_role: str = Field("other", max_length=30)
    custom: dict[str, Any] = Field(
        default_factory=dict,
        description="Custom field values by key; see GET /custom-fields?entity=…",
    )

    model_config = {"extra": "forbid"}


class ContactPatch(Schema):
    account_id: int | None = None
    name: str | None = Field(None, min_length=1, max_length=100)
    phone: str | None = Field(None, max_length=32)
    wechat: str | None = Field(None, max_length=64)
    email: str | None = Field(None, max_length=254)
    title: str | None = Field(None, max_length=100)
    decision_role: str | None = Field(None, max_length=30)
    custom: dict[str, Any] | None = Field(
        None, description='Only the custom fields named are changed; null or "" clears one.'
    )

    model_config = {"extra": "forbid"}


class AccountPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[AccountOut]


class ContactPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ContactOut]

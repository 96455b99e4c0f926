"""API shapes of the knowledge base."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class TagOut(Schema):
    id: int
    code: str
    label_zh: str
    label_en: str


class ItemOut(Schema):
    id: int
    kind: str
    title: str
    summary: str
    channel: str
    customer_types: list[str]
    tags: list[TagOut]
    is_active: bool
    version: int
    updated_at: dt.datetime
    match_percent: int | None = Field(None, description="0–100 when the list was searched")

    @staticmethod
    def resolve_tags(obj):
        return list(obj.tags.all())


class ItemDetailOut(ItemOut):
    body: str = Field(description="With placeholders filled when lead/account/deal are given")
    has_attachment: bool
    attachment_name: str

    @staticmethod
    def resolve_has_attachment(obj):
        return bool(obj.attachment)


class ItemPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ItemOut]


class MatchOut(Schema):
    item: ItemOut
    percent: int = Field(description="BM25 score / the query's self-score, 0–100")
    label: str = Field(description="“82% match with …” in the reader's language")
    rendered: str = Field(description="The body with placeholders filled")


class UsageIn(Schema):
    action: str = Field(description="viewed | copied | adopted | searched")
    item_id: int | None = None
    query: str = Field("", max_length=500, description="The search text (searched)")
    lead_id: int | None = None
    account_id: int | None = None
    deal_id: int | None = None
    activity_id: int | None = None


class UsageOut(Schema):
    id: int
    action: str
    item_id: int | None
    query: str
    lead_id: int | None
    account_id: int | None
    deal_id: int | None
    activity_id: int | None
    at: dt.datetime

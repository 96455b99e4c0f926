"""API schemas of the imports (names of their own: Import*)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class ImportJobOut(Schema):
    id: int
    entity: str
    state: str
    filename: str
    size: int
    sheet: str
    template_version: int | None
    headers: list[str]
    mapping: dict[str, str] = Field(..., description="column index → field key")
    suggested: dict = Field(..., description="column index → {field, how, score}")
    mapping_confirmed: bool
    notices: list
    row_count: int
    progress: int
    counts: dict
    error: str
    created_by_id: int
    created_at: dt.datetime
    checked_at: dt.datetime | None
    committed_at: dt.datetime | None


class ImportJobPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ImportJobOut]


class ImportProblemOut(Schema):
    field: str
    label: str
    message: str


class ImportRowOut(Schema):
    row_no: int
    status: str
    errors: list[ImportProblemOut]
    message: str
    values: list[str]
    object_id: int | None
    committed: bool


class ImportRowPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[ImportRowOut]


class ImportMappingIn(Schema):
    mapping: dict[str, str] = Field(
        ..., description="column index (as text) → field key; leave a column out to ignore it"
    )

"""API schema pieces every app's schemas share: the small references to a user, an account
or a contact that a record points at. Apps import them from here, never from another
app's schemas."""

from __future__ import annotations

from ninja import Field, Schema


class UserRef(Schema):
    id: int
    name: str = Field(..., validation_alias="label")


class AccountRef(Schema):
    id: int
    name: str


class ContactRef(Schema):
    id: int
    name: str


class DealRef(Schema):
    id: int
    name: str

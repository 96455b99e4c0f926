"""API schemas for custom field definitions."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema


class ChoiceOut(Schema):
    value: str
    label: str


class CustomFieldOut(Schema):
    key: str
    label: str = Field(..., description="In the request's language.")
    label_zh: str
    label_en: str
    type: str = Field(
        ...,
        description="text, long_text, number, money, date, datetime, choice, multi_choice, "
        "user or boolean",
    )
    required: bool
    default: Any = None
    help_text: str
    order: int
    choices: list[ChoiceOut]
    show_in_list: bool
    filter: str = Field(..., description="The list endpoints' query parameter: cf_<key>.")

    @staticmethod
    def resolve_choices(obj) -> list[dict]:
        return [{"value": c["value"], "label": c.get("label") or c["value"]} for c in obj.choices]

    @staticmethod
    def resolve_filter(obj) -> str:
        return f"cf_{obj.key}"


class EntityQuery(Schema):
    entity: str = Field(..., description="account, contact …")

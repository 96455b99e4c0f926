"""API schemas for custom field definitions."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema


class ChoiceOut(Schema):
    value: str
    label: str


class CustomFieldOut(Schema):
    id: int
    entity: str
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
    active: bool
    help_zh: str
    help_en: str
    filter: str = Field(..., description="The list endpoints' query parameter: cf_<key>.")

    @staticmethod
    def resolve_choices(obj) -> list[dict]:
        return [{"value": c["value"], "label": c.get("label") or c["value"]} for c in obj.choices]

    @staticmethod
    def resolve_filter(obj) -> str:
        return f"cf_{obj.key}"


class EntityQuery(Schema):
    entity: str = Field(..., description="account, contact …")


class EntityListQuery(EntityQuery):
    include_inactive: bool = Field(False, description="Admins: switched-off fields too.")


TYPE_HELP = "text, long_text, number, money, date, datetime, choice, multi_choice, user or boolean"


class CustomFieldIn(Schema):
    entity: str = Field(..., description="account, contact, lead, activity, task …")
    key: str = Field(..., description="Lower-case letters, digits and _; fixed once created.")
    label_zh: str = ""
    label_en: str = ""
    type: str = Field(..., description=TYPE_HELP)
    required: bool = False
    default: Any = None
    help_zh: str = ""
    help_en: str = ""
    order: int | None = Field(None, description="Default: after the existing fields.")
    choices: list[Any] = Field(
        default_factory=list,
        description='For choice fields: ["A", …] or [{"value": "a", "label": "A"}, …].',
    )
    show_in_list: bool = False

    model_config = {"extra": "forbid"}


class CustomFieldPatch(Schema):
    """Only the fields sent change; ``entity`` and ``key`` never do."""

    label_zh: str | None = None
    label_en: str | None = None
    type: str | None = Field(None, description="Only to a compatible type (text ↔ long_text …).")
    required: bool | None = None
    default: Any = None
    help_zh: str | None = None
    help_en: str | None = None
    order: int | None = None
    choices: list[Any] | None = None
    show_in_list: bool | None = None
    active: bool | None = None

    model_config = {"extra": "forbid"}

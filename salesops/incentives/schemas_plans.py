"""API shapes of bonus plans and versions, the formula check, Settings · Incentives and
mentor pairs (names prefixed so they stay unique in the OpenAPI document)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema

from .plans import version_changes


class BonusPlanComponentIn(Schema):
    kind: str
    label: str = ""
    formula: str
    deferred: bool | None = None
    apply_coefficient: bool | None = None
    position: int | None = None


class BonusPlanComponentOut(Schema):
    id: int
    kind: str
    label: str
    formula: str
    deferred: bool
    apply_coefficient: bool
    position: int


class BonusPlanVersionIn(Schema):
    effective_on: dt.date
    components: list[BonusPlanComponentIn]
    note: str = ""


class BonusPlanVersionOut(Schema):
    id: int
    plan_id: int
    number: int
    effective_on: dt.date
    note: str
    created_at: dt.datetime
    created_by_id: int | None
    components: list[BonusPlanComponentOut]
    changes: list[str] = []

    @staticmethod
    def resolve_components(obj):
        return list(obj.components.order_by("position", "pk"))

    @staticmethod
    def resolve_changes(obj):
        return version_changes(obj)


class BonusPlanOut(Schema):
    id: int
    name: str
    role: str
    team_id: int | None
    description: str
    is_active: bool
    latest_version: int | None = None

    @staticmethod
    def resolve_latest_version(obj):
        latest = getattr(obj, "latest", None)
        if latest is None:
            latest = obj.versions.order_by("-number").values_list("number", flat=True).first()
        return latest


class BonusPlanDetailOut(BonusPlanOut):
    versions: list[BonusPlanVersionOut]

    @staticmethod
    def resolve_versions(obj):
        return list(obj.versions.order_by("-number"))


class BonusPlanPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[BonusPlanOut]


class BonusPlanIn(Schema):
    name: str
    role: str = "rep"
    team_id: int | None = None
    description: str = ""


class BonusPlanPatch(Schema):
    name: str | None = None
    description: str | None = None
    is_active: bool | None = None


class BonusPlanFormulaCheckIn(Schema):
    kind: str
    formula: str


class BonusPlanVariableOut(Schema):
    name: str
    meaning: str
    example: str


class BonusPlanFormulaCheckOut(Schema):
    ok: bool
    errors: list[str]
    variables: list[BonusPlanVariableOut]
    preview: dict | None


class IncentivePolicyOut(Schema):
    payment_percent: Decimal
    quality_percent: Decimal
    renewal_percent: Decimal
    payment_release: str
    quality_months: int
    renewal_months: int
    renewal_grace_days: int
    coefficient_min: Decimal
    coefficient_max: Decimal
    coefficient_formula: str
    response_target_hours: Decimal
    cs_hours_per_point: Decimal
    cs_max_points: int
    cs_cap_below: int
    cs_cap: Decimal
    mentor_first_percent: Decimal
    mentor_next_percent: Decimal
    mentor_next_count: int
    mentor_deducts: bool
    breakthrough_levels: list[str]
    updated_at: dt.datetime
    updated_by_id: int | None


class IncentivePolicyIn(Schema):
    """Only the fields sent change (the others keep their values)."""

    payment_percent: Decimal | None = None
    quality_percent: Decimal | None = None
    renewal_percent: Decimal | None = None
    payment_release: str | None = None
    quality_months: int | None = None
    renewal_months: int | None = None
    renewal_grace_days: int | None = None
    coefficient_min: Decimal | None = None
    coefficient_max: Decimal | None = None
    coefficient_formula: str | None = None
    response_target_hours: Decimal | None = None
    cs_hours_per_point: Decimal | None = None
    cs_max_points: int | None = None
    cs_cap_below: int | None = None
    cs_cap: Decimal | None = None
    mentor_first_percent: Decimal | None = None
    mentor_next_percent: Decimal | None = None
    mentor_next_count: int | None = None
    mentor_deducts: bool | None = None
    breakthrough_levels: list[str] | None = None


class MentorPairOut(Schema):
    id: int
    mentor_id: int
    mentor: str
    mentee_id: int
    mentee: str
    starts_on: dt.date
    ends_on: dt.date | None
    note: str

    @staticmethod
    def resolve_mentor(obj):
        return obj.mentor.label

    @staticmethod
    def resolve_mentee(obj):
        return obj.mentee.label


class MentorPairPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[MentorPairOut]


class MentorPairIn(Schema):
    mentor_id: int
    mentee_id: int
    starts_on: dt.date
    ends_on: dt.date | None = None
    note: str = ""


class MentorPairPatch(Schema):
    mentor_id: int | None = None
    mentee_id: int | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    note: str | None = None

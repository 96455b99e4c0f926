"""A KPI scheme over metric values (K2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .models import SchemeVersion

SCORE_NAMES = frozenset({"actual", "target", "workdays", "days"})


@dataclass
class DraftItem:
    metric_definition: dict
    group: str
    weight: Decimal
    formula: str
    target_source: str
    target_value: Decimal | None
    item_id: int | None = None


@dataclass
class Draft:
    result_weight: Decimal
    process_weight: Decimal
    quality_weight: Decimal
    items: list[DraftItem]


@dataclass
class ItemResult:
    item: DraftItem
    actual: Decimal | None
    target: Decimal | None
    score: Decimal
    inputs: dict
    error: str = ""


@dataclass
class RepResult:
    user_id: int
    team_id: int | None
    score: Decimal
    result_score: Decimal
    process_score: Decimal
    quality_score: Decimal
    items: list[ItemResult] = field(default_factory=list)


class PreviewError(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def draft_from_version(version: SchemeVersion) -> Draft:
    raise NotImplementedError


def targets_for(user_ids: list[int], start: date, end: date) -> dict[int, Decimal]:
    raise NotImplementedError


def score(draft: Draft, user_ids: list[int], start: date, end: date) -> list[RepResult]:
    raise NotImplementedError


def preview(
    draft: Draft, start: date, end: date, user_ids: list[int] | None = None
) -> list[RepResult]:
    raise NotImplementedError

"""Computing metric values (K1)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet

PERIOD_NAMES = frozenset({"workdays", "days"})


def compile_filter(source_code: str, text: str) -> Q:
    raise NotImplementedError


def validate_definition(definition: dict, *, known_codes: set[str]) -> dict[str, list[str]]:
    raise NotImplementedError


def compute(
    definitions: list[dict], user_ids: list[int], start: date, end: date
) -> dict[str, dict[int, Decimal | None]]:
    raise NotImplementedError


def records(definition: dict, user_id: int, start: date, end: date) -> QuerySet | None:
    raise NotImplementedError


def components(definition: dict) -> list[str]:
    raise NotImplementedError

"""Score runs (K3/K4): a scheme's scores for a period, live then final."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from .models import Scheme, SchemeVersion, ScoreRun


def month_bounds(day: date) -> tuple[date, date]:
    raise NotImplementedError


def scheme_for(user, on: date) -> Scheme | None:
    raise NotImplementedError


def members(scheme: Scheme, on: date) -> QuerySet:
    raise NotImplementedError


def version_in_force(scheme: Scheme, start: date, end: date) -> SchemeVersion | None:
    raise NotImplementedError


def run_period(scheme: Scheme, start: date, end: date, *, by=None, progress=None) -> ScoreRun:
    raise NotImplementedError


def rank(run: ScoreRun) -> None:
    raise NotImplementedError


def refresh_users(user_ids: list[int], on: date | None = None) -> int:
    raise NotImplementedError


def replay(run: ScoreRun) -> list[str]:
    raise NotImplementedError


def finalise_due(today: date) -> list[ScoreRun]:
    raise NotImplementedError

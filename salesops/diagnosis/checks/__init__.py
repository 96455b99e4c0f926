"""The registry of diagnosis checks, in the order the page and the report show them."""

from __future__ import annotations

from .activities import CheckinCompletion, EffectiveTouches
from .base import Check, Context, Measure, light
from .leads import FirstResponse, SleepingLeads
from .outcomes import DataUse
from .people import KpiProcessShare, TrancheForfeits
from .pipeline import ForecastAccuracy, StageEvidence, StalledDeals
from .targets import TargetConsensus, TargetCoverage

CHECKS: list[Check] = [
    FirstResponse(),
    SleepingLeads(),
    CheckinCompletion(),
    EffectiveTouches(),
    StageEvidence(),
    StalledDeals(),
    ForecastAccuracy(),
    TargetCoverage(),
    TargetConsensus(),
    KpiProcessShare(),
    TrancheForfeits(),
    DataUse(),
]
BY_CODE = {check.code: check for check in CHECKS}


def get(code: str) -> Check | None:
    return BY_CODE.get(code)


__all__ = ["CHECKS", "BY_CODE", "Check", "Context", "Measure", "get", "light"]

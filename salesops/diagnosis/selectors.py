"""Reads of the diagnosis: the runs of a scope and the tiles the pages show."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from . import checks
from .models import DiagnosisRun, RunState
from .scope import Scope


def done_runs(scope: Scope):
    return DiagnosisRun.objects.filter(scope_key=scope.key, state=RunState.DONE).order_by(
        "-as_of", "-id"
    )


def current_and_previous(
    scope: Scope, run_id=None
) -> tuple[DiagnosisRun | None, DiagnosisRun | None]:
    """The run shown (the latest, or ``run_id`` of this scope) and the one before it."""
    runs = done_runs(scope)
    current = None
    if run_id not in (None, ""):
        try:
            current = runs.filter(pk=int(run_id)).first()
        except (TypeError, ValueError):
            current = None
    if current is None:
        current = runs.first()
    if current is None:
        return None, None
    previous = runs.filter(as_of__lt=current.as_of).first() or (
        runs.filter(as_of=current.as_of, pk__lt=current.pk).first()
    )
    return current, previous


def running(scope: Scope) -> DiagnosisRun | None:
    return (
        DiagnosisRun.objects.filter(scope_key=scope.key, state=RunState.RUNNING)
        .order_by("-as_of")
        .first()
    )


@dataclass
class Tile:
    check: checks.Check
    result: dict | None
    previous: dict | None
    fix_url: str | None

    @property
    def light(self) -> str:
        if self.result is None:
            return "none" if self.check.available else "unavailable"
        return self.result.get("light") or "none"

    @property
    def value(self) -> str:
        return self.check.format(self._number(self.result))

    @property
    def previous_value(self) -> str:
        return self.check.format(self._number(self.previous))

    @property
    def green(self) -> str:
        return self.check.format(self.result["green"]) if self.result else ""

    @property
    def amber(self) -> str:
        return self.check.format(self.result["amber"]) if self.result else ""

    @staticmethod
    def _number(result):
        if not result or result.get("value") is None:
            return None
        return Decimal(result["value"])

    @property
    def trend(self) -> str:
        """``better`` / ``worse`` / ``same`` against the previous run, ``""`` without one."""
        now, before = self._number(self.result), self._number(self.previous)
        if now is None or before is None:
            return ""
        if now == before:
            return "same"
        up = now > before
        return "better" if up == self.check.higher_is_better else "worse"

    @property
    def available(self) -> bool:
        return bool(self.result.get("available", True)) if self.result else self.check.available


def tiles(current: DiagnosisRun | None, previous: DiagnosisRun | None, ctx=None) -> list[Tile]:
    return [
        Tile(
            check=check,
            result=current.result(check.code) if current else None,
            previous=previous.result(check.code) if previous else None,
            fix_url=check.fix_url(ctx),
        )
        for check in checks.CHECKS
    ]

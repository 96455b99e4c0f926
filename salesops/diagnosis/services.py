"""Writes of the diagnosis: its settings, and a run (created, executed, kept)."""

from __future__ import annotations

import logging
import time
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.core.history import save_with_history

from . import checks
from .models import POLICY_LIMITS, DiagnosisPolicy, DiagnosisRun, RunState, RunTrigger
from .scope import Scope, scope_from_key

log = logging.getLogger(__name__)
PLACES = Decimal("0.01")


def can_configure(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active) and (
        user.is_admin_role or user.edits_everything
    )


def thresholds(policy: DiagnosisPolicy | None = None) -> dict:
    """``{code: (green, amber)}`` in force: the saved ones, else each check's defaults."""
    policy = policy or DiagnosisPolicy.current()
    out = {}
    for check in checks.CHECKS:
        saved = (policy.thresholds or {}).get(check.code) or {}
        try:
            green = Decimal(str(saved.get("green", check.default_green)))
            amber = Decimal(str(saved.get("amber", check.default_amber)))
        except InvalidOperation:
            green, amber = check.default_green, check.default_amber
        out[check.code] = (green, amber)
    return out


def _decimal(value, errors: dict, name: str, low: Decimal, high: Decimal) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors[name] = [_("Enter a number.")]
        return None
    if not number.is_finite() or not low <= number <= high:
        errors[name] = [_("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}]
        return None
    return number.quantize(PLACES)


@transaction.atomic
def policy_save(*, actor, data: dict) -> DiagnosisPolicy:
    """Settings · Diagnosis. ``data``: ``<code>_green`` / ``<code>_amber`` per check, the
    whole-number settings of :data:`POLICY_LIMITS` and ``weekly_run``. Every bad value is
    reported at once, by field, and nothing is saved."""
    if not can_configure(actor):
        raise PermissionDenied(_("Only a sales-ops admin or a director changes these settings."))
    policy = DiagnosisPolicy.objects.select_for_update().order_by("pk").first() or DiagnosisPolicy()
    errors: dict = {}
    saved = dict(policy.thresholds or {})
    for check in checks.CHECKS:
        low, high = check.bounds
        green_name, amber_name = f"{check.code}_green", f"{check.code}_amber"
        if green_name not in data and amber_name not in data:
            continue
        current = thresholds(policy)[check.code]
        green = _decimal(data.get(green_name, current[0]), errors, green_name, low, high)
        amber = _decimal(data.get(amber_name, current[1]), errors, amber_name, low, high)
        if green is None or amber is None:
            continue
        if check.higher_is_better and amber > green:
            errors[amber_name] = [
                _("The amber threshold of “%(check)s” must not be above its healthy one (%(g)s).")
                % {"check": check.title, "g": green}
            ]
            continue
        if not check.higher_is_better and amber < green:
            errors[amber_name] = [
                _("The amber threshold of “%(check)s” must not be below its healthy one (%(g)s).")
                % {"check": check.title, "g": green}
            ]
            continue
        saved[check.code] = {"green": str(green), "amber": str(amber)}
    for name, (low, high) in POLICY_LIMITS.items():
        if name not in data:
            continue
        try:
            number = int(str(data[name]).strip())
        except (TypeError, ValueError):
            errors[name] = [_("Enter a whole number.")]
            continue
        if not low <= number <= high:
            errors[name] = [
                _("Enter a number from %(low)d to %(high)d.") % {"low": low, "high": high}
            ]
            continue
        setattr(policy, name, number)
    if "process_max" not in errors and "process_min" not in errors:
        if policy.process_min > policy.process_max:
            errors["process_max"] = [
                _("The process share's upper bound must not be below its lower bound (%(n)d %%).")
                % {"n": policy.process_min}
            ]
    unknown = [
        key
        for key in data
        if key not in POLICY_LIMITS
        and key != "weekly_run"
        and not any(key in (f"{c.code}_green", f"{c.code}_amber") for c in checks.CHECKS)
    ]
    for key in unknown:
        errors[key] = [_("Unknown setting.")]
    if errors:
        raise ValidationError(errors)
    if "weekly_run" in data:
        policy.weekly_run = bool(data["weekly_run"])
    policy.thresholds = saved
    save_with_history(policy, actor, "changed" if policy.pk else "created")
    return policy


def _number(value) -> str | None:
    return None if value is None else str(value)


def evaluate(scope: Scope, *, policy: DiagnosisPolicy | None = None, now=None, progress=None):
    """Every check over ``scope``: a list of result dicts (see ``DiagnosisRun.results``)."""
    policy = policy or DiagnosisPolicy.current()
    limits = thresholds(policy)
    ctx = checks.Context.from_policy(policy, now=now, thresholds=limits)
    results = []
    for index, check in enumerate(checks.CHECKS):
        green, amber = limits[check.code]
        measure = check.measure(scope, ctx)
        results.append(
            {
                "code": check.code,
                "value": _number(measure.value),
                "light": checks.light(measure.value, green, amber, check.higher_is_better)
                if measure.available
                else "unavailable",
                "green": str(green),
                "amber": str(amber),
                "unit": check.unit,
                "higher_is_better": check.higher_is_better,
                "available": measure.available,
                "numerator": _number(measure.numerator),
                "denominator": _number(measure.denominator),
                "note": measure.note,
            }
        )
        if progress is not None:
            progress(round((index + 1) * 100 / len(checks.CHECKS)))
    return results


def _settings_snapshot(policy: DiagnosisPolicy) -> dict:
    return {name: getattr(policy, name) for name in POLICY_LIMITS}


def run_create(*, scope: Scope, actor=None, trigger: str = RunTrigger.MANUAL) -> DiagnosisRun:
    """A new run of ``scope``, not yet computed (:func:`run_execute` computes it)."""
    return DiagnosisRun.objects.create(
        scope_key=scope.key,
        scope_label=scope.label,
        trigger=trigger,
        created_by=actor if actor and actor.is_authenticated else None,
        as_of=clock.now(),
    )


def run_execute(run: DiagnosisRun) -> DiagnosisRun:
    """Compute ``run``'s checks as of its ``as_of`` and keep them; a failure is kept on the
    run (state failed, the error) and logged, never lost."""
    started = time.monotonic()
    scope = scope_from_key(run.scope_key)
    if scope is None:
        run.state, run.error = RunState.FAILED, str(_("The team or rep no longer exists."))
        run.save(update_fields=["state", "error"])
        return run
    policy = DiagnosisPolicy.current()

    def progress(percent: int) -> None:
        DiagnosisRun.objects.filter(pk=run.pk).update(progress=percent)

    try:
        results = evaluate(scope, policy=policy, now=run.as_of, progress=progress)
    except Exception as exc:  # noqa: BLE001 - kept on the run and logged
        log.exception("diagnosis run %s failed", run.pk)
        run.state, run.error = RunState.FAILED, f"{type(exc).__name__}: {exc}"[:500]
        run.save(update_fields=["state", "error"])
        return run
    run.results = results
    run.settings_snapshot = _settings_snapshot(policy)
    run.state = RunState.DONE
    run.progress = 100
    run.scope_label = scope.label
    run.duration_ms = int((time.monotonic() - started) * 1000)
    run.save()
    return run


def run_now(*, scope: Scope, actor=None, trigger: str = RunTrigger.MANUAL) -> DiagnosisRun:
    return run_execute(run_create(scope=scope, actor=actor, trigger=trigger))

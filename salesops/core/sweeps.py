"""Registry of periodic sweeps run by the worker every minute and by ``salesops tick``.

A sweep is a function ``fn(now) -> str`` returning a one-line summary of what it did. It
must be idempotent: running it twice for the same instant changes nothing the second time
(later issues guarantee this with unique firing rows).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from . import clock
from .models import FormSubmission, SweepRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sweep:
    name: str
    fn: Callable
    every_minutes: int = 1
    description: str = ""


_REGISTRY: dict[str, Sweep] = {}


def sweep(name: str, *, every_minutes: int = 1, description: str = ""):
    """Decorator registering ``fn(now) -> str`` as a periodic sweep."""

    def register(fn):
        _REGISTRY[name] = Sweep(name, fn, every_minutes, description or (fn.__doc__ or "").strip())
        return fn

    return register


def registered() -> list[Sweep]:
    return sorted(_REGISTRY.values(), key=lambda s: s.name)


def run_all(now=None) -> list[tuple[str, str]]:
    """Run every registered sweep once as of ``now`` (default: the clock). Each sweep runs
    on its own: one failing sweep is reported and does not stop the others."""
    moment = now or clock.now()
    results = []
    with clock.frozen(moment):
        for item in registered():
            if item.every_minutes > 1:
                local = clock.localnow()
                minute_of_day = local.hour * 60 + local.minute
                if now is None and minute_of_day % item.every_minutes:
                    continue
            try:
                summary = item.fn(moment)
            except Exception as exc:  # noqa: BLE001 - reported, never swallowed
                log.exception("sweep %s failed", item.name)
                summary = f"FAILED: {type(exc).__name__}: {exc}"
            summary = summary or "nothing to do"
            _record(item.name, moment, summary)
            results.append((item.name, summary))
    return results


def _record(name, moment, summary):
    SweepRun.objects.update_or_create(
        name=name, defaults={"last_run_at": moment, "last_summary": summary[:500]}
    )


@sweep("core.clear_expired_sessions", every_minutes=60)
def clear_expired_sessions(now):
    """Delete login sessions that expired before ``now``."""
    from django.contrib.sessions.models import Session

    deleted, _ = Session.objects.filter(expire_date__lt=now).delete()
    return f"deleted {deleted} expired session(s)"


# A "new" form sent again after a day is a new record, not a double click.
FORM_TOKEN_DAYS = 1


@sweep("core.forget_form_tokens", every_minutes=60)
def forget_form_tokens(now):
    """Forget the one-time tokens of page forms older than a day (core.forms.PageFormMixin)."""
    cutoff = now - dt.timedelta(days=FORM_TOKEN_DAYS)
    deleted, _ = FormSubmission.objects.filter(created_at__lt=cutoff).delete()
    return f"forgot {deleted} form token(s)"

"""The automation sweeps, run every minute by the worker and by ``salesops tick``. Webhook
deliveries are retried by the notifications app's one delivery sweep."""

from salesops.core.sweeps import sweep

from . import engine


@sweep("automation.schedules")
def run_schedules(now):
    """Fire schedule (cron) rules whose instant has come."""
    totals = engine.run_schedules(now)
    failed = f", {totals['failed']} FAILED (see the log)" if totals["failed"] else ""
    return f"{totals['rules']} schedule rule(s), {totals['fired']} firing(s){failed}"


@sweep("automation.timers")
def run_timers(now):
    """Fire timer rules for the records that fell due since the last sweep."""
    totals = engine.run_timers(now)
    failed = f", {totals['failed']} FAILED (see the log)" if totals["failed"] else ""
    return (
        f"{totals['rules']} timer rule(s), {totals['due']} due, {totals['fired']} firing(s){failed}"
    )

"""Hand-built pipeline histories for the report tests.

Deals are opened through the service (travelling to the day they are opened, so their
``created`` move is dated right); the later moves are written as the applied stage
changes the service would have written, with the working days given by hand, so the
expected figures can be worked out on paper.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import time_machine
from django.utils import timezone

from salesops.pipeline.models import ChangeDirection, ChangeState, DealStatus, StageChange
from salesops.pipeline.tests.factories import make_deal, stage


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    """A local instant in 2026."""
    return timezone.make_aware(dt.datetime(2026, month, day, hour), timezone.get_default_timezone())


def opened(owner, when: dt.datetime, stage_code: str | None = None, **fields):
    with time_machine.travel(when, tick=False):
        return make_deal(owner=owner, stage_code=stage_code, **fields)


def move(deal, to: str, when: dt.datetime, days: str, direction: str | None = None):
    """Apply a move of ``deal`` from its stage to ``to`` at ``when`` after ``days`` working
    days in the stage, as ``stages._apply`` records it."""
    target = stage(to, deal.pipeline)
    current = deal.stage
    if direction is None:
        direction = {
            "won": ChangeDirection.WON,
            "lost": ChangeDirection.LOST,
        }.get(target.kind) or (
            ChangeDirection.FORWARD if target.order > current.order else ChangeDirection.BACKWARD
        )
    StageChange.objects.create(
        deal=deal,
        from_stage=current,
        to_stage=target,
        direction=direction,
        state=ChangeState.APPLIED,
        requested_by=deal.owner,
        requested_at=when,
        applied_at=when,
        from_entered_at=deal.stage_entered_at,
        working_days_in_stage=Decimal(days),
        pipeline=deal.pipeline,
        owner=deal.owner,
        product_line=deal.product_line,
    )
    deal.stage = target
    deal.stage_entered_at = when
    deal.status = {"won": DealStatus.WON, "lost": DealStatus.LOST}.get(target.kind, "open")
    deal.closed_at = when if deal.status != DealStatus.OPEN else None
    deal.save(update_fields=["stage", "stage_entered_at", "status", "closed_at"])
    return deal


def june_history(org):
    """The June 2026 data set of the conversion tests (see test_pipeline_conversion)."""
    d1 = opened(org.rep_a, at(6, 1))
    move(d1, "needs", at(6, 3), "2")
    move(d1, "proposal", at(6, 8), "3")
    move(d1, "won", at(6, 10), "2")

    d2 = opened(org.rep_a, at(6, 2))
    move(d2, "needs", at(6, 6), "4")
    move(d2, "contact", at(6, 9), "1")  # back
    move(d2, "needs", at(6, 12), "3")
    move(d2, "lost", at(6, 15), "3")

    d3 = opened(org.rep_b, at(6, 4))
    move(d3, "lost", at(6, 10), "6")

    d4 = opened(org.rep_b, at(6, 5))  # still in contact

    d5 = opened(org.rep_c, at(5, 20))  # entered contact in May
    move(d5, "needs", at(6, 2), "8")
    return d1, d2, d3, d4, d5

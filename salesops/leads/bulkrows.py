"""The rows a batch intake (``leads.bulk``) writes beside each new lead: its Inquiry and
Assignment, and its events (``receive.emit_created``), built from plain values
(:class:`Companion`), so that a write-behind child (``core.writebehind``: a large import)
can build and write them while the import decides the next chunk."""

from __future__ import annotations

from typing import NamedTuple

from salesops.core import unitofwork
from salesops.core.instances import new_instance

from .models import Assignment, Inquiry
from .receive import emit_created


class Companion(NamedTuple):
    """What a new lead's inquiry, assignment and events say besides the batch's own
    values (channel, actor, time)."""

    lead_id: int | None
    owner_id: int | None  # the lead's owner
    team_id: int | None
    campaign: str
    matched_by: str
    score: int | None
    match_entity: str
    match_id: int | None
    payload: dict
    placed_owner_id: int | None  # who the placement gave it to (None: a pool)
    rule_id: int | None
    rule_name: str
    strategy: str
    reason: str


def rows(companion: Companion, channel_id: int, actor, now) -> tuple[Inquiry, Assignment]:
    """The inquiry and assignment of ``companion`` (the lead set by the caller)."""
    actor_id = getattr(actor, "pk", None)
    inquiry = new_instance(
        Inquiry,
        channel_id=channel_id,
        campaign=companion.campaign,
        received_at=now,
        matched_by=companion.matched_by,
        score=companion.score,
        match_entity=companion.match_entity,
        match_id=companion.match_id,
        payload=companion.payload,
        created_by_id=actor_id,
    )
    assignment = new_instance(
        Assignment,
        owner_id=companion.placed_owner_id,
        rule_id=companion.rule_id,
        rule_name=companion.rule_name,
        strategy=companion.strategy,
        reason=companion.reason[:500],
        actor_id=actor_id,
    )
    return inquiry, assignment


def emit(companion: Companion, channel_id: int, actor) -> None:
    emit_created(
        companion.lead_id,
        channel_id=channel_id,
        actor_id=getattr(actor, "pk", None),
        owner_id=companion.owner_id,
        team_id=companion.team_id,
        placed_owner_id=companion.placed_owner_id,
        rule_id=companion.rule_id,
        strategy=companion.strategy,
    )


def write(companions: list[Companion], channel_id: int, actor, now) -> None:
    """Queue every companion's inquiry and assignment and hold its events, in a unit of
    work of their own, flushed here (inside the caller's transaction)."""
    with unitofwork.deferred() as unit:
        unit.expect(Inquiry, len(companions))
        unit.expect(Assignment, len(companions))
        for companion in companions:
            inquiry, assignment = rows(companion, channel_id, actor, now)
            inquiry.lead_id = assignment.lead_id = companion.lead_id
            unitofwork.save_new(inquiry, actor, "")
            unitofwork.save_new(assignment, actor, "")
            emit(companion, channel_id, actor)
        unit.flush()

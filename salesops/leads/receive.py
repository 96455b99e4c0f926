"""Taking in one inquiry (``lead_intake``, used by the public endpoint in ``intake.py``,
the API, quick entry and imports): validate, de-duplicate, fill the region, route, start
the SLA clock, audit and emit events — all or nothing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, When
from django.utils.translation import gettext as _

from salesops.core import clock, entities, unitofwork
from salesops.core.names import company_key
from salesops.org.models import Role

from . import dedup, region, routing
from .models import Assignment, Channel, ChannelKind, Inquiry, IntakeKey, Lead
from .placement import Placement, place_new, pool_watchers
from .sla import start_clock
from .validation import validate_new
from .writes import emit, notify

IDEMPOTENCY_KEY_MAX = 100


@dataclass
class IntakeResult:
    lead: Lead
    outcome: str  # "created", "attached" (repeat inquiry) or "replayed" (same key)
    match: dedup.Match | None = None
    decision: routing.Decision | None = None
    # A replay (same Idempotency-Key, same body): the first request's (status, body).
    answer: tuple[int, dict] | None = None

    @property
    def created(self) -> bool:
        return self.outcome == "created"


class IdempotencyKeyReused(ValidationError):
    """The Idempotency-Key was used before with another body (IETF idempotency-key draft:
    422); nothing is stored."""


def _replay(earlier: IntakeKey, request_hash: str) -> IntakeResult:
    """The first request's answer for a repeated key, or a refusal when the body differs."""
    if earlier.request_hash and earlier.request_hash != request_hash:
        raise IdempotencyKeyReused(
            {
                "Idempotency-Key": _(
                    "This Idempotency-Key was already used with a different body; send a "
                    "new key for a new inquiry."
                )
            }
        )
    lead = Lead.objects.filter(pk=earlier.lead_id).first() if earlier.lead_id else None
    answer = None
    if earlier.status:
        body = dict(earlier.response or {})
        if "id" in body:
            body["id"] = earlier.lead_id  # written with the lead, before its id was known
        answer = (earlier.status, body)
    return IntakeResult(lead, "replayed", answer=answer)


def _key_answer(key_row: IntakeKey | None, result: IntakeResult, answer) -> None:
    """Put the answer on the key row before it is written (with the lead's rows)."""
    if key_row is not None and answer is not None:
        key_row.status, key_row.response = answer(result)


def _attach(existing: Lead, lead: Lead, match, channel: Channel, actor, payload: dict) -> Lead:
    Lead.objects.filter(pk=existing.pk).update(touches=F("touches") + 1)
    existing.touches += 1
    Inquiry.objects.create(
        lead=existing,
        channel=channel,
        campaign=lead.campaign,
        matched_by=match.kind,
        score=match.score,
        match_entity="lead",
        match_id=existing.pk,
        payload=payload,
        created_by=actor,
    )
    watchers = [existing.owner_id] if existing.owner_id else pool_watchers(existing.team_id)
    title = _("Repeat inquiry from %(company)s (%(name)s)") % {
        "company": existing.company,
        "name": lead.contact_name,
    }
    body = _("Matched by %(how)s via %(channel)s: %(need)s") % {
        "how": match.get_kind_display() if hasattr(match, "get_kind_display") else match.kind,
        "channel": channel.name,
        "need": lead.need[:200],
    }
    transaction.on_commit(lambda: notify(watchers, title, body, existing))
    emit(
        "lead.inquiry",
        id=existing.pk,
        channel_id=channel.pk,
        matched_by=str(match.kind),
        score=match.score,
    )
    return existing


def lead_intake(
    *,
    channel: Channel,
    data: dict,
    actor=None,
    custom: dict | None = None,
    idempotency_key: str = "",
    request_hash: str = "",
    answer=None,
    owner=None,
    required_fields: Iterable[str] = (),
    payload: dict | None = None,
) -> IntakeResult:
    """Take in one inquiry from ``channel``: validate, de-duplicate, fill the region,
    route, start the SLA clock, audit and emit events — all or nothing.

    ``owner`` keeps the lead with that user instead of routing it (a rep's own quick
    entry). ``payload`` is what the client sent, kept on the inquiry record.

    ``idempotency_key``: the same key again with the same ``request_hash`` (of the
    normalised body) returns ``outcome="replayed"`` with the first request's answer, as
    ``answer(result) → (status, body)`` gave it and the key row kept it; with another
    hash it raises :class:`IdempotencyKeyReused`."""
    if not channel.is_active:
        raise PermissionDenied(_("This channel is switched off."))
    idempotency_key = (idempotency_key or "").strip()
    if len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
        raise ValidationError(
            {"Idempotency-Key": _("At most %(n)d characters.") % {"n": IDEMPOTENCY_KEY_MAX}}
        )
    lead = Lead(channel=channel, created_by=actor)
    validate_new(lead, dict(data), custom, required_fields=required_fields)
    if not lead.campaign:
        lead.campaign = channel.campaign
    region.fill(lead)
    lead.company_key = company_key(lead.company)
    lead.company_prefix = lead.company_key[:2]
    payload = payload if payload is not None else {k: v for k, v in data.items()}
    planned = None
    if owner is None:
        # Read the routing snapshot and today's counts before the write transaction (on
        # SQLite it holds the one write lock): inside it, routing decides once, on the
        # lead's final fields (a duplicate or a customer's lead changes them), from memory.
        lead.progressed_at = clock.now()
        planned = (entities.get("lead").variables(lead), routing.prepare_counts())
    # The key row is written with the lead's rows (one statement on PostgreSQL, see
    # _place_new), answer included. A key already taken fails that insert on the unique
    # index — a concurrent duplicate waits there until the first request commits — and the
    # whole attempt rolls back; the first request's answer is then read and replayed.
    key_row = None
    if idempotency_key:
        key_row = IntakeKey(channel=channel, key=idempotency_key, request_hash=request_hash)
    try:
        with transaction.atomic():
            matches = dedup.find_matches(
                phone=lead.phone, credit_code=lead.credit_code, company=lead.company
            )
            action, match = dedup.decide(matches)
            if action != "attach":
                return _place_new(
                    lead, action, match, channel, actor, owner, payload, planned, key_row, answer
                )
            existing = _attach(match.record, lead, match, channel, actor, payload)
            result = IntakeResult(existing, "attached", match)
            if key_row is not None:
                _key_answer(key_row, result, answer)
                key_row.lead = existing
                unitofwork.insert_now(key_row)
            return result
    except IntegrityError:
        if key_row is None:
            raise
        earlier = IntakeKey.objects.filter(channel=channel, key=idempotency_key).first()
        if earlier is None:
            raise
        return _replay(earlier, request_hash)


def _place_new(
    lead: Lead,
    action,
    match,
    channel,
    actor,
    owner,
    payload,
    planned=None,
    key_row: IntakeKey | None = None,
    answer=None,
) -> IntakeResult:
    now = clock.now()
    lead.progressed_at = now
    placed = place_new(lead, action, match, channel, actor, owner, planned)
    if placed.owner is not None:
        start_clock(lead, now)
    inquiry = Inquiry(
        lead=lead,
        channel=channel,
        campaign=lead.campaign,
        received_at=now,
        matched_by=match.kind if match else "",
        score=match.score if match else None,
        match_entity=match.entity if match else "",
        match_id=match.record.pk if match else None,
        payload=payload,
        created_by=actor,
    )
    assignment = Assignment(
        lead=lead,
        owner=placed.owner,
        rule_id=placed.rule_id,
        rule_name=placed.rule_name,
        strategy=placed.strategy,
        reason=placed.reason[:500],
        actor=actor,
    )
    # The three rows (and the lead's history row) every intake writes, and the
    # Idempotency-Key's row with its answer when one was sent: on PostgreSQL one
    # statement, elsewhere one each, whose text never changes (core.unitofwork).
    children = [(inquiry, "lead"), (assignment, "lead")]
    if key_row is not None:
        _key_answer(key_row, IntakeResult(lead, "created", match, placed.decision), answer)
        children.append((key_row, "lead"))
    unitofwork.insert_together(lead, children, actor, "intake")
    _emit_created(lead, channel, actor, placed)
    return IntakeResult(lead, "created", match, placed.decision)


def _emit_created(lead: Lead, channel: Channel, actor, placed: Placement) -> None:
    emit_created(
        lead.pk,
        channel_id=channel.pk,
        actor_id=getattr(actor, "pk", None),
        owner_id=lead.owner_id,
        team_id=lead.team_id,
        placed_owner_id=placed.owner.pk if placed.owner is not None else None,
        rule_id=placed.rule_id,
        strategy=placed.strategy,
    )


def emit_created(
    lead_id, *, channel_id, actor_id, owner_id, team_id, placed_owner_id, rule_id, strategy
) -> None:
    """A new lead's events: ``lead.created``, then ``lead.assigned`` (placed with an
    owner) or ``lead.unroutable``."""
    emit("lead.created", id=lead_id, actor_id=actor_id, channel_id=channel_id, owner_id=owner_id)
    if placed_owner_id is not None:
        emit(
            "lead.assigned",
            id=lead_id,
            owner_id=placed_owner_id,
            previous_owner_id=None,
            rule_id=rule_id,
            strategy=strategy,
            actor_id=actor_id,
        )
    else:
        # No message per pooled lead: the pool digest (a schedule rule, see
        # :func:`pool_digest`) tells each team's manager how many arrived, once per interval.
        emit("lead.unroutable", id=lead_id, team_id=team_id)


def manual_channel() -> Channel:
    """The channel of leads typed in by people (quick entry), created when missing."""
    channel = Channel.objects.filter(kind=ChannelKind.MANUAL, is_active=True).first()
    if channel is None:
        channel = Channel.objects.create(kind=ChannelKind.MANUAL, name=_("Manual entry"))
    return channel


# Channels a machine feeds (the API with its token, a spreadsheet import): a person
# typing a lead in does not pick them.
MACHINE_KINDS = (ChannelKind.API, ChannelKind.IMPORT)


def entry_channels():
    """The active channels a person may name as a lead's source when typing it in (L3):
    manual entry first, then the others by name."""
    manual_channel()  # exists before anyone picks it
    return (
        Channel.objects.filter(is_active=True)
        .exclude(kind__in=MACHINE_KINDS)
        .order_by(Case(When(kind=ChannelKind.MANUAL, then=0), default=1), "name", "id")
    )


def entry_channel(code) -> Channel:
    """The source channel a person picked, by id or by kind code (``referral``: the first
    active channel of that kind); blank is manual entry. An unknown, inactive or
    machine-fed channel is a ``ValidationError`` on ``channel`` listing the choices."""
    code = str(code if code is not None else "").strip()
    if not code:
        return manual_channel()
    choices = list(entry_channels())
    for channel in choices:
        if code == str(channel.pk):
            return channel
    for channel in choices:
        if code == channel.kind:
            return channel
    raise ValidationError(
        {
            "channel": _(
                "Unknown or inactive source channel “%(code)s”. Choose one of: %(choices)s."
            )
            % {
                "code": code[:50],
                "choices": ", ".join(f"{c.name} ({c.kind}, {c.pk})" for c in choices),
            }
        }
    )


def quick_entry(
    *, actor, data: dict, custom: dict | None = None, channel: object = ""
) -> IntakeResult:
    """Quick entry (L2) by a signed-in user: a rep keeps their own lead, anyone else's
    entry is routed. ``channel`` is where the lead came from (:func:`entry_channel`:
    an id or kind code; blank is manual entry)."""
    if actor.is_read_only_role:
        raise PermissionDenied(_("Your role cannot register leads."))
    keep = actor if actor.role == Role.REP else None
    try:
        source = entry_channel(channel)
    except ValidationError as exc:
        # Name every bad field at once: check the rest as the intake would.
        errors = dict(exc.message_dict)
        try:
            validate_new(Lead(channel=manual_channel()), dict(data), custom)
        except ValidationError as other:
            for key, messages in other.message_dict.items():
                errors.setdefault(key, []).extend(messages)
        raise ValidationError(errors) from None
    return lead_intake(channel=source, data=data, actor=actor, custom=custom, owner=keep)

"""Every write to leads: intake (validation, de-duplication, region, routing, SLA clock,
audit, events), edits, status, reassignment, claiming from the pool, duplicate review,
first contact and conversion to an account and contact.

Services take the acting user explicitly (``None`` for a public channel or the system)
and do all their writes in one transaction: bad input leaves nothing behind.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from salesops.core import clock, entities, events, unitofwork
from salesops.core.names import company_key
from salesops.core.validators import normalize_credit_code, normalize_phone
from salesops.customization import services as custom_services

from . import dedup, region, routing, selectors
from .models import (
    OPEN_STATUSES,
    Assignment,
    Channel,
    ChannelKind,
    Inquiry,
    IntakeKey,
    InvalidReason,
    Lead,
    LeadStatus,
    ReviewState,
    SlaState,
)

REQUIRED = ("contact_name", "phone", "company", "need")
LEAD_FIELDS = (
    "contact_name",
    "phone",
    "company",
    "need",
    "email",
    "wechat",
    "credit_code",
    "address",
    "province",
    "city",
    "industry",
    "size_band",
    "product_line",
    "campaign",
)
EDITABLE_FIELDS = LEAD_FIELDS
SLA_RULE_CODE = "lead-sla-breach"
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


def _emit(name: str, **payload) -> None:
    events.emit(name, payload)


# --- validation -----------------------------------------------------------------------------
def _merge(*error_dicts: dict) -> dict:
    merged: dict[str, list] = {}
    for errors in error_dicts:
        for key, messages in errors.items():
            merged.setdefault(key, []).extend(messages)
    return merged


def _assign_fields(lead: Lead, data: dict, allowed: Iterable[str]) -> dict:
    unknown = set(data) - set(allowed)
    errors = {f: [_("Unknown field.")] for f in sorted(unknown)}
    for key, value in data.items():
        if key in unknown:
            continue
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.setdefault(key, []).append(_("Enter text."))
            continue
        setattr(lead, key, value.strip())
    return errors


def _normalise(lead: Lead) -> dict:
    errors: dict[str, list] = {}
    for field in REQUIRED:
        if not getattr(lead, field):
            errors[field] = [_("This field is required.")]
    if lead.phone:
        try:
            lead.phone = normalize_phone(lead.phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if lead.credit_code:
        try:
            lead.credit_code = normalize_credit_code(lead.credit_code)
        except ValidationError as exc:
            errors["credit_code"] = exc.messages
    return errors


def _full_clean(lead: Lead, extra: dict) -> None:
    errors = {k: list(v) for k, v in extra.items()}
    try:
        lead.full_clean(
            exclude=["channel", "owner", "team", *errors],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def validate_new(
    lead: Lead, data: dict, custom: dict | None, *, required_fields: Iterable[str] = ()
) -> None:
    """Fill and check a new lead from ``data``; raise one ValidationError naming every bad
    field (``custom.<key>`` for custom fields)."""
    errors = _assign_fields(lead, data, LEAD_FIELDS)
    errors = _merge(errors, _normalise(lead))
    errors = _merge(
        errors,
        custom_services.merge_custom(
            lead, "lead", custom, partial=False, required=tuple(required_fields)
        ),
        custom_services.required_model_fields(lead, required_fields),
    )
    _full_clean(lead, errors)


# --- the SLA clock --------------------------------------------------------------------------
_sla_cache: dict = {}


def sla_policy() -> tuple[int, str] | None:
    """``(minutes, unit)`` of the active first-contact SLA rule, or ``None`` when an admin
    switched it off. Read from the rule itself so the badge follows the admin's edits."""
    from salesops.automation.models import Rule

    ttl = float(settings.SALESOPS.get("ROUTING_CACHE_SECONDS", 0))
    cached = _sla_cache.get("policy")
    if ttl > 0 and cached and time.monotonic() - cached[0] < ttl:
        return cached[1]
    rule = (
        Rule.objects.filter(code=SLA_RULE_CODE, is_active=True)
        .select_related("current_version")
        .first()
    )
    policy = None
    if rule and rule.current_version:
        trigger = rule.current_version.trigger
        policy = (int(trigger.get("minutes") or 0), trigger.get("unit") or "working")
    _sla_cache["policy"] = (time.monotonic(), policy)
    return policy


def _start_clock(lead: Lead, at) -> None:
    from salesops.automation.triggers import due_at

    lead.assigned_at = at
    if lead.first_contact_at is not None:
        return
    policy = sla_policy()
    if policy and policy[0] > 0:
        lead.sla_due_at = due_at(at, policy[0], policy[1])
        lead.sla_state = SlaState.RUNNING
    else:
        lead.sla_due_at = None
        lead.sla_state = SlaState.NONE
    lead.escalation_level = 0


def _stop_clock(lead: Lead) -> None:
    """A closed lead's first-contact clock no longer runs (the rules' "unless" skips it
    too); a breached or met state stays as the record of what happened."""
    if lead.sla_state in (SlaState.RUNNING, SlaState.DUE_SOON):
        lead.sla_state = SlaState.NONE


# --- intake ---------------------------------------------------------------------------------
def _save(lead: Lead, actor, reason: str, **kwargs) -> None:
    lead._history_user = actor
    lead._change_reason = reason
    lead.save(**kwargs)


def _notify(recipients, title: str, body: str, lead: Lead) -> None:
    from salesops.notifications import services as notifications

    recipients = [r for r in recipients if r is not None]
    if recipients:
        notifications.notify(
            recipients=recipients,
            kind="lead",
            title=title,
            body=body,
            link=lead.get_absolute_url(),
            source=f"lead:{lead.pk}",
        )


def _pool_watchers(team_id):
    """Who hears about a lead no rule could place: the team's manager (or the nearest
    manager above it), else the directors."""
    from salesops.org.models import Role, Team, User

    team = Team.objects.filter(pk=team_id).select_related("parent").first() if team_id else None
    while team is not None:
        if team.manager_id:
            return [team.manager_id]
        team = team.parent
    return list(
        User.objects.filter(is_active=True, role=Role.DIRECTOR).values_list("pk", flat=True)
    )


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
    watchers = [existing.owner_id] if existing.owner_id else _pool_watchers(existing.team_id)
    title = _("Repeat inquiry from %(company)s (%(name)s)") % {
        "company": existing.company,
        "name": lead.contact_name,
    }
    body = _("Matched by %(how)s via %(channel)s: %(need)s") % {
        "how": match.get_kind_display() if hasattr(match, "get_kind_display") else match.kind,
        "channel": channel.name,
        "need": lead.need[:200],
    }
    transaction.on_commit(lambda: _notify(watchers, title, body, existing))
    _emit(
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
        # Decide the route before the write transaction: it reads only cached rules and
        # counts, and on SQLite the transaction holds the one write lock. The slot is taken
        # inside it; a lead that turns out to be a duplicate or a customer's is decided
        # again there (its fields changed).
        lead.progressed_at = clock.now()
        variables = entities.get("lead").variables(lead)
        planned = (variables, routing.plan(variables))
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


def _customer_owner(match):
    record = match.record
    account = getattr(record, "account", None) if record._meta.model_name == "contact" else record
    owner = getattr(account, "owner", None)
    return account, owner if owner is not None and owner.is_active else None


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
    decision = None
    rule_id = None
    strategy = ""
    if action == "customer":
        account, account_owner = _customer_owner(match)
        lead.account = account
        if owner is None and account_owner is not None:
            owner = account_owner
            reason = _("Existing customer %(account)s: kept with its owner.") % {"account": account}
        else:
            reason = ""
    elif action == "review":
        lead.review_state = ReviewState.REVIEW
        if isinstance(match.record, Lead):
            lead.possible_duplicate_of = match.record
        reason = ""
    else:
        reason = ""
    if owner is not None and not reason:
        reason = _("Registered by %(user)s, who keeps it.") % {"user": owner.label}
    if owner is None:
        if planned is not None and action == "new":
            variables, decision = planned
        else:
            variables = entities.get("lead").variables(lead)
            decision = routing.plan(variables)
        decision, owner_id = routing.assign(decision, variables)
        reason = decision.reason
        if decision.rule is not None:
            rule_id = decision.rule.id
            strategy = decision.strategy
            lead.team_id = decision.rule.team_id
        if owner_id is not None:
            owner = decision.owner(owner_id)
        elif decision.rule is None and decision.pool_team_id() is not None:
            # Every rep of the matching rule is at the cap (or away): the lead waits in
            # that team's pool, where its manager sees it and hands it out.
            lead.team_id = decision.pool_team_id()
        if owner is None and lead.team_id is None:
            # The pool of the channel's team, else of the person who typed it in.
            lead.team_id = channel.team_id or getattr(actor, "team_id", None)
    if owner is not None:
        lead.owner = owner
        if lead.team_id is None:
            lead.team_id = owner.team_id
        _start_clock(lead, now)
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
        owner=owner,
        rule_id=rule_id,
        rule_name=decision.rule.name if decision and decision.rule else "",
        strategy=strategy,
        reason=reason[:500],
        actor=actor,
    )
    # The three rows (and the lead's history row) every intake writes, and the
    # Idempotency-Key's row with its answer when one was sent: on PostgreSQL one
    # statement, elsewhere one each, whose text never changes (core.unitofwork).
    children = [(inquiry, "lead"), (assignment, "lead")]
    if key_row is not None:
        _key_answer(key_row, IntakeResult(lead, "created", match, decision), answer)
        children.append((key_row, "lead"))
    unitofwork.insert_together(lead, children, actor, "intake")
    _emit(
        "lead.created",
        id=lead.pk,
        actor_id=getattr(actor, "pk", None),
        channel_id=channel.pk,
        owner_id=lead.owner_id,
    )
    if owner is not None:
        _emit(
            "lead.assigned",
            id=lead.pk,
            owner_id=owner.pk,
            previous_owner_id=None,
            rule_id=rule_id,
            strategy=strategy,
            actor_id=getattr(actor, "pk", None),
        )
    else:
        # No message per pooled lead: the pool digest (a schedule rule, see
        # :func:`pool_digest`) tells each team's manager how many arrived, once per interval.
        _emit("lead.unroutable", id=lead.pk, team_id=lead.team_id)
    return IntakeResult(lead, "created", match, decision)


def manual_channel() -> Channel:
    """The channel of leads typed in by people (quick entry), created when missing."""
    channel = Channel.objects.filter(kind=ChannelKind.MANUAL, is_active=True).first()
    if channel is None:
        channel = Channel.objects.create(kind=ChannelKind.MANUAL, name=_("Manual entry"))
    return channel


def quick_entry(*, actor, data: dict, custom: dict | None = None) -> IntakeResult:
    """Quick entry (L2) by a signed-in user: a rep keeps their own lead, anyone else's
    entry is routed."""
    from salesops.org.models import Role

    if actor.is_read_only_role:
        raise PermissionDenied(_("Your role cannot register leads."))
    keep = actor if actor.role == Role.REP else None
    return lead_intake(channel=manual_channel(), data=data, actor=actor, custom=custom, owner=keep)


# --- changes --------------------------------------------------------------------------------
def _require_editable(actor, lead: Lead) -> None:
    if not Lead.objects.editable_by(actor).filter(pk=lead.pk).exists():
        raise PermissionDenied(_("You cannot change this lead."))


@transaction.atomic
def lead_update(*, actor, lead: Lead, custom: dict | None = None, **data) -> Lead:
    _require_editable(actor, lead)
    before = {f: getattr(lead, f) for f in EDITABLE_FIELDS}
    errors = _assign_fields(lead, data, EDITABLE_FIELDS)
    errors = _merge(errors, _normalise(lead))
    if custom is not None:
        errors = _merge(
            errors, custom_services.merge_custom(lead, "lead", custom, partial=True, required=())
        )
    _full_clean(lead, errors)
    lead.company_key = company_key(lead.company)
    lead.company_prefix = lead.company_key[:2]
    changed = [f for f in EDITABLE_FIELDS if getattr(lead, f) != before[f]]
    _save(lead, actor, "updated")
    _emit("lead.updated", id=lead.pk, changed=changed, actor_id=actor.pk)
    return lead


@transaction.atomic
def lead_set_status(*, actor, lead: Lead, status: str, invalid_reason: str = "") -> Lead:
    """Move a lead to one of the preset levels. Converting goes through
    :func:`lead_convert`; invalid needs a reason."""
    _require_editable(actor, lead)
    if status not in LeadStatus.values:
        raise ValidationError(
            {
                "status": _("Choose one of: %(choices)s.")
                % {"choices": ", ".join(str(label) for label in LeadStatus.labels)}
            }
        )
    if status == LeadStatus.CONVERTED:
        raise ValidationError({"status": _("Use “Convert” to turn a lead into an account.")})
    if lead.status == LeadStatus.CONVERTED:
        raise ValidationError({"status": _("A converted lead keeps its status.")})
    reason = ""
    if status == LeadStatus.INVALID:
        if invalid_reason not in InvalidReason.values:
            raise ValidationError({"invalid_reason": _("Say why the lead is invalid.")})
        reason = invalid_reason
    if status == lead.status and reason == lead.invalid_reason:
        return lead
    lead.invalid_reason = reason
    if status not in OPEN_STATUSES:
        _stop_clock(lead)
    if status == lead.status:
        _save(lead, actor, "invalid reason")
        _emit("lead.updated", id=lead.pk, changed=["invalid_reason"], actor_id=actor.pk)
        return lead
    lead.status = status
    lead.progressed_at = clock.now()
    _save(lead, actor, f"status {status}")
    _emit("lead.updated", id=lead.pk, changed=["status"], actor_id=actor.pk)
    return lead


def can_reassign(actor) -> bool:
    return bool(
        actor and actor.is_authenticated and (actor.is_manager_role or actor.edits_everything)
    )


@transaction.atomic
def lead_reassign(*, actor, lead: Lead, owner, reason: str) -> Lead:
    """A manager gives the lead to someone else (or back to the pool with ``owner=None``),
    with a reason. The SLA clock restarts when the lead has not been contacted yet."""
    from salesops.org import selectors as org_selectors

    if not can_reassign(actor):
        raise PermissionDenied(_("Only managers can reassign leads."))
    _require_editable(actor, lead)
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = [_("Say why the lead is reassigned.")]
    if owner is not None and not org_selectors.visible_users(actor).filter(pk=owner.pk).exists():
        errors["owner"] = [_("Choose an active user in your team.")]
    if errors:
        raise ValidationError(errors)
    previous = lead.owner
    if previous == owner:
        return lead
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    lead.owner = owner
    now = clock.now()
    if owner is not None:
        lead.team_id = owner.team_id or lead.team_id
        _start_clock(lead, now)
    else:
        lead.assigned_at = None
        lead.sla_due_at = None
        lead.sla_state = SlaState.NONE
    _save(lead, actor, "reassigned")
    Assignment.objects.create(
        lead=lead,
        owner=owner,
        previous_owner=previous,
        reason=reason[:500],
        actor=actor,
        strategy="manual",
    )
    _emit(
        "lead.assigned",
        id=lead.pk,
        owner_id=getattr(owner, "pk", None),
        previous_owner_id=getattr(previous, "pk", None),
        rule_id=None,
        strategy="manual",
        actor_id=actor.pk,
    )
    if owner is not None and owner != actor:
        title = _("Lead reassigned to you: %(lead)s") % {"lead": lead}
        transaction.on_commit(lambda: _notify([owner], title, reason, lead))
    return lead


@transaction.atomic
def lead_claim(*, actor, lead: Lead) -> Lead:
    """A rep takes a lead from their team's pool, within their daily cap."""
    if not Lead.objects.visible_to(actor).filter(pk=lead.pk).exists():
        raise PermissionDenied(_("You cannot see this lead."))
    if actor.is_read_only_role:
        raise PermissionDenied(_("Your role cannot take leads."))
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.owner_id is not None:
        raise ValidationError({"owner": _("Someone already took this lead.")})
    day = clock.today()
    cap = actor.daily_lead_cap
    if cap is None:
        cap = int(settings.SALESOPS["DEFAULT_DAILY_LEAD_CAP"])
    if not routing.take_slot(actor.pk, day, cap):
        raise ValidationError(
            {"owner": _("You reached your daily cap of %(cap)d leads.") % {"cap": cap}}
        )
    lead.owner = actor
    lead.team_id = lead.team_id or actor.team_id
    _start_clock(lead, clock.now())
    _save(lead, actor, "claimed")
    Assignment.objects.create(
        lead=lead, owner=actor, reason=_("Taken from the pool."), actor=actor, strategy="claim"
    )
    _emit(
        "lead.assigned",
        id=lead.pk,
        owner_id=actor.pk,
        previous_owner_id=None,
        rule_id=None,
        strategy="claim",
        actor_id=actor.pk,
    )
    return lead


@transaction.atomic
def lead_review(*, actor, lead: Lead, merge: bool) -> Lead:
    """Settle a possible duplicate: merge it into the earlier lead (its inquiries move
    there and it becomes invalid) or mark it as not a duplicate."""
    _require_editable(actor, lead)
    if lead.review_state != ReviewState.REVIEW:
        raise ValidationError({"review_state": _("This lead is not waiting for a review.")})
    if selectors.is_conversion_review(lead) and selectors.conversion_blockers(lead, actor):
        # Only someone who may see the matched customer settles it (the owners' manager).
        raise ValidationError({"review_state": needs_review_message()})
    target = lead.possible_duplicate_of
    if merge:
        if target is None:
            raise ValidationError({"possible_duplicate_of": _("There is no lead to merge into.")})
        moved = Inquiry.objects.filter(lead=lead).update(lead=target)
        Lead.objects.filter(pk=target.pk).update(touches=F("touches") + moved)
        lead.status = LeadStatus.INVALID
        lead.invalid_reason = InvalidReason.DUPLICATE
        lead.progressed_at = clock.now()
    lead.review_state = ReviewState.DISMISSED if not merge else ReviewState.CLEAR
    _save(lead, actor, "merged" if merge else "not a duplicate")
    _emit("lead.updated", id=lead.pk, changed=["review_state"], actor_id=actor.pk)
    return lead


def record_contact(*, lead_id: int, at, counts_as_contact: bool = True) -> Lead | None:
    """Called by activities when a check-in on the lead is finished: the first one that
    reached the person sets ``first_contact_at`` (never typed, L3) and stops the SLA
    clock; any check-in counts as progress for the dwell report."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
        if lead is None:
            return None
        lead.progressed_at = max(lead.progressed_at, at)
        fields = ["progressed_at"]
        first = counts_as_contact and lead.first_contact_at is None
        if first:
            lead.first_contact_at = at
            late = bool(lead.sla_due_at and at > lead.sla_due_at)
            if lead.sla_state in (SlaState.RUNNING, SlaState.DUE_SOON, SlaState.BREACHED):
                lead.sla_state = SlaState.LATE if late else SlaState.MET
            fields += ["first_contact_at", "sla_state"]
            if lead.status == LeadStatus.NEW:
                lead.status = LeadStatus.CONTACTED
                fields.append("status")
        _save(lead, None, "first contact" if first else "activity", update_fields=fields)
        if first:
            _emit(
                "lead.first_contact",
                id=lead.pk,
                owner_id=lead.owner_id,
                late=lead.sla_state == SlaState.LATE,
            )
        return lead


def conversion_reviewers(lead_owner, account_owner_ids) -> list:
    """Who settles a conversion that matched someone else's customer: the nearest manager
    above the lead's owner who sees every owner involved (the "owners' manager"), else
    the directors."""
    from salesops.core.visibility import visible_owner_ids
    from salesops.org import selectors as org_selectors
    from salesops.org.models import Role, User

    wanted = set(account_owner_ids)
    for manager in org_selectors.manager_chain(lead_owner):
        if not manager.is_active:
            continue
        seen = visible_owner_ids(manager)
        if seen is None or wanted <= set(seen):
            return [manager]
    return list(User.objects.filter(is_active=True, role=Role.DIRECTOR))


HELD_FOR_REVIEW = "conversion needs review"


def _hold_for_review(actor, lead: Lead, blockers) -> Lead:
    """Flag the lead for its owners' manager instead of writing into a customer the actor
    may not change. Nothing about that customer is stored on the lead or told to the
    actor; the manager sees the match on the lead page (``selectors.conversion_match``)."""
    latest = lead.history.order_by("-history_date", "-history_id").first()
    if (
        lead.review_state == ReviewState.REVIEW
        and latest is not None
        and latest.history_change_reason == HELD_FOR_REVIEW
    ):
        return lead  # already waiting, nothing changed since: no second notification
    lead.review_state = ReviewState.REVIEW
    lead.possible_duplicate_of = None
    _save(lead, actor, HELD_FOR_REVIEW)
    reviewers = conversion_reviewers(lead.owner or actor, {a.owner_id for a in blockers})
    title = _("A lead needs your review before conversion: %(lead)s") % {"lead": lead}
    body = _(
        "It matches a customer its owner may not change. Convert it into that customer "
        "or hand the lead to the customer's owner."
    )
    transaction.on_commit(lambda: _notify(reviewers, title, body, lead))
    _emit("lead.updated", id=lead.pk, changed=["review_state"], actor_id=actor.pk)
    return lead


def needs_review_message() -> str:
    """What the converter is told when the lead waits for their manager (neutral: no id,
    no name, no owner of the matched customer)."""
    return _(
        "This lead matches an existing customer you cannot change: it needs review by "
        "your manager, who has been told."
    )


@transaction.atomic
def lead_convert(*, actor, lead: Lead) -> Lead:
    """Turn the lead into an account and contact (reusing ones that exist by credit code
    or phone). The lead keeps its history and links to both.

    When the account it would reuse, or the account of the contact holding its phone,
    is one ``actor`` may not change, nothing is written to it: the lead is flagged for
    review by the owners' manager (who is notified) and returned unconverted — check
    ``lead.status``."""
    from salesops.customers import services as customer_services

    _require_editable(actor, lead)
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status == LeadStatus.CONVERTED:
        raise ValidationError({"status": _("This lead is already converted.")})
    if lead.status == LeadStatus.INVALID:
        raise ValidationError({"status": _("An invalid lead cannot be converted.")})
    blockers = selectors.conversion_blockers(lead, actor)
    if blockers:
        return _hold_for_review(actor, lead, blockers)
    owner = lead.owner or actor
    match = selectors.conversion_match(lead)
    account, known = match.account, match.known_contact
    if account is None:
        account = customer_services.account_create(
            actor=actor,
            name=lead.company,
            credit_code=lead.credit_code,
            industry=lead.industry,
            size_band=lead.size_band,
            province=lead.province,
            city=lead.city,
            address=lead.address,
            owner=owner,
        )
    if known is not None and known.account_id == account.pk:
        contact = known
    else:
        # Phones are unique: when the number belongs to someone at another account, the
        # new contact is created without it rather than taking it from them.
        contact = customer_services.contact_create(
            actor=actor,
            account=account,
            name=lead.contact_name,
            phone="" if known is not None else lead.phone,
            wechat=lead.wechat,
            email=lead.email,
        )
    lead.account = account
    lead.contact = contact
    lead.status = LeadStatus.CONVERTED
    if lead.review_state == ReviewState.REVIEW and lead.possible_duplicate_of_id is None:
        lead.review_state = ReviewState.CLEAR  # converting settles a conversion review
    _stop_clock(lead)
    lead.converted_at = clock.now()
    lead.progressed_at = lead.converted_at
    _save(lead, actor, "converted")
    _emit(
        "lead.converted",
        id=lead.pk,
        account_id=account.pk,
        contact_id=contact.pk,
        actor_id=actor.pk,
    )
    return lead


# --- configuration: channels and routing rules --------------------------------------------
def can_configure(actor) -> bool:
    return bool(
        actor and actor.is_authenticated and (actor.is_admin_role or actor.edits_everything)
    )


def _require_admin(actor) -> None:
    if actor is not None and not can_configure(actor):
        raise PermissionDenied(_("Only sales-ops admins and directors can change this."))


CHANNEL_FIELDS = ("name", "kind", "campaign", "is_active", "rate_limit", "team")


def _clean_channel(channel: Channel, data: dict) -> None:
    unknown = set(data) - set(CHANNEL_FIELDS)
    errors = {f: [_("Unknown field.")] for f in sorted(unknown)}
    for key, value in data.items():
        if key not in unknown:
            setattr(channel, key, value.strip() if isinstance(value, str) else value)
    try:
        channel.full_clean(exclude=["token", *errors], validate_unique=False)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def channel_create(*, actor, **data) -> Channel:
    _require_admin(actor)
    channel = Channel(created_by=actor)
    _clean_channel(channel, data)
    channel._history_user = actor
    channel.save()
    return channel


@transaction.atomic
def channel_update(*, actor, channel: Channel, **data) -> Channel:
    _require_admin(actor)
    _clean_channel(channel, data)
    channel._history_user = actor
    channel.save()
    return channel


@transaction.atomic
def channel_new_token(*, actor, channel: Channel) -> Channel:
    """Revoke the channel's token by issuing a new one: the old one answers 404 at once."""
    from .models import new_token

    _require_admin(actor)
    channel.token = new_token()
    channel._history_user = actor
    channel._change_reason = "new token"
    channel.save(update_fields=["token"])
    return channel


RULE_FIELDS = ("name", "priority", "is_active", "condition", "team", "strategy")


def _clean_rule(rule, data: dict, members) -> list:
    from salesops.core.expressions import ExpressionError, compile_expression
    from salesops.org.models import User

    from .models import Strategy

    unknown = set(data) - set(RULE_FIELDS)
    errors = {f: [_("Unknown field.")] for f in sorted(unknown)}
    for key, value in data.items():
        if key not in unknown:
            setattr(rule, key, value.strip() if isinstance(value, str) else value)
    if rule.condition:
        try:
            compile_expression(rule.condition, entities.get("lead").variable_names())
        except ExpressionError as exc:
            from salesops.automation.triggers import expression_error

            errors["condition"] = [expression_error(exc)]
    clean_members = []
    if members is not None:
        seen = set()
        for index, item in enumerate(members):
            user_id = item.get("user_id") if isinstance(item, dict) else item
            weight = item.get("weight", 1) if isinstance(item, dict) else 1
            try:
                user_id = int(user_id)
                weight = int(weight)
            except (TypeError, ValueError):
                errors.setdefault("members", []).append(
                    _("Member %(n)d: give a user id and a whole-number weight.") % {"n": index + 1}
                )
                continue
            if not 1 <= weight <= 100:
                errors.setdefault("members", []).append(
                    _("Member %(n)d: the weight must be 1–100.") % {"n": index + 1}
                )
            if user_id in seen:
                continue
            seen.add(user_id)
            clean_members.append((user_id, weight))
        known = set(
            User.objects.filter(pk__in=[u for u, _w in clean_members], is_active=True).values_list(
                "pk", flat=True
            )
        )
        for user_id, _w in clean_members:
            if user_id not in known:
                errors.setdefault("members", []).append(
                    _("No active user with id %(id)s.") % {"id": user_id}
                )
    if rule.strategy not in Strategy.values:
        errors["strategy"] = [_("Choose round robin, least loaded or weighted.")]
    try:
        rule.full_clean(exclude=["team", *errors], validate_unique=False)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    has_members = bool(clean_members) if members is not None else rule.pk and rule.members.exists()
    if not rule.team_id and not has_members and "members" not in errors:
        errors["team"] = [_("Choose a team or list the reps who get these leads.")]
    if errors:
        raise ValidationError(errors)
    return clean_members


def _save_members(rule, members) -> None:
    from .models import RoutingMember

    rule.members.all().delete()
    RoutingMember.objects.bulk_create(
        [RoutingMember(rule=rule, user_id=u, weight=w) for u, w in members]
    )


@transaction.atomic
def routing_rule_create(*, actor, members=None, **data):
    from .models import RoutingRule

    _require_admin(actor)
    rule = RoutingRule(created_by=actor)
    clean = _clean_rule(rule, data, members or [])
    rule._history_user = actor
    rule.save()
    _save_members(rule, clean)
    routing.invalidate()  # this process at once, every process after commit
    transaction.on_commit(routing.invalidate)
    return rule


@transaction.atomic
def routing_rule_update(*, actor, rule, members=None, **data):
    _require_admin(actor)
    clean = _clean_rule(rule, data, members)
    rule._history_user = actor
    rule.save()
    if members is not None:
        _save_members(rule, clean)
    routing.invalidate()  # this process at once, every process after commit
    transaction.on_commit(routing.invalidate)
    return rule


@transaction.atomic
def routing_rule_delete(*, actor, rule) -> None:
    _require_admin(actor)
    rule._history_user = actor
    rule.delete()
    routing.invalidate()  # this process at once, every process after commit
    transaction.on_commit(routing.invalidate)


def routing_test(sample: dict):
    """What routing would do with a sample lead right now, without assigning it."""
    sample = dict(sample)
    channel_id = sample.pop("channel", None) or sample.pop("channel_id", None)
    channel = None
    if channel_id not in (None, ""):
        channel = (
            Channel.objects.filter(pk=channel_id).first() if str(channel_id).isdigit() else None
        )
        if channel is None:
            raise ValidationError({"channel": _("Unknown channel.")})
    lead = Lead(channel=channel or manual_channel())
    errors = _assign_fields(lead, {k: v for k, v in sample.items() if k != "custom"}, LEAD_FIELDS)
    if lead.phone:
        try:
            lead.phone = normalize_phone(lead.phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if errors:
        raise ValidationError(errors)
    lead.custom = sample.get("custom") or {}
    region.fill(lead)
    snapshot = routing.build_snapshot()
    counts = routing.counts_today(snapshot.day)
    decision = routing.decide(
        snapshot, entities.get("lead").variables(lead), counts, routing.open_loads
    )
    return decision, snapshot, lead

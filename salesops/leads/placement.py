"""Who gets a lead: a new lead's placement (a customer's owner, the rep who typed it
in, or routing), the pool's watchers, a manager's reassignment and a rep's claim from
the pool, within the daily caps (``routing.take_slot``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from salesops.core import clock, entities, orgsettings
from salesops.core.history import save_with_history
from salesops.org import selectors as org_selectors
from salesops.org.models import Role, Team, User

from . import routing
from .models import Assignment, DailyLeadCount, Lead, ReviewState, SlaState
from .sla import start_clock
from .writes import emit, notify, require_editable


def pool_watchers(team_id):
    """Who hears about a lead no rule could place: the team's manager (or the nearest
    manager above it), else the directors."""
    team = Team.objects.filter(pk=team_id).select_related("parent").first() if team_id else None
    while team is not None:
        if team.manager_id:
            return [team.manager_id]
        team = team.parent
    return list(
        User.objects.filter(is_active=True, role=Role.DIRECTOR).values_list("pk", flat=True)
    )


@dataclass
class Placement:
    """Where routing put a new lead: its owner (``None``: the pool), the decision and
    its reason in words, and the rule and strategy the assignment row records."""

    owner: User | None
    decision: routing.Decision | None
    reason: str
    rule_id: int | None = None
    strategy: str = ""

    @property
    def rule_name(self) -> str:
        rule = self.decision.rule if self.decision is not None else None
        return rule.name if rule is not None else ""


def _customer_owner(match):
    record = match.record
    account = getattr(record, "account", None) if record._meta.model_name == "contact" else record
    owner = getattr(account, "owner", None)
    return account, owner if owner is not None and owner.is_active else None


def place_new(lead: Lead, action: str, match, channel, actor, owner, planned=None) -> Placement:
    """Who gets a new lead, after de-duplication said what it is (``action``): a known
    customer's lead stays with the account's owner, ``owner`` (a rep's own quick entry)
    keeps it, anything else is routed — once, on the lead's final fields. ``planned``:
    ``(variables, (snapshot, counts))`` read before the write transaction. Sets the
    lead's account, review state, owner and team; the caller writes it."""
    reason = ""
    if action == "customer":
        account, account_owner = _customer_owner(match)
        lead.account = account
        if owner is None and account_owner is not None:
            owner = account_owner
            reason = _("Existing customer %(account)s: kept with its owner.") % {"account": account}
    elif action == "review":
        lead.review_state = ReviewState.REVIEW
        if isinstance(match.record, Lead):
            lead.possible_duplicate_of = match.record
    if owner is not None:
        placed = Placement(owner, None, reason)
        if not reason:
            placed.reason = _("Registered by %(user)s, who keeps it.") % {"user": owner.label}
    else:
        variables, prepared = planned or (None, None)
        if variables is None or action != "new":
            variables = entities.get("lead").variables(lead)
        placed = route(lead, channel, actor, variables, prepared)
    if placed.owner is not None:
        lead.owner = placed.owner
        if lead.team_id is None:
            lead.team_id = placed.owner.team_id
    return placed


def route(lead: Lead, channel, actor, variables: dict, prepared=None) -> Placement:
    """Decide once for ``lead`` (``prepared``: the snapshot and counts read before the
    transaction) and take a slot; sets the lead's team (the rule's, else the pool's).
    Must run inside the intake's transaction."""
    decision = routing.plan(variables, prepared)
    owner_id = routing.assign(decision)
    placed = Placement(None, decision, decision.reason)
    if decision.rule is not None:
        placed.rule_id, placed.strategy = decision.rule.id, decision.strategy
        lead.team_id = decision.rule.team_id
    if owner_id is not None:
        placed.owner = decision.owner(owner_id)
    elif decision.rule is None and decision.pool_team_id() is not None:
        # Every rep of the matching rule is at the cap (or away): the lead waits in
        # that team's pool, where its manager sees it and hands it out.
        lead.team_id = decision.pool_team_id()
    if placed.owner is None and lead.team_id is None:
        # The pool of the channel's team, else of the person who typed it in.
        lead.team_id = channel.team_id or getattr(actor, "team_id", None)
    return placed


def can_reassign(actor) -> bool:
    return bool(
        actor and actor.is_authenticated and (actor.is_manager_role or actor.edits_everything)
    )


def daily_cap(user) -> int:
    """The rep's daily lead cap: their own, else the organisation's default."""
    if user.daily_lead_cap is not None:
        return int(user.daily_lead_cap)
    return int(orgsettings.current().default_daily_lead_cap)


# Assignments that took one of the rep's daily slots (routing, a claim, a manager's
# reassignment); a rep's own entry and a customer's owner keep theirs without one (L5).
SLOT_STRATEGIES = ("round_robin", "least_loaded", "weighted", "claim", "manual")


def _free_slot(lead: Lead, previous, day) -> None:
    """Reassigning away frees the slot the previous owner took for the lead today."""
    last = (
        Assignment.objects.filter(lead=lead, owner=previous)
        .order_by("-created_at", "-id")
        .only("created_at", "strategy")
        .first()
    )
    if (
        last is not None
        and last.strategy in SLOT_STRATEGIES
        and timezone.localtime(last.created_at).date() == day
    ):
        routing.release_slot(previous.pk, day)


def _count_over_cap(owner, day) -> None:
    """A manager's override: count the lead on ``owner``'s day beyond the cap, so the
    day's count stays true."""
    DailyLeadCount.objects.bulk_create(
        [DailyLeadCount(user_id=owner.pk, day=day, count=0)], ignore_conflicts=True
    )
    DailyLeadCount.objects.filter(user_id=owner.pk, day=day).update(count=F("count") + 1)


def cap_message(owner, day) -> str:
    count = (
        DailyLeadCount.objects.filter(user_id=owner.pk, day=day)
        .values_list("count", flat=True)
        .first()
        or 0
    )
    return _(
        "%(rep)s already has %(count)d leads today and the daily cap is %(cap)d. "
        "Choose another rep, or tick “Over the daily cap” and say why."
    ) % {"rep": owner.label, "count": count, "cap": daily_cap(owner)}


@transaction.atomic
def lead_reassign(*, actor, lead: Lead, owner, reason: str, override_cap: bool = False) -> Lead:
    """A manager gives the lead to someone else (or back to the pool with ``owner=None``),
    with a reason. The new owner's daily cap holds unless ``override_cap`` (the reason
    and the override are recorded on the assignment); the previous owner's slot of today
    is freed. The SLA clock restarts when the lead has not been contacted yet."""
    if not can_reassign(actor):
        raise PermissionDenied(_("Only managers can reassign leads."))
    require_editable(actor, lead)
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = [_("Say why the lead is reassigned.")]
    if owner is not None and not org_selectors.visible_users(actor).filter(pk=owner.pk).exists():
        errors["owner"] = [_("Choose an active user in your team.")]
    if errors:
        raise ValidationError(errors)
    return _move(lead, owner, actor=actor, reason=reason, override_cap=override_cap)


def _move(
    lead: Lead,
    owner,
    *,
    actor,
    reason: str,
    override_cap: bool = False,
    strategy: str = "manual",
    routing_rule_id: int | None = None,
    routing_rule_name: str = "",
    slot_taken: bool = False,
) -> Lead:
    """Give ``lead`` to ``owner`` (``None``: the pool) within the new owner's daily cap
    (``slot_taken``: routing already took the slot), freeing the previous owner's slot,
    restarting the SLA clock, recording the assignment and emitting ``lead.assigned``."""
    lead = Lead.objects.select_for_update(of=("self",)).select_related("owner").get(pk=lead.pk)
    previous = lead.owner
    if previous == owner:
        if slot_taken and owner is not None:
            routing.release_slot(owner.pk, clock.today())
        return lead
    day = clock.today()
    over_cap = False
    if (
        owner is not None
        and not slot_taken
        and not routing.take_slot(owner.pk, day, daily_cap(owner))
    ):
        if not override_cap:
            raise ValidationError({"owner": [cap_message(owner, day)]})
        _count_over_cap(owner, day)
        over_cap = True
    if previous is not None:
        _free_slot(lead, previous, day)
    lead.owner = owner
    now = clock.now()
    if owner is not None:
        lead.team_id = owner.team_id or lead.team_id
        start_clock(lead, now)
    else:
        lead.assigned_at = None
        lead.sla_due_at = None
        lead.sla_state = SlaState.NONE
    history_reason = "reassigned over the daily cap" if over_cap else "reassigned"
    if actor is None:
        history_reason = f"reassigned by {strategy}"
    save_with_history(lead, actor, history_reason)
    Assignment.objects.create(
        lead=lead,
        owner=owner,
        previous_owner=previous,
        rule_id=routing_rule_id,
        rule_name=routing_rule_name[:100],
        strategy=strategy,
        reason=reason[:500],
        actor=actor,
        over_cap=over_cap,
    )
    emit(
        "lead.assigned",
        id=lead.pk,
        owner_id=getattr(owner, "pk", None),
        previous_owner_id=getattr(previous, "pk", None),
        rule_id=routing_rule_id,
        strategy=strategy,
        actor_id=getattr(actor, "pk", None),
    )
    if owner is not None and owner != actor:
        title = _("Lead reassigned to you: %(lead)s") % {"lead": lead}
        transaction.on_commit(lambda: notify([owner], title, reason, lead))
    return lead


@transaction.atomic
def lead_reassign_by_rule(
    *,
    lead: Lead,
    owner,
    reason: str,
    strategy: str = "rule",
    routing_rule_id: int | None = None,
    routing_rule_name: str = "",
    slot_taken: bool = False,
) -> Lead:
    """An automation rule's ``reassign``: no person acts (no permission check, no
    override of a full daily cap: the action fails with the cap message)."""
    return _move(
        lead,
        owner,
        actor=None,
        reason=(reason or "").strip() or _("Reassigned by an automation rule."),
        strategy=strategy,
        routing_rule_id=routing_rule_id,
        routing_rule_name=routing_rule_name,
        slot_taken=slot_taken,
    )


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
    cap = daily_cap(actor)
    if not routing.take_slot(actor.pk, day, cap):
        raise ValidationError(
            {"owner": _("You reached your daily cap of %(cap)d leads.") % {"cap": cap}}
        )
    lead.owner = actor
    lead.team_id = lead.team_id or actor.team_id
    start_clock(lead, clock.now())
    save_with_history(lead, actor, "claimed")
    Assignment.objects.create(
        lead=lead, owner=actor, reason=_("Taken from the pool."), actor=actor, strategy="claim"
    )
    emit(
        "lead.assigned",
        id=lead.pk,
        owner_id=actor.pk,
        previous_owner_id=None,
        rule_id=None,
        strategy="claim",
        actor_id=actor.pk,
    )
    return lead

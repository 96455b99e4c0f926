"""The first-contact SLA, in one place: the policy (read from the SLA rule's data), the
due time a lead gets when it is assigned, the clock stopping on the first contact or when
the lead closes, and the badge the pages show.

The automation engine's timer rules (``leads/defaults/rules.json``: reminder, breach,
escalation) fire on ``sla_due_at``/``assigned_at``; this module sets those fields."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from salesops.automation.models import Rule
from salesops.automation.triggers import due_at
from salesops.core import clock
from salesops.core.configcache import ConfigCache
from salesops.core.history import save_with_history

from .models import Lead, LeadStatus, SlaState
from .writes import emit

SLA_RULE_CODE = "lead-sla-breach"

# The policy is read from the SLA rule on every assignment; an admin's edit of the rule
# (a new RuleVersion, or switching the rule off) invalidates it through
# ``invalidate_on(Rule, RuleVersion)`` in LeadsConfig.ready.
policy_cache = ConfigCache("lead-sla-policy")


@dataclass(frozen=True)
class SlaPolicy:
    """The first-contact SLA: ``minutes`` of working (or calendar, per ``unit``) time."""

    minutes: int
    unit: str

    def due(self, start: dt.datetime) -> dt.datetime:
        return due_at(start, self.minutes, self.unit)


def _read_policy() -> SlaPolicy | None:
    rule = (
        Rule.objects.filter(code=SLA_RULE_CODE, is_active=True)
        .select_related("current_version")
        .first()
    )
    if rule is None or rule.current_version is None:
        return None
    trigger = rule.current_version.trigger
    return SlaPolicy(int(trigger.get("minutes") or 0), trigger.get("unit") or "working")


def current_policy() -> SlaPolicy | None:
    """The active first-contact SLA rule's policy, or ``None`` when an admin switched it
    off. Read from the rule itself, so the due time and the badge follow the admin's edits."""
    return policy_cache.get("policy", _read_policy)


def sla_policy() -> tuple[int, str] | None:
    """``(minutes, unit)`` of :func:`current_policy` (the form bench/intake.py reads)."""
    policy = current_policy()
    return None if policy is None else (policy.minutes, policy.unit)


def due_time(start: dt.datetime) -> dt.datetime | None:
    """When a lead assigned at ``start`` must have had its first contact, or ``None``."""
    policy = current_policy()
    if policy is None or policy.minutes <= 0:
        return None
    return policy.due(start)


_UNSET = object()


def start_clock(lead: Lead, at, due=_UNSET) -> None:
    """Assigned at ``at``: the first-contact clock starts unless the lead was contacted.
    ``due``: :func:`due_time` of ``at``, when the caller has it (a batch's leads share
    their time)."""
    lead.assigned_at = at
    if lead.first_contact_at is not None:
        return
    lead.sla_due_at = due_time(at) if due is _UNSET else due
    lead.sla_state = SlaState.RUNNING if lead.sla_due_at is not None else SlaState.NONE
    lead.escalation_level = 0


def stop_clock(lead: Lead) -> None:
    """A closed lead's first-contact clock no longer runs (the rules' "unless" skips it
    too); a breached or met state stays as the record of what happened."""
    if lead.sla_state in (SlaState.RUNNING, SlaState.DUE_SOON):
        lead.sla_state = SlaState.NONE


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
        save_with_history(
            lead, None, "first contact" if first else "activity", update_fields=fields
        )
        if first:
            emit(
                "lead.first_contact",
                id=lead.pk,
                owner_id=lead.owner_id,
                late=lead.sla_state == SlaState.LATE,
            )
        return lead


# --- SLA badge ------------------------------------------------------------------------------
@dataclass
class SlaBadge:
    state: str
    label: str
    color: str  # Tabler colour name
    minutes_left: int | None = None


def sla_badge(lead: Lead, now: dt.datetime | None = None) -> SlaBadge | None:
    """What the list shows: the stored state (set by the SLA rules and the first
    check-in) plus a countdown to the due time while the clock runs."""
    state = lead.sla_state
    if not state:
        return None
    label = SlaState(state).label
    if state in (SlaState.RUNNING, SlaState.DUE_SOON) and lead.sla_due_at:
        now = now or clock.now()
        left = int((lead.sla_due_at - now).total_seconds() // 60)
        color = "orange" if state == SlaState.DUE_SOON else "blue"
        if left < 0:
            return SlaBadge(state, _("Overdue"), "red", left)
        return SlaBadge(state, label, color, left)
    colors = {SlaState.BREACHED: "red", SlaState.MET: "green", SlaState.LATE: "yellow"}
    return SlaBadge(state, label, colors.get(state, "secondary"))

"""The first-contact SLA, in one place: the policy (read from the SLA rule's data), the
due time a lead gets when it is assigned, the clock stopping on the first contact or when
the lead closes, and the badge the pages show.

The automation engine's timer rules (``leads/defaults/rules.json``: reminder, breach,
escalation) fire on ``sla_due_at``/``assigned_at``; this module sets those fields."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import transaction

from salesops.automation.models import Rule
from salesops.automation.triggers import due_at

from .models import Lead, LeadStatus, SlaState
from .writes import audited_save, emit

SLA_RULE_CODE = "lead-sla-breach"


# --- the SLA clock --------------------------------------------------------------------------
_sla_cache: dict = {}


def sla_policy() -> tuple[int, str] | None:
    """``(minutes, unit)`` of the active first-contact SLA rule, or ``None`` when an admin
    switched it off. Read from the rule itself so the badge follows the admin's edits."""
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


def start_clock(lead: Lead, at) -> None:
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
        audited_save(lead, None, "first contact" if first else "activity", update_fields=fields)
        if first:
            emit(
                "lead.first_contact",
                id=lead.pk,
                owner_id=lead.owner_id,
                late=lead.sla_state == SlaState.LATE,
            )
        return lead

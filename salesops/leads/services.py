"""Every write to leads. The rooms hold the sub-domains and this module re-exports their
public services, so callers keep one import (``from salesops.leads import services``):

* ``receive``: intake of an inquiry (validation, de-duplication, region, routing, audit);
* ``placement``: reassigning, claiming from the pool, who watches the pool;
* ``sla``: the first-contact clock (policy, due time, first contact);
* ``review`` and ``conversion``: duplicates, conversion to an account and contact;
* ``configuration``: channels and routing rules;
* here: edits and status changes of a lead.

Services take the acting user explicitly (``None`` for a public channel or the system)
and do all their writes in one transaction: bad input leaves nothing behind.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import choices, clock
from salesops.core.history import save_with_history
from salesops.core.names import company_key
from salesops.core.validators import merge_errors
from salesops.customization import services as custom_services

from .configuration import (
    CHANNEL_FIELDS,
    RULE_FIELDS,
    can_configure,
    channel_create,
    channel_new_token,
    channel_update,
    next_priority,
    routing_rule_create,
    routing_rule_delete,
    routing_rule_update,
    routing_rule_warnings,
    routing_test,
)
from .conversion import (
    HELD_FOR_REVIEW,
    conversion_reviewers,
    lead_convert,
    needs_review_message,
)
from .models import OPEN_STATUSES, Lead, LeadStatus
from .placement import can_reassign, lead_claim, lead_reassign, pool_watchers
from .receive import (
    IDEMPOTENCY_KEY_MAX,
    IdempotencyKeyReused,
    IntakeResult,
    entry_channel,
    entry_channels,
    lead_intake,
    manual_channel,
    quick_entry,
)
from .review import lead_review
from .shadowing import all_warnings as rule_list_warnings
from .sla import SLA_RULE_CODE, record_contact, sla_policy, stop_clock
from .validation import (
    EDITABLE_FIELDS,
    LEAD_FIELDS,
    REQUIRED,
    assign_fields,
    full_clean_lead,
    normalise,
    validate_new,
)
from .writes import emit, require_editable

__all__ = [
    "CHANNEL_FIELDS",
    "EDITABLE_FIELDS",
    "HELD_FOR_REVIEW",
    "IDEMPOTENCY_KEY_MAX",
    "LEAD_FIELDS",
    "REQUIRED",
    "RULE_FIELDS",
    "SLA_RULE_CODE",
    "IdempotencyKeyReused",
    "IntakeResult",
    "can_configure",
    "can_reassign",
    "channel_create",
    "channel_new_token",
    "channel_update",
    "conversion_reviewers",
    "lead_claim",
    "lead_convert",
    "lead_intake",
    "lead_reassign",
    "lead_review",
    "lead_set_status",
    "lead_update",
    "manual_channel",
    "entry_channel",
    "entry_channels",
    "needs_review_message",
    "pool_watchers",
    "quick_entry",
    "record_contact",
    "routing_rule_create",
    "routing_rule_delete",
    "routing_rule_update",
    "routing_rule_warnings",
    "rule_list_warnings",
    "next_priority",
    "routing_test",
    "sla_policy",
    "validate_new",
]


@transaction.atomic
def lead_update(
    *, actor, lead: Lead, custom: dict | None = None, channel: object = None, **data
) -> Lead:
    """Change a lead's fields; ``channel`` (an id or kind code, see ``entry_channel``)
    corrects its source — blank or its current channel keeps it."""
    require_editable(actor, lead)
    before = {f: getattr(lead, f) for f in EDITABLE_FIELDS}
    before_channel = lead.channel_id
    errors = assign_fields(lead, data, EDITABLE_FIELDS)
    errors = merge_errors(errors, normalise(lead, before))
    if channel is not None and str(channel).strip() not in ("", str(lead.channel_id)):
        try:
            lead.channel = entry_channel(channel)
        except ValidationError as exc:
            errors = merge_errors(errors, exc.message_dict)
    if custom is not None:
        errors = merge_errors(
            errors, custom_services.merge_custom(lead, "lead", custom, partial=True, required=())
        )
    full_clean_lead(lead, errors)
    lead.company_key = company_key(lead.company)
    lead.company_prefix = lead.company_key[:2]
    changed = [f for f in EDITABLE_FIELDS if getattr(lead, f) != before[f]]
    if lead.channel_id != before_channel:
        changed.append("channel")
    save_with_history(lead, actor, "updated")
    emit("lead.updated", id=lead.pk, changed=changed, actor_id=actor.pk)
    return lead


@transaction.atomic
def lead_set_status(*, actor, lead: Lead, status: str, invalid_reason: str = "") -> Lead:
    """Move a lead to one of the preset levels. Converting goes through
    :func:`lead_convert`; invalid needs a reason."""
    require_editable(actor, lead)
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
        if not invalid_reason:
            raise ValidationError({"invalid_reason": _("Say why the lead is invalid.")})
        choices.validate(
            choices.LEAD_INVALID_REASON,
            "invalid_reason",
            invalid_reason,
            current=lead.invalid_reason,
        )
        reason = invalid_reason
    if status == lead.status and reason == lead.invalid_reason:
        return lead
    lead.invalid_reason = reason
    if status not in OPEN_STATUSES:
        stop_clock(lead)
    if status == lead.status:
        save_with_history(lead, actor, "invalid reason")
        emit("lead.updated", id=lead.pk, changed=["invalid_reason"], actor_id=actor.pk)
        return lead
    lead.status = status
    lead.progressed_at = clock.now()
    save_with_history(lead, actor, f"status {status}")
    emit("lead.updated", id=lead.pk, changed=["status"], actor_id=actor.pk)
    return lead

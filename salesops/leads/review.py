"""Settling a possible duplicate: merge it into the earlier lead or mark it as none."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.core.history import save_with_history

from . import selectors
from .conversion import needs_review_message
from .models import Inquiry, InvalidReason, Lead, LeadStatus, ReviewState
from .writes import emit, require_editable


@transaction.atomic
def lead_review(*, actor, lead: Lead, merge: bool) -> Lead:
    """Settle a possible duplicate: merge it into the earlier lead (its inquiries move
    there and it becomes invalid) or mark it as not a duplicate."""
    require_editable(actor, lead)
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
    save_with_history(lead, actor, "merged" if merge else "not a duplicate")
    emit("lead.updated", id=lead.pk, changed=["review_state"], actor_id=actor.pk)
    return lead

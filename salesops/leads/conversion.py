"""Turning a lead into an account and contact, and holding it for the owners' manager
when it matches a customer the converter may not change."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import choices, clock
from salesops.core.history import save_with_history
from salesops.core.visibility import visible_owner_ids
from salesops.customers import services as customer_services
from salesops.org import selectors as org_selectors
from salesops.org.models import Role, User

from . import selectors
from .models import Lead, LeadStatus, ReviewState
from .sla import stop_clock
from .writes import emit, notify, require_editable


def conversion_reviewers(lead_owner, account_owner_ids) -> list:
    """Who settles a conversion that matched someone else's customer: the nearest manager
    above the lead's owner who sees every owner involved (the "owners' manager"), else
    the directors."""
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
    save_with_history(lead, actor, HELD_FOR_REVIEW)
    reviewers = conversion_reviewers(lead.owner or actor, {a.owner_id for a in blockers})
    title = _("A lead needs your review before conversion: %(lead)s") % {"lead": lead}
    body = _(
        "It matches a customer its owner may not change. Convert it into that customer "
        "or hand the lead to the customer's owner."
    )
    transaction.on_commit(lambda: notify(reviewers, title, body, lead))
    emit("lead.updated", id=lead.pk, changed=["review_state"], actor_id=actor.pk)
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
    require_editable(actor, lead)
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
            # a code deactivated since the lead came in is not carried over
            industry=choices.active_or_blank(choices.INDUSTRY, lead.industry),
            size_band=choices.active_or_blank(choices.COMPANY_SIZE, lead.size_band),
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
    stop_clock(lead)
    lead.converted_at = clock.now()
    lead.progressed_at = lead.converted_at
    save_with_history(lead, actor, "converted")
    emit(
        "lead.converted",
        id=lead.pk,
        account_id=account.pk,
        contact_id=contact.pk,
        actor_id=actor.pk,
    )
    return lead

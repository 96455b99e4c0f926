"""Helpers the lead pages share: the visible lead or a 404, the configure check, the SLA
badge and status colour on each row."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from salesops.core import clock

from .. import services, sla
from ..models import (
    Lead,
    LeadStatus,
    SlaState,
)

STATUS_COLORS = {
    LeadStatus.NEW: "blue",
    LeadStatus.CONTACTED: "azure",
    LeadStatus.QUALIFIED: "purple",
    LeadStatus.CONVERTED: "green",
    LeadStatus.INVALID: "secondary",
}


# --- helpers --------------------------------------------------------------------------------
def _lead_or_404(user, pk) -> Lead:
    lead = (
        Lead.objects.visible_to(user)
        .select_related("owner", "team", "channel", "account", "contact", "possible_duplicate_of")
        .filter(pk=pk)
        .first()
    )
    if lead is None:
        raise Http404(_("No such lead, or you may not open it."))
    return lead


def _require_configure(user) -> None:
    if not services.can_configure(user):
        raise PermissionDenied(_("Only sales-ops admins and directors can change this."))


def _sees_others(user) -> bool:
    return user.is_manager_role or user.sees_everything


def _is_partial(request) -> bool:
    return bool(getattr(request, "htmx", False)) and not request.htmx.boosted


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _sla_left(minutes: int | None) -> str:
    if minutes is None or minutes < 0:
        return ""
    if minutes < 120:
        return ngettext("%(n)d min left", "%(n)d min left", minutes) % {"n": minutes}
    hours = minutes // 60
    return ngettext("%(n)d h left", "%(n)d h left", hours) % {"n": hours}


def _decorate(leads, now=None) -> None:
    """Attach the SLA badge (and its countdown text) and status colour to each lead."""
    now = now or clock.now()
    for lead in leads:
        badge = sla.sla_badge(lead, now)
        if badge and not lead.is_open and badge.state in (SlaState.RUNNING, SlaState.DUE_SOON):
            # Converted or invalid: the timers stopped; no countdown to show.
            badge = None
        lead.sla = badge
        lead.sla_left = _sla_left(badge.minutes_left) if badge else ""
        lead.status_color = STATUS_COLORS.get(lead.status, "secondary")

"""What the home pages share: the SLA badge and countdown of a lead row."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from salesops.core import clock
from salesops.leads.sla import sla_badge


def _span(minutes: int) -> str:
    if minutes < 120:
        return ngettext("%(n)d min", "%(n)d min", minutes) % {"n": minutes}
    hours = minutes // 60
    if hours < 48:
        return ngettext("%(n)d h", "%(n)d h", hours) % {"n": hours}
    days = hours // 24
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


def countdown(minutes: int | None) -> str:
    """ "25 min left" before the due time, "3 h late" after it."""
    if minutes is None:
        return ""
    if minutes >= 0:
        return _("%(span)s left") % {"span": _span(minutes)}
    return _("%(span)s late") % {"span": _span(-minutes)}


def decorate(leads, now=None) -> list:
    """Attach ``sla`` (the badge), ``sla_left`` (its countdown) and ``overdue`` to each
    lead, as the lead list shows them (``leads/_sla_badge.html``)."""
    now = now or clock.now()
    leads = list(leads)
    for lead in leads:
        badge = sla_badge(lead, now)
        lead.sla = badge
        lead.overdue = bool(
            lead.first_contact_at is None and lead.sla_due_at and lead.sla_due_at < now
        )
        if lead.sla_due_at and lead.first_contact_at is None:
            lead.sla_left = countdown(int((lead.sla_due_at - now).total_seconds() // 60))
        else:
            lead.sla_left = ""
    return leads

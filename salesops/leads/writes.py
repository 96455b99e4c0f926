"""What every write to a lead does besides changing it: the domain event after commit, the
notification, the edit permission."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from salesops.core import events
from salesops.notifications import services as notifications

from .models import Lead


def emit(name: str, **payload) -> None:
    events.emit(name, payload)


def notify(recipients, title: str, body: str, lead: Lead) -> None:
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


def require_editable(actor, lead: Lead) -> None:
    if not Lead.objects.editable_by(actor).filter(pk=lead.pk).exists():
        raise PermissionDenied(_("You cannot change this lead."))

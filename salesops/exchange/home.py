"""The admin's home card "Start from an industry template" (SPEC X7: a fresh install
offers to start from one): shown to configurers until a template has been applied, while
the organisation is still new (fewer leads than :data:`NEW_ORG_LEADS`)."""

from __future__ import annotations

from salesops.leads.models import Lead
from salesops.org.models import Role
from salesops.reports.home import cards

from . import industry, permissions
from .models import AppliedTemplate

NEW_ORG_LEADS = 50


def industry_card(user) -> dict | None:
    if not permissions.can_configure(user) or AppliedTemplate.objects.exists():
        return None
    if Lead.objects.count() >= NEW_ORG_LEADS:
        return None
    return {"templates": industry.shipped()}


def register() -> None:
    for role in (Role.ADMIN, Role.DIRECTOR):
        cards.register(role, "industry", "exchange/home/_industry_card.html", industry_card)

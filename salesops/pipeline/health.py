"""The healthy-deal check (SPEC D7) as stored on a deal: writing it, marking it stale,
and reading it for the deal page and the kanban card.

The check itself reads contracts, payments, deliveries and activities, so it lives in the
read model (``reports.deal_health.evaluate``); pipeline sits below those apps and only
keeps the result. ``health`` holds exactly::

    {"criteria": [{"code", "label", "passed": True|False|None, "value", "threshold",
                   "signal"}], "passed": <criteria met>, "total": 5}

``passed`` None is "not yet applicable": an open deal without a contract has no clause,
first payment or implementation date to judge yet.

A deal whose inputs changed is marked stale by clearing ``health_checked_at`` (one UPDATE,
no event, no history row); the read model's sweep recomputes stale deals within the
minute, and the deals checked before the pipeline policy last changed.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from salesops.core import clock

from .models import Deal, DealStatus, PipelinePolicy

# The five criteria in the order they are stored (reports filter on the position).
CRITERIA = (
    ("roles", _("Decision roles covered")),
    ("custom_service", _("Customised-service clause")),
    ("first_payment", _("First payment")),
    ("implementation", _("Implementation scheduled")),
    ("success", _("Customer success involved before signing")),
)
CODES = tuple(code for code, _label in CRITERIA)
LABELS = dict(CRITERIA)
TOTAL = len(CRITERIA)


def position(code: str) -> int:
    """Where criterion ``code`` sits in ``health["criteria"]``."""
    return CODES.index(code)


def store_health(deal: Deal, result: dict) -> Deal:
    """Keep ``result`` (from ``reports.deal_health.evaluate``) on the deal. Written with
    ``update()``: the check is derived data, not a change anyone made (no history row, no
    ``deal.updated`` event that would queue the deal again)."""
    now = clock.now()
    passed = int(result.get("passed") or 0)
    Deal.objects.filter(pk=deal.pk).update(
        health=result, health_passed=passed, health_checked_at=now
    )
    deal.health, deal.health_passed, deal.health_checked_at = result, passed, now
    return deal


def mark_stale(
    *,
    deal_ids: Iterable[int] = (),
    account_ids: Iterable[int] = (),
    contact_ids: Iterable[int] = (),
) -> int:
    """Queue deals (by id, every deal of the accounts, every deal whose decision chain
    holds one of the contacts) for the next health sweep. One UPDATE."""
    deal_ids, account_ids, contact_ids = set(deal_ids), set(account_ids), set(contact_ids)
    if not deal_ids and not account_ids and not contact_ids:
        return 0
    condition = Q(pk__in=sorted(deal_ids)) | Q(account_id__in=sorted(account_ids))
    if contact_ids:
        condition |= Q(
            pk__in=Deal.contacts.through.objects.filter(contact_id__in=sorted(contact_ids)).values(
                "deal_id"
            )
        )
    return (
        Deal.objects.filter(condition)
        .exclude(status=DealStatus.LOST)
        .exclude(health_checked_at=None)
        .update(health_checked_at=None)
    )


def stale_deals(limit: int):
    """Deals (not lost) never checked, marked stale, or checked before the pipeline
    policy last changed, oldest first; at most ``limit``."""
    policy = PipelinePolicy.current()
    stale = Q(health_checked_at=None)
    # A policy stamped after "now" (the clock pinned in the past by ``tick --now``) would
    # keep every deal stale for ever; it counts once the clock has passed it.
    if policy.updated_at and policy.updated_at <= clock.now():
        stale |= Q(health_checked_at__lt=policy.updated_at)
    return (
        Deal.objects.filter(stale)
        .exclude(status=DealStatus.LOST)
        .order_by(F("health_checked_at").asc(nulls_first=True), "pk")[:limit]
    )


def describe(deal: Deal) -> dict | None:
    """The stored check for a template: the criteria (labels in the reader's language),
    met/total, the failures with their signals and a colour; None before the first check."""
    health = deal.health if isinstance(deal.health, dict) else {}
    rows = health.get("criteria")
    if not rows:
        return None
    criteria = []
    for row in rows:
        row = dict(row)
        if row.get("code") in LABELS:
            row["label"] = str(LABELS[row["code"]])
        criteria.append(row)
    passed = sum(1 for row in criteria if row.get("passed") is True)
    applicable = sum(1 for row in criteria if row.get("passed") is not None)
    failures = [row for row in criteria if row.get("passed") is False]
    if not failures:
        colour = "green"
    elif len(failures) == 1:
        colour = "yellow"
    else:
        colour = "red"
    return {
        "criteria": criteria,
        "passed": passed,
        "total": health.get("total", TOTAL),
        "applicable": applicable,
        "failures": failures,
        "signals": [row["signal"] for row in failures if row.get("signal")],
        "colour": colour,
        "checked_at": deal.health_checked_at,
    }

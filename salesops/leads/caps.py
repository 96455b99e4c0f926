"""Each rep's daily lead cap on the routing page (issue 13, item 4): who may see and
change which caps, the table's rows (today's routed leads against the cap), and the
change itself — written through org's audited ``user_update`` (a ``UserChange`` row),
after which every process rebuilds its routing snapshot.

Sales-ops admins and directors see every rep; a manager sees the reps of his subtree.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.org import selectors as org_selectors
from salesops.org import services as org_services
from salesops.org.models import Role, User

from . import routing
from .models import RoutingMember

MAX_CAP = 10_000


def org_default_cap() -> int:
    """The cap of a rep whose own cap is blank."""
    return routing._default_cap()


def can_see_caps(viewer) -> bool:
    return bool(
        viewer
        and viewer.is_authenticated
        and (viewer.is_admin_role or viewer.edits_everything or viewer.is_manager_role)
    )


def _scope(viewer) -> list[int] | None:
    """User ids whose cap ``viewer`` may change; ``None`` for everyone."""
    if not can_see_caps(viewer):
        raise PermissionDenied(_("Only sales-ops admins, directors and managers see the caps."))
    if viewer.is_admin_role or viewer.edits_everything:
        return None
    return org_selectors.subordinate_ids(viewer)


def cap_users(viewer, q: str = ""):
    """The active reps, and anyone else in a routing rule's list of reps, whose cap
    ``viewer`` may see: by name, searchable by name or username."""
    in_pools = RoutingMember.objects.values("user_id")
    qs = User.objects.filter(is_active=True).filter(Q(role=Role.REP) | Q(pk__in=in_pools))
    ids = _scope(viewer)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(display_name__icontains=q)
            | Q(username__icontains=q)
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
        )
    return qs.select_related("team").order_by("display_name", "username", "pk")


@dataclass
class CapRow:
    user: User
    today: int
    cap: int | None  # the rep's own cap; None: the organisation's default
    effective: int
    rules: list[str]

    @property
    def full(self) -> bool:
        return self.today >= self.effective


def cap_rows(users) -> list[CapRow]:
    """One row per user of a page of :func:`cap_users` (two queries)."""
    users = list(users)
    ids = [u.pk for u in users]
    counts = routing.counts_today(clock.today(), ids)
    rules: dict[int, list[str]] = {}
    members = (
        RoutingMember.objects.filter(user_id__in=ids)
        .select_related("rule")
        .order_by("rule__priority", "rule_id")
    )
    for member in members:
        rules.setdefault(member.user_id, []).append(member.rule.name)
    default = org_default_cap()
    return [
        CapRow(
            user=u,
            today=counts.get(u.pk, 0),
            cap=u.daily_lead_cap,
            effective=default if u.daily_lead_cap is None else u.daily_lead_cap,
            rules=rules.get(u.pk, []),
        )
        for u in users
    ]


def parse_cap(value) -> int | None:
    """A cap as typed: blank → ``None`` (the organisation's default), else 0–MAX_CAP."""
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    try:
        cap = int(text)
    except ValueError:
        cap = -1
    if not 0 <= cap <= MAX_CAP:
        raise ValidationError(
            {
                "daily_lead_cap": _(
                    "Daily lead cap: enter a whole number from 0 to %(max)d, or leave it "
                    "blank for the organisation's default (%(default)d)."
                )
                % {"max": MAX_CAP, "default": org_default_cap()}
            }
        )
    return cap


@transaction.atomic
def rep_cap_set(*, actor, user: User, cap) -> User:
    """Set ``user``'s daily lead cap (blank: the default), audited as a ``UserChange``
    by org's ``user_update``; routing uses it from the next lead on."""
    ids = _scope(actor)
    if ids is not None and user.pk not in ids:
        raise PermissionDenied(_("You can change the caps of your own team's reps only."))
    value = parse_cap(cap)
    if value == user.daily_lead_cap:
        return user
    user = org_services.user_update(actor=actor, user=user, daily_lead_cap=value)
    routing.invalidate()  # the snapshot holds the caps: every process re-reads them
    return user

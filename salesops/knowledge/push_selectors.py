"""Reads about pushes (SPEC N4): who sees which, the open count for the menu badge, the
team view's per-rep states, and the "script-tips pack" a rule pushes (scripts matched to
the recipient's customer types).

Visibility: the recipient sees their own pushes; a manager sees those of their team
subtree (and their direct reports); directors and sales-ops admins see all. Nobody else
(finance, customer success) sees another person's pushes.
"""

from __future__ import annotations

from collections import Counter

from django.db.models import Count, Q
from django.http import Http404

from salesops.customers.models import Account
from salesops.leads.models import OPEN_STATUSES, Lead
from salesops.org.models import Role, User
from salesops.org.selectors import subordinate_ids

from .models import Kind, KnowledgeItem, Push


def sees_all(user) -> bool:
    return bool(user.is_superuser or user.role in (Role.DIRECTOR, Role.ADMIN))


def may_see_team(user) -> bool:
    """Who has a "team pushes" page: managers, directors, admins."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return sees_all(user) or user.is_manager_role


def visible_pushes(user):
    if user is None or not user.is_authenticated or not user.is_active:
        return Push.objects.none()
    if sees_all(user):
        return Push.objects.all()
    if user.is_manager_role:
        return Push.objects.filter(user_id__in=subordinate_ids(user))
    return Push.objects.filter(user_id=user.pk)


def my_pushes(user):
    return (
        Push.objects.filter(user_id=user.pk)
        .select_related("item")
        .order_by("closed_at", "-created_at", "-id")
    )


def push_for(user, pk: int) -> Push:
    """A push ``user`` may see, or 404 (another person's push does not exist for them)."""
    push = visible_pushes(user).select_related("item", "user").filter(pk=pk).first()
    if push is None:
        raise Http404
    return push


def open_count(user) -> int:
    """The menu badge: the user's pushes not closed yet (index: user, closed_at). Counted
    once per request (the user object lives as long as the request)."""
    cached = getattr(user, "_open_push_count", None)
    if cached is None:
        cached = Push.objects.filter(user_id=user.pk, closed_at__isnull=True).count()
        user._open_push_count = cached
    return cached


def team_pushes(user, *, rep_id: int | None = None):
    qs = visible_pushes(user).exclude(user_id=user.pk).select_related("item", "user")
    if rep_id:
        qs = qs.filter(user_id=rep_id)
    return qs.order_by("-created_at", "-id")


def team_summary(user) -> list[dict]:
    """Per person whose pushes ``user`` sees (not their own): how many pushes were
    delivered, read, given a study note (of those that need one) and closed. One grouped
    query, then the names."""
    rows = (
        visible_pushes(user)
        .exclude(user_id=user.pk)
        .values("user_id")
        .annotate(
            delivered=Count("pk", filter=Q(delivered_at__isnull=False)),
            read=Count("pk", filter=Q(read_at__isnull=False)),
            needs_note=Count("pk", filter=Q(requires_note=True)),
            noted=Count("pk", filter=Q(note_at__isnull=False)),
            closed=Count("pk", filter=Q(closed_at__isnull=False)),
            total=Count("pk"),
        )
        .order_by()
    )
    rows = list(rows)
    people = User.objects.in_bulk([r["user_id"] for r in rows])
    for row in rows:
        row["user"] = people.get(row["user_id"])
        row["open"] = row["total"] - row["closed"]
    rows.sort(key=lambda r: (-r["open"], str(r["user"])))
    return rows


# --- packs --------------------------------------------------------------------------------
def customer_types(user) -> list[str]:
    """The industries of the user's own accounts and open leads, most frequent first."""
    counter: Counter = Counter()
    for industry, n in (
        Account.objects.filter(owner_id=user.pk)
        .exclude(industry="")
        .values("industry")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("industry", "n")
    ):
        counter[industry] += n
    for industry, n in (
        Lead.objects.filter(owner_id=user.pk, status__in=OPEN_STATUSES)
        .exclude(industry="")
        .values("industry")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("industry", "n")
    ):
        counter[industry] += n
    return [code for code, _n in counter.most_common()]


def active_scripts(tag: str = "") -> list[tuple[int, list[str]]]:
    """``(id, customer types)`` of the active scripts (with ``tag`` when given), newest
    first."""
    qs = KnowledgeItem.objects.filter(is_active=True, kind=Kind.SCRIPT)
    if tag:
        qs = qs.filter(tags__code=tag)
    return [
        (pk, list(types or []))
        for pk, types in qs.order_by("-updated_at", "-id").values_list("pk", "customer_types")
    ]


def pack_for(user, size: int, *, tag: str = "", scripts=None) -> list[int]:
    """The ids of the ``size`` scripts best matched to ``user``'s customer types: a
    script written for more of the user's industries (weighted by how many accounts and
    leads they have in it) comes first; general scripts (no customer type) come after
    the matched ones; newest first among equals. ``scripts`` (from
    :func:`active_scripts`) lets a sweep read the scripts once for every recipient."""
    scripts = active_scripts(tag) if scripts is None else scripts
    mine = customer_types(user)
    weight = {code: len(mine) - i for i, code in enumerate(mine)}
    scored = []
    for order, (pk, types) in enumerate(scripts):
        if types:
            score = sum(weight.get(code, 0) for code in types)
            if score == 0:
                continue  # written for other customers
        else:
            score = 0
        scored.append((-score, order, pk))
    scored.sort()
    return [pk for _s, _o, pk in scored[:size]]

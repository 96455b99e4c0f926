"""Reads of the knowledge base: the filtered search (the page, the API), pain-point
matching (the check-in fragment, the API) and the searches made for an account (the visit
snapshot). Ranking is :mod:`.search`; this module adds visibility, filters and records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from salesops.core import clock

from . import search
from .models import Channel, KnowledgeItem, KnowledgePolicy, KnowledgeUsage, UsageAction

# A rep typing "设备停" then "设备停机" is one search, not two (match fragment).
SEARCH_MERGE_SECONDS = 120


@dataclass(frozen=True)
class Filters:
    kind: str = ""
    tag: int | None = None
    channel: str = ""
    customer_type: str = ""

    def keep(self, doc: search.Doc) -> bool:
        if self.kind and doc.kind != self.kind:
            return False
        if self.tag is not None and self.tag not in doc.tag_ids:
            return False
        if (
            self.channel
            and self.channel != Channel.ANY
            and doc.channel
            not in (
                self.channel,
                Channel.ANY,
            )
        ):
            return False
        if (
            self.customer_type
            and doc.customer_types
            and (self.customer_type not in doc.customer_types)
        ):
            return False
        return True

    def queryset(self, queryset):
        if self.kind:
            queryset = queryset.filter(kind=self.kind)
        if self.tag is not None:
            queryset = queryset.filter(tags=self.tag)
        if self.channel and self.channel != Channel.ANY:
            queryset = queryset.filter(channel__in=(self.channel, Channel.ANY))
        if self.customer_type:
            # JSON "contains" is not on SQLite: the codes are read and checked here.
            ids = [
                pk
                for pk, types in queryset.values_list("id", "customer_types")
                if not types or self.customer_type in types
            ]
            queryset = queryset.filter(id__in=ids)
        return queryset


@dataclass
class Hit:
    item: KnowledgeItem
    percent: int
    score: float


def items(user):
    return KnowledgeItem.objects.visible_to(user).prefetch_related("tags")


def _hits(user, ranked) -> list[Hit]:
    found = items(user).in_bulk([doc.id for doc, _score, _pct in ranked])
    return [Hit(found[doc.id], percent, score) for doc, score, percent in ranked if doc.id in found]


def ranked_ids(query: str, filters: Filters) -> list[tuple[int, int]]:
    """(item id, percentage) of every active item matching ``query``, best first."""
    return [(doc.id, pct) for doc, _s, pct in search.index().rank(query, filters.keep)]


def search_items(user, *, query: str = "", filters: Filters | None = None, inactive=False):
    """The items for the list page: ranked by ``query`` when there is one (a list of
    (id, percentage)), else the filtered queryset, newest first."""
    filters = filters or Filters()
    if query.strip():
        return ranked_ids(query, filters)
    queryset = filters.queryset(items(user))
    if not inactive:
        queryset = queryset.filter(is_active=True)
    return queryset.select_related("author")


def _industry(lead, account, deal) -> str:
    for record in (lead, account, getattr(deal, "account", None)):
        if record is not None and record.industry:
            return record.industry
    return ""


def check_visible(user, *, lead=None, account=None, deal=None) -> None:
    from salesops.customers.models import Account
    from salesops.leads.models import Lead
    from salesops.pipeline.models import Deal

    for model, record in ((Lead, lead), (Account, account), (Deal, deal)):
        if record is not None and not model.objects.visible_to(user).filter(pk=record.pk).exists():
            raise PermissionDenied(_("You cannot see this record."))


def match(text: str, user, limit: int = 5, *, lead=None, account=None, deal=None, channel=""):
    """The ``limit`` items that best answer the pain point ``text``, with a match
    percentage (see :mod:`.search`), at least the settings' smallest one. Scripts written for other customer types than the
    lead's/account's industry, or for another channel, are left out."""
    check_visible(user, lead=lead, account=account, deal=deal)
    filters = Filters(channel=channel, customer_type=_industry(lead, account, deal))
    floor = KnowledgePolicy.current().match_min_percent
    ranked = search.index().rank(text or "", filters.keep, limit=limit)
    return _hits(user, [entry for entry in ranked if entry[2] >= floor])


def record_search(user, query: str, *, lead=None, account=None, deal=None) -> KnowledgeUsage:
    """Record a search (with its text, for the visit snapshot). A search that extends
    the user's previous one within two minutes replaces it (typing, not a new search)."""
    query = (query or "").strip()[:500]
    account = account or getattr(deal, "account", None) or getattr(lead, "account", None)
    since = clock.now() - dt.timedelta(seconds=SEARCH_MERGE_SECONDS)
    last = (
        KnowledgeUsage.objects.filter(user=user, action=UsageAction.SEARCHED, at__gte=since)
        .order_by("-at", "-id")
        .first()
    )
    links = {"lead": lead, "account": account, "deal": deal}
    if (
        last is not None
        and (last.lead, last.account, last.deal) == (lead, account, deal)
        and (query.startswith(last.query) or last.query.startswith(query))
    ):
        last.query = query if len(query) >= len(last.query) else last.query
        last.at = clock.now()
        last.save(update_fields=["query", "at"])
        return last
    return KnowledgeUsage.objects.create(
        user=user, action=UsageAction.SEARCHED, query=query, at=clock.now(), **links
    )


def searches_for_account(user, account, *, days: int = 30, limit: int = 20):
    """The knowledge searches made for ``account`` (or its leads and deals) in the last
    ``days``, newest first, as far as ``user`` may see the people who made them."""
    since = clock.now() - dt.timedelta(days=days)
    return (
        KnowledgeUsage.objects.visible_to(user)
        .filter(action=UsageAction.SEARCHED, at__gte=since)
        .filter(Q(account=account) | Q(deal__account=account) | Q(lead__account=account))
        .select_related("user")
        .order_by("-at", "-id")[:limit]
    )


def usage_counts(item: KnowledgeItem) -> dict[str, int]:
    counts = {action: 0 for action in UsageAction.values}
    rows = item.usages.values("action").order_by().annotate(n=Count("id"))
    for action, n in rows.values_list("action", "n"):
        counts[action] = n
    return counts

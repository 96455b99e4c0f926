"""Duplicate detection on intake (SPEC L4).

A new inquiry is compared with open leads, accounts and contacts by

* phone — normalised to E.164 first, so ``138 0013 8000`` and ``+86-13800138000`` match;
* unified social credit code — checksum-validated and upper-cased first;
* company name — a normalised key (no legal-form suffix, region prefix, punctuation or
  spaces) compared with rapidfuzz; candidates are read by the key's first two characters
  from an index, so the cost does not grow with the number of accounts.

Phone and credit code are certain. A name scoring at least ``DEDUP_NAME_CERTAIN`` is
certain too; between ``DEDUP_NAME_REVIEW`` and that it is uncertain and the new lead is
flagged for review instead of attached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from rapidfuzz import fuzz

from salesops.core.names import company_key

from .models import OPEN_STATUSES, Lead, MatchKind


def similarity(a: str, b: str) -> int:
    """0–100 similarity of two company keys."""
    if not a or not b:
        return 0
    return int(round(fuzz.ratio(a, b)))


@dataclass
class Match:
    kind: str  # MatchKind
    record: Any  # Lead, Account or Contact
    score: int
    certain: bool

    @property
    def entity(self) -> str:
        return self.record._meta.model_name


def thresholds() -> tuple[int, int]:
    conf = settings.SALESOPS
    return int(conf["DEDUP_NAME_CERTAIN"]), int(conf["DEDUP_NAME_REVIEW"])


def _best_by_name(key: str, rows, certain: int, review: int):
    best = None
    for record, other in rows:
        score = similarity(key, other)
        if score >= review and (best is None or score > best[1]):
            best = (record, score)
    if best is None:
        return None
    record, score = best
    return Match(MatchKind.COMPANY, record, score, score >= certain)


def find_matches(*, phone: str = "", credit_code: str = "", company: str = "", exclude=None):
    """Every match of an inquiry, certain ones first (phone, credit code, then name).
    ``phone`` and ``credit_code`` must already be normalised."""
    from salesops.customers.models import Account, Contact

    certain, review = thresholds()
    matches: list[Match] = []
    open_leads = Lead.objects.filter(status__in=OPEN_STATUSES).select_related("owner")
    if exclude is not None:
        open_leads = open_leads.exclude(pk=exclude)
    if phone:
        lead = open_leads.filter(phone=phone).order_by("created_at").first()
        if lead:
            matches.append(Match(MatchKind.PHONE, lead, 100, True))
        else:
            contact = Contact.objects.filter(phone=phone).select_related("account__owner").first()
            if contact:
                matches.append(Match(MatchKind.PHONE, contact, 100, True))
    if credit_code:
        lead = open_leads.filter(credit_code=credit_code).order_by("created_at").first()
        if lead:
            matches.append(Match(MatchKind.CREDIT_CODE, lead, 100, True))
        else:
            account = Account.objects.filter(credit_code=credit_code).select_related("owner")
            account = account.first()
            if account:
                matches.append(Match(MatchKind.CREDIT_CODE, account, 100, True))
    key = company_key(company)
    if len(key) >= 2:
        prefix = key[:2]
        leads = open_leads.filter(company_prefix=prefix).only(
            "id", "company", "company_key", "owner", "status", "team"
        )[:200]
        match = _best_by_name(key, ((lead, lead.company_key) for lead in leads), certain, review)
        if match is None:
            accounts = Account.objects.filter(name_prefix=prefix).select_related("owner")
            match = _best_by_name(key, ((a, a.name_key) for a in accounts[:200]), certain, review)
        if match is not None:
            matches.append(match)
    return matches


def decide(matches: list[Match]):
    """What to do with an inquiry given its matches: ``("attach", lead_match)`` for a
    certain match with an open lead, ``("customer", match)`` for a certain match with an
    account or contact, ``("review", match)`` for an uncertain one, else ``("new", None)``."""
    for match in matches:
        if match.certain and isinstance(match.record, Lead):
            return "attach", match
    for match in matches:
        if match.certain:
            return "customer", match
    for match in matches:
        return "review", match
    return "new", None

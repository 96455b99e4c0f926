"""Who wrote a message, and what it is about.

:func:`match_sender` finds the customer behind a sender: a known WeCom/DingTalk id
(``ContactHandle``), an email address or a phone number of a contact, then an open lead
with that phone or email; a phone number written in the body counts too. :func:`tag`
picks the scenario from the active keyword rules (highest priority first, the earliest
keyword in the text breaking a tie within a rule)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection

from salesops.core.validators import normalize_phone
from salesops.customers.models import Account, Contact
from salesops.leads.models import OPEN_STATUSES, Lead

from .models import ContactHandle, MatchedBy, Scenario, ScenarioRule, SourceKind

# Chinese mobiles (with or without +86 and separators) and landlines with an area code.
PHONE_RE = re.compile(
    r"(?<!\d)(?:\+?86[\s-]?)?(?:1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|0\d{2,3}-\d{7,8})(?!\d)"
)
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
COMPANY_RE = re.compile(
    r"([\u4e00-\u9fa5A-Za-z0-9（）()]{2,40}?(?:有限责任公司|股份有限公司|有限公司|集团|公司|研究院|医院|学校|大学))"
    r"|([A-Z][\w&.\- ]{1,60}?(?:Co\., Ltd\.?|Ltd\.?|Inc\.?|GmbH|LLC|Corp\.?|Group))"
)


@dataclass
class SenderMatch:
    """Who wrote, by ids (the hot path reads no whole rows): the contact and its account
    and owner, or an open lead and its owner."""

    contact_id: int | None = None
    account_id: int | None = None
    lead_id: int | None = None
    owner_id: int | None = None
    matched_by: str = MatchedBy.NONE
    phone: str = ""  # the normalised phone found (address or body), for a new lead
    email: str = ""

    @classmethod
    def of_contact(cls, contact, matched_by: str = MatchedBy.MANUAL) -> SenderMatch:
        return cls(
            contact_id=contact.pk,
            account_id=contact.account_id,
            owner_id=contact.account.owner_id,
            matched_by=matched_by,
        )


def phone_of(text: str) -> str:
    """The first phone number in ``text``, normalised (E.164), or ''."""
    for found in PHONE_RE.finditer(text or ""):
        try:
            return normalize_phone(found.group(0))
        except ValidationError:
            continue
    return ""


def email_of(text: str) -> str:
    found = EMAIL_RE.search(text or "")
    if not found:
        return ""
    try:
        validate_email(found.group(0))
    except ValidationError:
        return ""
    return found.group(0).lower()


# What people write before their company's name: "我们是…", "我司…", "来自…".
INTRO_RE = re.compile(r"^.*?(?:我们是|我是|这里是|我司是|我司|来自|我们|本公司)")


def company_of(text: str) -> str:
    found = COMPANY_RE.search(text or "")
    if not found:
        return ""
    name = (found.group(1) or found.group(2) or "").strip()
    trimmed = INTRO_RE.sub("", name)
    return (trimmed if len(trimmed) >= 4 else name)[:200]


@functools.lru_cache(maxsize=16)
def _sender_statement(vendor: str, handle: bool, email: bool, phone: bool) -> str:
    """One statement for every way a sender may be known (``UNION ALL`` of lookups, each
    row ``(rank, contact id, account id, lead id, owner id)``; the lowest rank wins): a
    WeCom/DingTalk id, a contact's email, a contact's phone, an open lead's phone or
    email. Every inbound message runs it, so it is plain SQL, as the lead intake's
    de-duplication is (building the querysets cost more than the lookups); names come
    from the models' metadata."""
    q = connection.ops.quote_name

    def col(model, name: str) -> str:
        return q(model._meta.get_field(name).column)

    contact, account, lead = (q(m._meta.db_table) for m in (Contact, Account, Lead))
    # Typed: PostgreSQL takes a bare NULL in a sub-select for text, which no id column is.
    null = "CAST(NULL AS BIGINT)"
    handles = q(ContactHandle._meta.db_table)
    contact_cols = (
        f"{contact}.{col(Contact, 'id')}, {contact}.{col(Contact, 'account')}, {null}, "
        f"{account}.{col(Account, 'owner')}"
    )
    joined = (
        f"{contact} JOIN {account} ON {account}.{col(Account, 'id')} = "
        f"{contact}.{col(Contact, 'account')}"
    )
    open_leads = f"{col(Lead, 'status')} IN ({', '.join(['%s'] * len(OPEN_STATUSES))})"
    parts = []
    if handle:
        parts.append(
            f"SELECT * FROM (SELECT 0, {contact_cols} FROM {handles} JOIN {contact} "
            f"ON {contact}.{col(Contact, 'id')} = {handles}.{col(ContactHandle, 'contact')} "
            f"JOIN {account} ON {account}.{col(Account, 'id')} = "
            f"{contact}.{col(Contact, 'account')} WHERE {handles}.{col(ContactHandle, 'kind')} = %s "
            f"AND {handles}.{col(ContactHandle, 'value')} = %s LIMIT 1) AS by_handle"
        )
    if email:
        parts.append(
            f"SELECT * FROM (SELECT 1, {contact_cols} FROM {joined} "
            f"WHERE LOWER({contact}.{col(Contact, 'email')}) = %s "
            f"ORDER BY {contact}.{col(Contact, 'id')} LIMIT 1) AS by_email"
        )
    if phone:
        parts.append(
            f"SELECT * FROM (SELECT 2, {contact_cols} FROM {joined} "
            f"WHERE {contact}.{col(Contact, 'phone')} = %s LIMIT 1) AS by_phone"
        )
    for rank, (wanted, field) in enumerate(((phone, "phone"), (email, "email")), start=3):
        if wanted:
            value = col(Lead, field) if field == "phone" else f"LOWER({col(Lead, field)})"
            parts.append(
                f"SELECT * FROM (SELECT {rank}, {null}, {null}, {col(Lead, 'id')}, "
                f"{col(Lead, 'owner')} FROM {lead} WHERE {value} = %s AND {open_leads} "
                f"ORDER BY {col(Lead, 'id')} DESC LIMIT 1) AS lead_{field}"
            )
    return " UNION ALL ".join(parts)


RANKS = (MatchedBy.HANDLE, MatchedBy.EMAIL, MatchedBy.PHONE, MatchedBy.LEAD, MatchedBy.LEAD)


def match_sender(kind: str, address: str, body: str = "") -> SenderMatch:
    address = (address or "").strip()
    result = SenderMatch()
    handle = kind in (SourceKind.WECOM, SourceKind.DINGTALK) and bool(address)
    result.email = email_of(address) if "@" in address else ""
    result.phone = phone_of(address) or phone_of(body)
    if not (handle or result.email or result.phone):
        return result
    statuses = [str(s) for s in OPEN_STATUSES]
    params: list = []
    if handle:
        params += [kind, address]
    if result.email:
        params.append(result.email)
    if result.phone:
        params.append(result.phone)
    if result.phone:
        params += [result.phone, *statuses]
    if result.email:
        params += [result.email, *statuses]
    sql = _sender_statement(connection.vendor, handle, bool(result.email), bool(result.phone))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if rows:
        rank, result.contact_id, result.account_id, result.lead_id, result.owner_id = min(rows)
        result.matched_by = RANKS[rank]
    return result


@dataclass(frozen=True)
class Tag:
    scenario: str
    keyword: str = ""
    rule_id: int | None = None


def active_rules() -> list[tuple[int, str, int, list[str]]]:
    return [
        (r.pk, r.scenario, r.priority, [k.lower() for k in r.keyword_list()])
        for r in ScenarioRule.objects.filter(is_active=True).order_by("-priority", "id")
    ]


def tag(subject: str, body: str, rules=None) -> Tag:
    """The scenario of the highest-priority rule with a keyword in the text; "other"
    when none matches."""
    text = f"{subject or ''}\n{body or ''}".lower()
    rules = active_rules() if rules is None else rules
    best: tuple | None = None
    for rule_id, scenario, priority, keywords in rules:
        if best is not None and priority < best[0]:
            break
        for keyword in keywords:
            at = text.find(keyword)
            if at >= 0 and (best is None or at < best[1]):
                best = (priority, at, scenario, keyword, rule_id)
    if best is None:
        return Tag(Scenario.OTHER)
    return Tag(best[2], best[3], best[4])

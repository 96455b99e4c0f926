"""Who wrote a message, and what it is about.

:func:`match_sender` finds the customer behind a sender: a known WeCom/DingTalk id
(``ContactHandle``), an email address or a phone number of a contact, then an open lead
with that phone or email; a phone number written in the body counts too. :func:`tag`
picks the scenario from the active keyword rules (highest priority first, the earliest
keyword in the text breaking a tie within a rule)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from salesops.core.validators import normalize_phone
from salesops.customers.models import Contact
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
    contact: Contact | None = None
    lead: Lead | None = None
    matched_by: str = MatchedBy.NONE
    phone: str = ""  # the normalised phone found (address or body), for a new lead
    email: str = ""

    @property
    def account(self):
        return self.contact.account if self.contact is not None else None

    @property
    def owner(self):
        if self.contact is not None:
            return self.contact.account.owner
        if self.lead is not None:
            return self.lead.owner
        return None


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


def _contacts():
    return Contact.objects.select_related("account", "account__owner")


def _lead(**lookup) -> Lead | None:
    return (
        Lead.objects.filter(status__in=OPEN_STATUSES, **lookup)
        .select_related("owner")
        .order_by("-id")
        .first()
    )


def match_sender(kind: str, address: str, body: str = "") -> SenderMatch:
    address = (address or "").strip()
    result = SenderMatch()
    if kind in (SourceKind.WECOM, SourceKind.DINGTALK) and address:
        handle = (
            ContactHandle.objects.filter(kind=kind, value=address)
            .select_related("contact__account__owner")
            .first()
        )
        if handle is not None:
            return SenderMatch(contact=handle.contact, matched_by=MatchedBy.HANDLE)
    result.email = email_of(address) if "@" in address else ""
    result.phone = phone_of(address) or phone_of(body)
    if result.email:
        contact = _contacts().filter(email__iexact=result.email).order_by("id").first()
        if contact is not None:
            result.contact, result.matched_by = contact, MatchedBy.EMAIL
            return result
    if result.phone:
        contact = _contacts().filter(phone=result.phone).first()
        if contact is not None:
            result.contact, result.matched_by = contact, MatchedBy.PHONE
            return result
    lead = None
    if result.phone:
        lead = _lead(phone=result.phone)
    if lead is None and result.email:
        lead = _lead(email__iexact=result.email)
    if lead is not None:
        result.lead, result.matched_by = lead, MatchedBy.LEAD
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

"""Script placeholders: a small fixed vocabulary, each with a Chinese and an English name
(``{{客户名称}}`` and ``{{company}}`` are the same slot), filled from a lead, a deal or an
account the reader may see.

Why a fixed vocabulary rather than any field name: an author sees at once when a
placeholder is misspelt (the save is refused, naming it), and the rendering never reaches
into a field the rep may not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesops.core import choices, clock
from salesops.core.money import format_cny

PATTERN = re.compile(r"\{\{\s*([^{}]{1,40}?)\s*\}\}")


@dataclass(frozen=True)
class Placeholder:
    key: str
    zh: str
    label: str  # lazy, shown in the help text of the form


VOCABULARY: tuple[Placeholder, ...] = (
    Placeholder("company", "客户名称", gettext_lazy("the customer's company name")),
    Placeholder("contact_name", "联系人", gettext_lazy("the contact's name")),
    Placeholder("rep_name", "销售姓名", gettext_lazy("your name")),
    Placeholder("rep_phone", "销售电话", gettext_lazy("your phone")),
    Placeholder("product", "产品", gettext_lazy("the product line")),
    Placeholder("deal_name", "商机名称", gettext_lazy("the deal's name")),
    Placeholder("deal_amount", "商机金额", gettext_lazy("the deal's amount")),
    Placeholder("city", "城市", gettext_lazy("the customer's city")),
    Placeholder("industry", "行业", gettext_lazy("the customer's industry")),
    Placeholder("today", "今天", gettext_lazy("today's date")),
)
BY_NAME: dict[str, Placeholder] = {
    **{p.key: p for p in VOCABULARY},
    **{p.zh: p for p in VOCABULARY},
}


def names_in(text: str) -> list[str]:
    """Every placeholder name written in ``text``, in order, once each."""
    return list(dict.fromkeys(m.group(1) for m in PATTERN.finditer(text or "")))


def unknown_in(*texts: str) -> list[str]:
    """The placeholder names in ``texts`` that are not in the vocabulary."""
    found: list[str] = []
    for text in texts:
        found.extend(names_in(text))
    return [name for name in dict.fromkeys(found) if name not in BY_NAME]


def vocabulary_text() -> str:
    """ "{{客户名称}} / {{company}}, …" for help texts and error messages."""
    return ", ".join(f"{{{{{p.zh}}}}} / {{{{{p.key}}}}}" for p in VOCABULARY)


def _visible(model, record, user):
    if record is not None and not model.objects.visible_to(user).filter(pk=record.pk).exists():
        raise PermissionDenied(_("You may not use this record to fill a script."))
    return record


def context_for(*, user, lead=None, deal=None, account=None) -> dict[str, str]:
    """The values of the vocabulary for the given records, each checked against what
    ``user`` may see (PermissionDenied otherwise). A deal brings its account; a lead its
    own company. Missing values are left out (the placeholder stays visible)."""
    from salesops.customers.models import Account
    from salesops.leads.models import Lead
    from salesops.pipeline.models import Deal

    _visible(Lead, lead, user)
    _visible(Deal, deal, user)
    _visible(Account, account, user)
    values: dict[str, str] = {
        "rep_name": str(user),
        "rep_phone": getattr(user, "phone", "") or "",
        "today": clock.now().date().isoformat(),
    }
    if deal is not None:
        account = account or deal.account
        values["deal_name"] = deal.name
        if deal.amount is not None:
            values["deal_amount"] = format_cny(deal.amount)
        if deal.product_line:
            values["product"] = choices.label(choices.PRODUCT_LINE, deal.product_line)
        contact = deal.contacts.order_by("pk").first()
        if contact is not None:
            values["contact_name"] = contact.name
    if account is not None:
        values["company"] = account.name
        values.setdefault("city", account.city)
        values["industry"] = choices.label(choices.INDUSTRY, account.industry)
        if "contact_name" not in values:
            contact = account.contacts.order_by("pk").first()
            if contact is not None:
                values["contact_name"] = contact.name
    if lead is not None:
        values.setdefault("company", lead.company)
        values.setdefault("contact_name", lead.contact_name)
        values.setdefault("city", lead.city)
        if lead.industry:
            values.setdefault("industry", choices.label(choices.INDUSTRY, lead.industry))
        if lead.product_line:
            values.setdefault("product", choices.label(choices.PRODUCT_LINE, lead.product_line))
    return {key: value for key, value in values.items() if value}


def render(text: str, values: dict[str, str]) -> str:
    """``text`` with each known placeholder replaced by its value; one without a value
    stays as written, in the reader's language, so the rep sees what to fill in."""
    zh = (translation.get_language() or "zh-hans").lower().startswith("zh")

    def replace(match: re.Match) -> str:
        placeholder = BY_NAME.get(match.group(1))
        if placeholder is None:
            return match.group(0)
        value = values.get(placeholder.key)
        if value:
            return value
        return "{{%s}}" % (placeholder.zh if zh else placeholder.key)

    return PATTERN.sub(replace, text or "")

"""Reads of accounts and contacts, always through visibility."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from salesops.core import choices
from salesops.core.names import company_key
from salesops.core.visibility import editable_owner_ids

from .filters import AccountFilterSet, ContactFilterSet
from .models import Account, Contact, DecisionRole


def account_list(*, user, filters: dict | None = None):
    """Accounts ``user`` may see, filtered; with the owner joined for lists."""
    qs = Account.objects.visible_to(user).select_related("owner")
    if filters:
        fs = AccountFilterSet(filters, queryset=qs)
        qs = fs.qs if fs.is_valid() else qs.none()
    return qs


def account_filterset(*, user, data):
    qs = Account.objects.visible_to(user).select_related("owner")
    return AccountFilterSet(data, queryset=qs)


def account_get(*, user, pk: int) -> Account:
    """One account ``user`` may see; raises ``Account.DoesNotExist`` otherwise (→ 404)."""
    return Account.objects.visible_to(user).select_related("owner", "created_by").get(pk=pk)


def account_get_for_edit(*, user, pk: int) -> Account:
    return Account.objects.editable_by(user).get(pk=pk)


def account_contacts(account: Account):
    return account.contacts.order_by("decision_role", "name")


# The decision chain from the person who signs to the people who use the product (the
# order of DecisionRole). "Other" is a contact whose role is not known: it is listed with
# the chain but reaches no role, so it cannot make a deal look healthier (SPEC D7: ≥3 roles).
CHAIN_ROLES = tuple(value for value, _label in DecisionRole.choices if value != DecisionRole.OTHER)


@dataclass(frozen=True)
class ChainLink:
    """One role of an account's decision chain and the contacts holding it."""

    role: str
    label: str
    contacts: tuple[Contact, ...]

    @property
    def reached(self) -> bool:
        return bool(self.contacts)


@dataclass(frozen=True)
class DecisionChain:
    """An account's contacts grouped by decision role, in chain order."""

    links: tuple[ChainLink, ...]
    others: tuple[Contact, ...]  # contacts without a known decision role

    @property
    def reached(self) -> int:
        """Distinct roles reached (as :func:`distinct_roles_reached` counts them)."""
        return sum(1 for link in self.links if link.reached)

    @property
    def total(self) -> int:
        return len(self.links)

    @property
    def missing(self) -> list[ChainLink]:
        return [link for link in self.links if not link.reached]


def decision_chain(account: Account) -> DecisionChain:
    """The account's contacts grouped by decision role in chain order (signatory first),
    every role listed whether reached or not. One query."""
    by_role: dict[str, list[Contact]] = {}
    for contact in account.contacts.order_by("name", "id"):
        by_role.setdefault(contact.decision_role or DecisionRole.OTHER, []).append(contact)
    links = tuple(
        ChainLink(role, choices.label(choices.DECISION_ROLE, role), tuple(by_role.pop(role, ())))
        for role in CHAIN_ROLES
    )
    # Whatever is left is "other" (or a role no longer offered): shown, never counted.
    others = tuple(contact for contacts in by_role.values() for contact in contacts)
    return DecisionChain(links=links, others=others)


def _reached_roles(queryset):
    return queryset.filter(decision_role__in=CHAIN_ROLES)


def distinct_roles_reached(account: Account) -> int:
    """How many distinct decision roles the account's contacts cover (≥3 is a healthy
    deal, SPEC D7). One COUNT(DISTINCT) query on the (account, role) index."""
    return _reached_roles(Contact.objects.filter(account=account)).aggregate(
        n=Count("decision_role", distinct=True)
    )["n"]


def distinct_roles_reached_by_account(account_ids) -> dict[int, int]:
    """:func:`distinct_roles_reached` for many accounts in one grouped query (a deal list
    or a health check over a pipeline); accounts without contacts are absent (0)."""
    rows = (
        _reached_roles(Contact.objects.filter(account_id__in=account_ids))
        .values("account_id")
        .annotate(n=Count("decision_role", distinct=True))
        .order_by()
    )
    return {row["account_id"]: row["n"] for row in rows}


def contact_list(*, user, filters: dict | None = None):
    qs = Contact.objects.visible_to(user).select_related("account", "account__owner")
    if filters:
        fs = ContactFilterSet(filters, queryset=qs)
        qs = fs.qs if fs.is_valid() else qs.none()
    return qs


def contact_filterset(*, user, data):
    qs = Contact.objects.visible_to(user).select_related("account", "account__owner")
    return ContactFilterSet(data, queryset=qs)


def contact_get(*, user, pk: int) -> Contact:
    return Contact.objects.visible_to(user).select_related("account", "account__owner").get(pk=pk)


def contact_get_for_edit(*, user, pk: int) -> Contact:
    return Contact.objects.editable_by(user).select_related("account").get(pk=pk)


def account_editable(*, user, account: Account) -> bool:
    """Whether ``user`` may change ``account``; no query beyond the (cached) team lookup."""
    ids = editable_owner_ids(user)
    return ids is None or account.owner_id in ids


def contact_editable(*, user, contact: Contact) -> bool:
    ids = editable_owner_ids(user)
    return ids is None or contact.account.owner_id in ids


def account_options(
    *, user, selected: int | None = None, q: str = "", limit: int = 100, accounts=None
):
    """Accounts ``user`` may add contacts to (or the ``accounts`` queryset given, e.g. the
    accounts after-sales work may be recorded for), for a picker: the first ``limit`` by
    name (matching ``q``), plus ``selected`` wherever it sorts. Returns
    ``(accounts, more)``, ``more`` telling whether the list was cut short."""
    base = Account.objects.editable_by(user) if accounts is None else accounts
    qs = base.only("id", "name").order_by("name", "id")
    if q.strip():
        qs = qs.filter(name__icontains=q.strip())
    options = list(qs[: limit + 1])
    more = len(options) > limit
    options = options[:limit]
    if selected and all(a.pk != selected for a in options):
        chosen = base.only("id", "name").filter(pk=selected).first()
        if chosen is not None:
            options.insert(0, chosen)
    return options, more


def account_provinces(*, user) -> list[str]:
    """The provinces of the accounts ``user`` sees, for the province filter."""
    return list(
        Account.objects.visible_to(user)
        .exclude(province="")
        .order_by("province")
        .values_list("province", flat=True)
        .distinct()
    )


def accounts_by_company_name(name: str, *, exclude=None):
    """Accounts whose normalised name equals that of ``name`` (``core.names.company_key``:
    no legal-form suffix, bracketed region or punctuation), oldest first. Not scoped by
    visibility: duplicate checks must find customers held by others. Reads the indexed
    two-character prefix first."""
    key = company_key(name)
    if len(key) < 2:
        return Account.objects.none()
    qs = Account.objects.filter(name_prefix=key[:2], name_key=key).order_by("created_at", "pk")
    return qs.exclude(pk=exclude) if exclude is not None else qs

"""Reads of accounts and contacts, always through visibility."""

from __future__ import annotations

from django.db.models import Count

from salesops.core.visibility import editable_owner_ids

from .filters import AccountFilterSet, ContactFilterSet
from .models import Account, Contact


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


def decision_chain(account: Account) -> dict:
    """Contacts grouped by decision role and the number of distinct roles reached."""
    rows = list(account.contacts.values("decision_role").annotate(n=Count("id")))
    return {"roles": {r["decision_role"]: r["n"] for r in rows}, "distinct": len(rows)}


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


def account_options(*, user, selected: int | None = None, q: str = "", limit: int = 100):
    """Accounts ``user`` may add contacts to, for a picker: the first ``limit`` by name
    (matching ``q``), plus ``selected`` wherever it sorts. Returns ``(accounts, more)``,
    ``more`` telling whether the list was cut short."""
    qs = Account.objects.editable_by(user).only("id", "name").order_by("name", "id")
    if q.strip():
        qs = qs.filter(name__icontains=q.strip())
    accounts = list(qs[: limit + 1])
    more = len(accounts) > limit
    accounts = accounts[:limit]
    if selected and all(a.pk != selected for a in accounts):
        chosen = Account.objects.editable_by(user).only("id", "name").filter(pk=selected).first()
        if chosen is not None:
            accounts.insert(0, chosen)
    return accounts, more


def account_provinces(*, user) -> list[str]:
    """The provinces of the accounts ``user`` sees, for the province filter."""
    return list(
        Account.objects.visible_to(user)
        .exclude(province="")
        .order_by("province")
        .values_list("province", flat=True)
        .distinct()
    )

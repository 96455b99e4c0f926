"""A reusable walk over every form page with pickers, checking they go through visibility.

Each :class:`PickerCase` is one request (a form page, new or edit; an htmx partial that
refreshes a picker; or a forged POST). :func:`picker_world` builds the records: for every
sales user of the test organisation an account, a contact, a contract, after-sales
records, a lead and a task, each named with its owner's username in brackets
(``Acct rep_b``). :func:`check_case` then asserts, for the user of the case:

* no record of an owner the user may not see appears in the answer (its ``[username]``
  marker is absent from the HTML);
* the pickers named by the case offer no foreign id (per kind: ``account``, ``contact``,
  ``user``, ``instalment``…) as an option value, and no foreign user by name;
* a forged POST is refused with an error on the named field (never a redirect or a 500),
  and nothing is written.

To cover a new form, add cases to the list in ``test_pickers.py`` (and, if it picks a
new kind of record, its ids to :func:`picker_world`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

from salesops.core.visibility import visible_owner_ids

#: The users who own records in the world (the actor of each case is one of them or a
#: manager/finance user from the standard test organisation).
OWNERS = ("rep_a", "rep_b", "rep_c", "rep_d", "cs")


@dataclass(frozen=True)
class PickerCase:
    """One request to a page with pickers. Strings are ``str.format``-ed with the world
    (``{own.account}`` is the id of the account the case's user owns,
    ``{foreign.account}`` one owned by someone they may not see)."""

    name: str
    url: str
    user: str = "rep_a"
    params: dict = field(default_factory=dict)
    #: Select name → kind of record it picks; each must be on the page (or, for a
    #: partial, the partial is the options of the one named here).
    pickers: dict = field(default_factory=dict)
    htmx: bool = False
    partial: bool = False
    #: A POST with a foreign id; ``error_field`` must carry the refusal.
    post: dict | None = None
    error_field: str | None = None
    form_key: str = "form"
    status: int = 200
    #: Extra foreign ids per kind beyond "owned by someone the user cannot see"
    #: (e.g. the instalments of another contract on a payment form).
    extra_foreign: Callable | None = None

    def __str__(self):
        return self.name


def _fmt(value, world):
    if isinstance(value, str):
        return value.format(own=world.own, foreign=world.foreign, w=world)
    return value


def picker_world(org):
    """The records of :data:`OWNERS`, and for each case user their own/foreign ids."""
    from salesops.aftersales.tests.factories import (
        make_complaint,
        make_nps,
        make_renewal,
        make_ticket,
    )
    from salesops.customers.tests.factories import make_account, make_contact
    from salesops.leads import services as lead_services
    from salesops.leads.tests.factories import lead_data
    from salesops.revenue.tests.factories import make_contract
    from salesops.todos import services as task_services

    ids: dict[str, dict[str, int]] = {}
    instalments: dict[str, list[int]] = {}

    def keep(kind, owner, pk):
        ids.setdefault(kind, {})[owner] = pk

    for name in OWNERS:
        user = getattr(org, name)
        account = make_account(user, name=f"Acct {name}")
        contact = make_contact(account, name=f"Ct[{name}]")
        contract = make_contract(account, number=f"HT[{name}]")
        keep("account", name, account.pk)
        keep("contact", name, contact.pk)
        keep("contract", name, contract.pk)
        instalments[name] = list(contract.instalments.values_list("pk", flat=True))
        keep("complaint", name, make_complaint(account, summary=f"Cp[{name}]").pk)
        keep("nps", name, make_nps(account, survey=f"Nps[{name}]").pk)
        keep("ticket", name, make_ticket(account, subject=f"Tk[{name}]").pk)
        keep("renewal", name, make_renewal(account, contract_number=f"RN[{name}]").pk)
        keep("user", name, user.pk)
        if name != "cs":
            lead = lead_services.quick_entry(
                actor=user, data=lead_data(contact_name=f"Ld[{name}]")
            ).lead
            keep("lead", name, lead.pk)
        task = task_services.task_create(actor=user, title=f"Task[{name}]", assignee=user)
        keep("task", name, task.pk)
    # Managers are users too: a rep must not be offered them unless they may pick them.
    for name in ("manager_east", "manager_sh", "manager_south"):
        keep("user", name, getattr(org, name).pk)
    return SimpleNamespace(org=org, ids=ids, instalments=instalments)


def _foreign_owners(world, user) -> set[str]:
    seen = visible_owner_ids(user)
    if seen is None:
        return set()
    seen = set(seen)
    return {name for name, pk in world.ids["user"].items() if pk not in seen}


def world_for(world, user_name: str):
    """``own`` (the first record the user owns, else one they see) and ``foreign`` (one
    owned by someone they may not see) per kind, and the foreign owners."""
    user = getattr(world.org, user_name)
    foreign_owners = _foreign_owners(world, user)
    own, foreign = {}, {}
    for kind, by_owner in world.ids.items():
        mine = by_owner.get(user_name)
        if mine is None:
            visible = [pk for name, pk in by_owner.items() if name not in foreign_owners]
            mine = visible[0] if visible else None
        own[kind] = mine
        theirs = [pk for name, pk in by_owner.items() if name in foreign_owners]
        foreign[kind] = theirs[0] if theirs else None
    return SimpleNamespace(
        org=world.org,
        user=user,
        ids=world.ids,
        instalments=world.instalments,
        own=SimpleNamespace(**own),
        foreign=SimpleNamespace(**foreign),
        foreign_owners=foreign_owners,
    )


_SELECT = re.compile(r"<select\b([^>]*)>(.*?)</select>", re.S | re.I)
_NAME = re.compile(r'\bname="([^"]+)"')
_OPTION = re.compile(r"<option\b([^>]*)>(.*?)</option>", re.S | re.I)
_VALUE = re.compile(r'\bvalue="([^"]*)"')


def _options(fragment: str) -> list[tuple[str, str]]:
    found = []
    for attrs, label in _OPTION.findall(fragment):
        value = _VALUE.search(attrs)
        found.append((html.unescape(value.group(1)) if value else "", html.unescape(label)))
    return found


def selects(body: str) -> dict[str, list[tuple[str, str]]]:
    """Every ``<select name=…>`` of a page and its ``(value, label)`` options."""
    found = {}
    for attrs, inner in _SELECT.findall(body):
        name = _NAME.search(attrs)
        if name:
            found[name.group(1)] = _options(inner)
    return found


_COUNTED = (
    ("salesops.aftersales.models", "Complaint"),
    ("salesops.aftersales.models", "NpsResponse"),
    ("salesops.aftersales.models", "ServiceTicket"),
    ("salesops.aftersales.models", "Renewal"),
    ("salesops.customers.models", "Account"),
    ("salesops.customers.models", "Contact"),
    ("salesops.todos.models", "Task"),
    ("salesops.revenue.models", "Payment"),
    ("salesops.leads.models", "Assignment"),
)


def _counts() -> dict[str, int]:
    import importlib

    return {
        name: getattr(importlib.import_module(module), name).objects.count()
        for module, name in _COUNTED
    }


def check_case(client, world, case: PickerCase) -> None:
    """Run one case as its user and assert nothing foreign is offered or accepted."""
    w = world_for(world, case.user)
    client.force_login(w.user)
    url = _fmt(case.url, w)
    params = {k: _fmt(v, w) for k, v in case.params.items()}
    headers = {"HX-Request": "true"} if case.htmx else {}
    if case.post is not None:
        data = {k: _fmt(v, w) for k, v in case.post.items()}
        before = _counts()
        query = "&".join(f"{k}={v}" for k, v in params.items())
        response = client.post(url + (f"?{query}" if query else ""), data, headers=headers)
        assert response.status_code in (200, 422), (case.name, response.status_code)
        assert _counts() == before, f"{case.name}: something was written"
        form = response.context[case.form_key]
        assert case.error_field in form.errors, (case.name, dict(form.errors))
    else:
        response = client.get(url, params, headers=headers)
        assert response.status_code == case.status, (case.name, response.status_code)
        if case.status != 200:
            return
    body = response.content.decode()
    for owner in w.foreign_owners:
        assert f"[{owner}]" not in body, f"{case.name}: a record of {owner} is on the page"
    foreign_ids = {
        kind: {str(pk) for name, pk in by_owner.items() if name in w.foreign_owners}
        for kind, by_owner in w.ids.items()
    }
    if case.extra_foreign is not None:
        for kind, extra in case.extra_foreign(w).items():
            foreign_ids.setdefault(kind, set()).update(str(pk) for pk in extra)
    # A complaint's handler may be any customer-success manager (they work complaints
    # handed over company-wide): a "handler" picker is a user picker that may offer them.
    cs_ids = {str(u.pk) for u in _customer_success(w)}
    foreign_ids["handler"] = foreign_ids["user"] - cs_ids
    foreign_names = {
        getattr(w.org, name).label for name in w.foreign_owners if name in world.ids["user"]
    }
    handler_names = foreign_names - {u.label for u in _customer_success(w)}
    if case.partial:
        ((name, kind),) = case.pickers.items()
        found = {name: _options(body)}
    else:
        found = selects(body)
    for name, kind in case.pickers.items():
        assert name in found, f"{case.name}: no picker {name!r} on the page"
        values = {value for value, _label in found[name]}
        leaked = values & foreign_ids.get(kind, set())
        assert not leaked, f"{case.name}: {name} offers foreign {kind} ids {sorted(leaked)}"
        if kind in ("user", "handler"):
            names = foreign_names if kind == "user" else handler_names
            labels = {label.strip() for _value, label in found[name]}
            assert not labels & names, f"{case.name}: {name} offers {labels & names}"


def _customer_success(w):
    from salesops.org.models import Role, User

    return list(User.objects.filter(role=Role.CUSTOMER_SUCCESS))

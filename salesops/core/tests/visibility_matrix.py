"""One visibility matrix for every app's API tests (CONVENTIONS rule 16).

``core/visibility.py`` decides who sees what; this module writes that rule down once, over
the standard test organisation (``build_org``)::

    company (director; admin, finance at company level)
    ├── East (manager_east) ── rep_a, rep_b, cs (customer success)
    │     └── Shanghai (manager_sh) ── rep_c
    └── South (manager_south) ── rep_d

and :func:`assert_matrix` checks one kind of record against it, for one role: the list
holds exactly the records the role may see (and counts them), a visible record opens
(200) and a hidden one is a 404 naming no one, an update and a delete land where the role
may write and leave the record untouched where it may not (404 when hidden, ``read_only``
when visible but not writable, e.g. finance). Each app's tests describe their endpoints
with :class:`Case` and call it::

    ACCOUNTS = Case(list="/api/v1/accounts", detail="/api/v1/accounts/{pk}",
                    update={"notes": "edited"}, delete=True, read_only=404)

    @pytest.mark.parametrize("role", ROLES)
    def test_accounts_matrix(org, role):
        records = {owner: make_account(getattr(org, owner)) for owner in ROLES}
        assert_matrix(ACCOUNTS, org=org, role=role, records=records)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.test import Client

from salesops.org.services import api_token_create

ROLES = (
    "rep_a",
    "rep_b",
    "rep_c",
    "rep_d",
    "manager_east",
    "manager_sh",
    "manager_south",
    "director",
    "admin",
    "finance",
    "cs",
)
EVERYONE = frozenset(ROLES)
# Whose records each role sees: reps and customer success their own; a manager the team
# subtree they manage (cs sits in East); director, admin and finance everything.
SEES: Mapping[str, frozenset[str]] = {
    "rep_a": frozenset({"rep_a"}),
    "rep_b": frozenset({"rep_b"}),
    "rep_c": frozenset({"rep_c"}),
    "rep_d": frozenset({"rep_d"}),
    "cs": frozenset({"cs"}),
    "manager_east": frozenset({"manager_east", "manager_sh", "rep_a", "rep_b", "rep_c", "cs"}),
    "manager_sh": frozenset({"manager_sh", "rep_c"}),
    "manager_south": frozenset({"manager_south", "rep_d"}),
    "director": EVERYONE,
    "admin": EVERYONE,
    "finance": EVERYONE,
}
# Records of customers (accounts with a signed contract) are in every customer-success
# manager's book (core.visibility): cs sees them whoever owns the account.
SEES_CUSTOMERS: Mapping[str, frozenset[str]] = {**SEES, "cs": EVERYONE}
# ... and finance reads everything but changes nothing.
EDITS: Mapping[str, frozenset[str]] = {**SEES, "finance": frozenset()}
# Where only some roles may use an endpoint at all (configuration: rules, bot channels),
# build the mapping with :func:`only`.
ERROR_CODES = {401: "unauthenticated", 403: "forbidden", 404: "not_found"}


def only(*roles: str) -> dict[str, frozenset[str]]:
    """``roles`` see (or change) every record; everyone else none."""
    return {role: EVERYONE if role in roles else frozenset() for role in ROLES}


def api_client(user) -> Client:
    """A client sending a fresh personal token of ``user``, as an integration would."""
    _, key = api_token_create(user=user, name="visibility matrix")
    return Client(headers={"Authorization": f"Bearer {key}"})


def _result_ids(body: Any) -> list[int]:
    rows = body["results"] if isinstance(body, dict) else body
    return [row["id"] for row in rows]


@dataclass(frozen=True)
class Case:
    """One kind of record over the API. URLs take ``{pk}``. ``update`` is the body sent
    with ``update_method`` to ``update_url`` (default: the detail URL, PATCH); whether it
    landed is ``changed(record)`` after a refresh (default: every field of ``update``
    holds the value sent). ``hidden`` is the status for a record the role may not see,
    ``read_only`` for one it sees but may not change."""

    list: str | None = None
    detail: str | None = None
    update: dict | None = None
    update_url: str | None = None
    update_method: str = "patch"
    updated: int = 200
    changed: Callable[[models.Model], bool] | None = None
    delete: bool = False
    deleted: int = 204
    hidden: int = 404
    read_only: int = 403
    list_params: dict = field(default_factory=lambda: {"page_size": 200})
    list_ids: Callable[[Any], list[int]] = _result_ids
    counted: bool = True  # the list body has a "count"

    def landed(self, record) -> bool:
        if self.changed is not None:
            return self.changed(record)
        return all(_same(getattr(record, key), value) for key, value in self.update.items())


def _same(stored, sent) -> bool:
    return stored == sent or str(stored) == str(sent)


def _check_error(response, status: int, where: str) -> None:
    assert response.status_code == status, (where, response.status_code, response.content)
    if status in ERROR_CODES and response.get("Content-Type", "").startswith("application/json"):
        body = response.json()  # the one error shape: code, message, field
        assert body["code"] == ERROR_CODES[status], (where, body)
        assert isinstance(body["message"], str) and body["message"].strip(), (where, body)
        assert body["field"] is None, (where, body)
        assert "changed_by" not in body  # an error names no one


def assert_matrix(
    case: Case,
    *,
    org,
    role: str,
    records: Mapping[str, models.Model],
    sees: Mapping[str, frozenset[str]] = SEES,
    edits: Mapping[str, frozenset[str]] | None = None,
    client: Client | None = None,
) -> None:
    """Check ``case`` for ``role`` over ``records`` (``{owner username: record}``, the
    record "owned" by that user as the app's visibility understands it)."""
    edits = EDITS if edits is None and sees is SEES else (edits or sees)
    client = client or api_client(getattr(org, role))
    visible = {owner for owner in records if owner in sees[role]}
    writable = {owner for owner in records if owner in edits[role]}
    if case.list:
        response = client.get(case.list, case.list_params)
        if sees[role] or response.status_code == 200:
            assert response.status_code == 200, (role, case.list, response.content)
            body = response.json()
            expected = {records[owner].pk for owner in visible}
            got = case.list_ids(body)
            assert set(got) == expected, (role, case.list)
            assert len(got) == len(expected), (role, case.list)
            if case.counted:
                assert body["count"] == len(expected), (role, case.list)
        else:  # an endpoint the role may not use at all
            _check_error(response, case.read_only, f"{role} {case.list}")
    for owner, record in records.items():
        where = f"{role} → {owner}'s {type(record).__name__}"
        if case.detail:
            response = client.get(case.detail.format(pk=record.pk))
            if owner in visible:
                assert response.status_code == 200, (where, response.content)
            else:
                _check_error(response, case.hidden, where)
        if case.update is not None:
            url = (case.update_url or case.detail).format(pk=record.pk)
            send = getattr(client, case.update_method)
            response = send(url, data=json.dumps(case.update), content_type="application/json")
            record.refresh_from_db()
            if owner in writable:
                assert response.status_code == case.updated, (where, response.content)
                assert case.landed(record), (where, "the update did not land")
            else:
                _check_error(response, case.read_only if owner in visible else case.hidden, where)
                assert not case.landed(record), (where, "a refused update changed the record")
    if case.delete:
        for owner, record in records.items():
            where = f"{role} deletes {owner}'s {type(record).__name__}"
            response = client.delete(case.detail.format(pk=record.pk))
            exists = type(record).objects.filter(pk=record.pk).exists()
            if owner in writable:
                assert response.status_code == case.deleted, (where, response.content)
                assert not exists, where
            else:
                _check_error(response, case.read_only if owner in visible else case.hidden, where)
                assert exists, where

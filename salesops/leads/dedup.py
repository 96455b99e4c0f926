"""Duplicate detection on intake (SPEC L4).

A new inquiry is compared with open leads, accounts and contacts by

* phone — normalised to E.164 first, so ``138 0013 8000`` and ``+86-13800138000`` match;
* unified social credit code — checksum-validated and upper-cased first;
* company name — a normalised key (no legal-form suffix, region prefix, punctuation or
  spaces) compared with rapidfuzz; candidates are read by the key's first two characters
  from an index, so the cost does not grow with the number of accounts.

Phone and credit code are certain. A name scoring at least the certain threshold is
certain too; between the review threshold and that it is uncertain and the new lead is
flagged for review instead of attached (both thresholds: Settings · Organisation).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.db import connection
from rapidfuzz import fuzz

from salesops.core import orgsettings
from salesops.core.names import company_key
from salesops.customers.models import Account, Contact

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
    policy = orgsettings.current()
    return policy.dedup_name_certain, policy.dedup_name_review


def _best_by_name(key: str, rows, review: int):
    """``(id, score)`` of the most similar name scoring at least ``review``, or ``None``."""
    best = None
    for pk, other in rows:
        score = similarity(key, other)
        if score >= review and (best is None or score > best[1]):
            best = (pk, score)
    return best


NAME_CANDIDATES = 200


@functools.lru_cache(maxsize=64)
def _candidate_statement(
    vendor: str, phone: bool, credit_code: bool, prefix: bool, exclude: bool
) -> str:
    """The statement of :func:`_candidate_sql` for the lookups an inquiry needs, built once
    per database and combination (the names only change with a migration)."""

    def table(model) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    def col(model, name: str) -> str:
        return connection.ops.quote_name(model._meta.get_field(name).column)

    lead, contact, account = table(Lead), table(Contact), table(Account)
    open_leads = f"{col(Lead, 'status')} IN ({', '.join(['%s'] * len(OPEN_STATUSES))})"
    lead_cols = (
        f"{col(Lead, 'id')}, {col(Lead, 'phone')}, {col(Lead, 'credit_code')}, "
        f"{col(Lead, 'company_key')}, {col(Lead, 'created_at')}"
    )
    not_excluded = f" AND {col(Lead, 'id')} <> %s" if exclude else ""
    parts = []
    for wanted, field in ((phone, "phone"), (credit_code, "credit_code")):
        if wanted:
            parts.append(
                f"SELECT 'lead', {lead_cols} FROM {lead} "
                f"WHERE {col(Lead, field)} = %s AND {open_leads}{not_excluded}"
            )
    if prefix:
        parts.append(
            f"SELECT * FROM (SELECT 'lead_name', {lead_cols} FROM {lead} "
            f"WHERE {col(Lead, 'company_prefix')} = %s AND {open_leads}{not_excluded} "
            f"LIMIT {NAME_CANDIDATES}) AS lead_names"
        )
        parts.append(
            f"SELECT * FROM (SELECT 'account_name', {col(Account, 'id')}, '', '', "
            f"{col(Account, 'name_key')}, {col(Account, 'created_at')} FROM {account} "
            f"WHERE {col(Account, 'name_prefix')} = %s LIMIT {NAME_CANDIDATES}) AS account_names"
        )
    if phone:
        parts.append(
            f"SELECT 'contact', {col(Contact, 'id')}, {col(Contact, 'phone')}, '', '', "
            f"{col(Contact, 'created_at')} FROM {contact} WHERE {col(Contact, 'phone')} = %s"
        )
    if credit_code:
        # ``<> ''`` lets both databases use the partial unique index on the credit code.
        parts.append(
            f"SELECT 'account', {col(Account, 'id')}, '', {col(Account, 'credit_code')}, '', "
            f"{col(Account, 'created_at')} FROM {account} "
            f"WHERE {col(Account, 'credit_code')} = %s AND {col(Account, 'credit_code')} <> ''"
        )
    return " UNION ALL ".join(parts)


def _candidate_sql(phone: str, credit_code: str, prefix: str, exclude) -> tuple[str, list]:
    """One statement for every candidate of an inquiry (``UNION ALL`` of indexed lookups):
    open leads by phone or credit code, up to ``NAME_CANDIDATES`` open leads and accounts
    sharing the name prefix, contacts by phone, accounts by credit code. Each row is
    ``(source, id, phone, credit_code, key, created_at)``.

    Intake runs this once per inquiry, inside its write transaction, so it is plain SQL:
    building five ORM querysets costs more than the lookups themselves. Table and column
    names come from the models' metadata. The parameters follow the statement's parts."""
    sql = _candidate_statement(
        connection.vendor, bool(phone), bool(credit_code), bool(prefix), exclude is not None
    )
    open_lead = [str(s) for s in OPEN_STATUSES] + ([exclude] if exclude is not None else [])
    params: list = []
    for value in (phone, credit_code):
        if value:
            params += [value, *open_lead]
    if prefix:
        params += [prefix, *open_lead, prefix]
    if phone:
        params.append(phone)
    if credit_code:
        params.append(credit_code)
    return sql, params


def _first(rows):
    """The earliest-created row (the original of a duplicate), ids breaking ties."""
    return min(rows, key=lambda r: (r[5], r[1])) if rows else None


def find_matches(*, phone: str = "", credit_code: str = "", company: str = "", exclude=None):
    """Every match of an inquiry, certain ones first (phone, credit code, then name).
    ``phone`` and ``credit_code`` must already be normalised.

    The candidates come from one statement (:func:`_candidate_sql`); only the records
    that matched are loaded as model instances."""
    certain, review = thresholds()
    key = company_key(company)
    prefix = key[:2] if len(key) >= 2 else ""
    sql, params = _candidate_sql(phone, credit_code, prefix, exclude)
    if not sql:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    by_source: dict[str, list] = {}
    for row in rows:
        by_source.setdefault(row[0], []).append(row)
    leads = by_source.get("lead", [])
    found: list[tuple[str, type, int, int]] = []  # kind, model, id, score
    if phone:
        row = _first([r for r in leads if r[2] == phone])
        if row:
            found.append((MatchKind.PHONE, Lead, row[1], 100))
        elif by_source.get("contact"):
            found.append((MatchKind.PHONE, Contact, _first(by_source["contact"])[1], 100))
    if credit_code:
        row = _first([r for r in leads if r[3] == credit_code])
        if row:
            found.append((MatchKind.CREDIT_CODE, Lead, row[1], 100))
        elif by_source.get("account"):
            found.append((MatchKind.CREDIT_CODE, Account, by_source["account"][0][1], 100))
    if prefix:
        best = _best_by_name(key, ((r[1], r[4]) for r in by_source.get("lead_name", [])), review)
        model = Lead
        if best is None:
            best = _best_by_name(
                key, ((r[1], r[4]) for r in by_source.get("account_name", [])), review
            )
            model = Account
        if best is not None:
            found.append((MatchKind.COMPANY, model, best[0], best[1]))
    if not found:
        return []
    related = {Lead: ("owner",), Contact: ("account__owner",), Account: ("owner",)}
    records = {}
    for model in {m for _k, m, _i, _s in found}:
        ids = [i for _k, m, i, _s in found if m is model]
        records[model] = model.objects.select_related(*related[model]).in_bulk(ids)
    matches = []
    for kind, model, pk, score in found:
        record = records[model].get(pk)
        if record is not None:  # deleted between the two reads
            matches.append(
                Match(kind, record, score, kind != MatchKind.COMPANY or score >= certain)
            )
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

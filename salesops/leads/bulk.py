"""Taking in many inquiries at once (a spreadsheet import): the intake's own rules —
``validate_new``, the region fill, the company key, ``dedup.decide`` on the same matches,
``placement.place_new`` or the same routing decision, the SLA start — with the reads and
writes batched, so a lead taken in here is indistinguishable from one ``lead_intake``
writes: the same Lead, Inquiry and Assignment rows, a history row "intake" (plus the
import's source), ``lead.created`` / ``lead.assigned`` / ``lead.unroutable`` after commit.

Why a second path: ``lead_intake`` costs about forty statements per inquiry; a file of
100,000 leads must go through at thousands a second. Here a batch costs a handful:

* de-duplication reads the candidates of the whole batch at once (open leads and contacts
  by phone, open leads and accounts by credit code, open leads and accounts by company
  name prefix — the prefixes' candidates are kept for the run), and the rows of the run
  itself are matched in memory, so a file's second copy of a lead is a duplicate of the
  first even in a dry run, where nothing is written;
* routing decides from the routing snapshot in memory (``routing.decide``) on counts read
  once per batch, inside the write transaction, with the day's count rows locked
  (PostgreSQL) or the write lock held (SQLite); the slots taken are added in one
  ``UPDATE`` per rep, so no rep goes over the cap; under a write-behind (a large import,
  ``core.writebehind``) the counts are read once and kept in memory, the batches in
  flight not being in the database yet, and a concurrent intake is not waited for;
* the new rows are written through ``core.unitofwork`` (COPY / executemany) and the
  events held until they are.

Differences from ``lead_intake``, by design: a certain match with an open lead is
reported (``"duplicate"``) and nothing is written — an import is not the customer asking
again, so the earlier lead's touches do not change and its owner is not notified; the
name candidates are every open lead and account sharing the prefix (the intake reads at
most ``dedup.NAME_CANDIDATES`` of them); every lead of a batch gets the batch's time.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from salesops.core import clock, configcache, entities, unitofwork
from salesops.core.instances import new_instance
from salesops.core.names import company_key
from salesops.customers.models import Account, Contact

from . import bulkrows, dedup, region, routing, slots
from .models import (
    OPEN_STATUSES,
    Channel,
    DailyLeadCount,
    Lead,
    MatchKind,
    ReviewState,
)
from .placement import Placement, place_new
from .sla import due_time, start_clock
from .validation import constant_defaults, validate_new


@dataclass
class Row:
    """One inquiry of a batch: the intake's ``data`` and ``custom``, the owner who keeps
    it (``None``: placed as the intake places it) and the payload kept on the inquiry."""

    data: dict
    custom: dict | None = None
    owner: object = None
    payload: dict | None = None


@dataclass
class Result:
    """What a row did (or would do): ``"created"``, ``"duplicate"`` or ``"error"``."""

    outcome: str
    lead: Lead | None = None
    match: dedup.Match | None = None
    placement: Placement | None = None
    error: ValidationError | None = None
    # A duplicate of a row taken in earlier in this run: that row's lead (unsaved in a
    # dry run) and its payload.
    earlier: Lead | None = None
    payload: dict = field(default_factory=dict)
    own: _Own | None = None


class _Own:
    """A lead of this run, as much as matching later rows needs (a whole Lead per row
    of a 100,000-row dry run would hold hundreds of megabytes)."""

    __slots__ = ("company", "key", "pk", "phone", "credit_code")

    def __init__(self, lead: Lead):
        self.company, self.key, self.pk = lead.company, lead.company_key, lead.pk
        self.phone, self.credit_code = lead.phone, lead.credit_code

    def lead(self) -> Lead:
        """The lead a match names (``pk`` None in a dry run: it was never written)."""
        lead = Lead(company=self.company, phone=self.phone, credit_code=self.credit_code)
        lead.pk, lead.company_key = self.pk, self.key
        lead._own = self  # its id is known once this run writes it (see _written_id)
        return lead


@dataclass
class _Seen:
    """The run's own leads, for matching later rows against earlier ones in memory."""

    by_phone: dict = field(default_factory=dict)
    by_code: dict = field(default_factory=dict)
    by_prefix: dict = field(default_factory=lambda: defaultdict(list))
    ids: set = field(default_factory=set)

    def add(self, lead: Lead) -> _Own:
        own = _Own(lead)
        if lead.phone:
            self.by_phone.setdefault(lead.phone, own)
        if lead.credit_code:
            self.by_code.setdefault(lead.credit_code, own)
        if len(lead.company_key) >= 2:
            self.by_prefix[lead.company_prefix].append(own)
        return own


class BulkIntake:
    """One run of inquiries from ``channel`` by ``actor``, batch after batch.

    ``assignable``: the user ids routing may give a lead to (``None``: anyone); a
    manager's import is routed among their own reps. ``pool_team_id``: where a lead no
    rule could place waits when the routing would put it in a pool the actor does not see.
    """

    def __init__(self, *, channel: Channel, actor=None, assignable=None, pool_team_id=None):
        self.channel = channel
        self.actor = actor
        self.assignable = set(assignable) if assignable is not None else None
        self.pool_team_id = pool_team_id
        self.seen = _Seen()
        self.names: dict[str, list] = {}  # prefix → [(source, id, key)], kept for the run
        self.certain, self.review = dedup.thresholds()
        self.snapshot = None
        self.counts: dict[int, int] = {}
        self.loads: dict[int, int] = {}
        self.pending_slots: dict[int, int] = defaultdict(int)
        self.moved: dict[int, int] = {}
        self.users: dict[int, object] = {}
        self._due_for = None  # (the batch's time, its SLA due time)

    # --- the two entry points ----------------------------------------------------------

    def check(self, rows: list[Row]) -> list[Result]:
        """What ``rows`` would do; writes nothing. Later batches see this one's leads."""
        if self.snapshot is None:
            self._routing_state(fresh_counts=True)
        with configcache.steady():
            results = self._decide(rows, clock.now())
        self.pending_slots.clear()
        self.moved.clear()
        return results

    def write(self, rows: list[Row]) -> list[Result]:
        """Take in ``rows``: all the created leads of the batch or none of them. Under a
        write-behind (``core.writebehind``: a large import) the batch's rows go to its
        child, and the counts are read once and then kept in memory (the batches in
        flight are not in the database yet)."""
        if unitofwork.behind() is not None:
            with configcache.steady():
                # Read once: later batches count on from memory (see _routing_state).
                self._routing_state(fresh_counts=True)
                now = clock.now()
                results = self._decide(rows, now)
                self._write(results, now)
            return results
        with transaction.atomic(), configcache.steady():
            self._routing_state(fresh_counts=True, lock=True)
            now = clock.now()
            results = self._decide(rows, now)
            self._write(results, now)
        return results

    # --- deciding ------------------------------------------------------------------------

    def _decide(self, rows: list[Row], now) -> list[Result]:
        # One read of what every lead's routing variables share (custom-field definitions).
        with entities.variable_batch():
            return self._decide_batch(rows, now)

    def _decide_batch(self, rows: list[Row], now) -> list[Result]:
        results: list[Result | None] = [None] * len(rows)
        leads = []
        # The defaults every new lead holds, cleaned once for the batch (not per lead).
        checked = constant_defaults(new_instance(Lead, channel=self.channel))
        for index, row in enumerate(rows):
            lead = new_instance(Lead, channel=self.channel)
            try:
                validate_new(lead, dict(row.data), row.custom, checked=checked)
            except ValidationError as exc:
                results[index] = Result("error", error=exc)
                continue
            # Set after the validation: checking that the importing user exists is one
            # query per lead (the intake's validation of ``created_by``), known already.
            lead.created_by = self.actor
            if not lead.campaign:
                lead.campaign = self.channel.campaign
            lead.company_key = company_key(lead.company)
            lead.company_prefix = lead.company_key[:2]
            leads.append((index, lead))
        _fill_regions([lead for _i, lead in leads])
        found = self._candidates([lead for _i, lead in leads])
        stored = [self._stored(lead, found) for _i, lead in leads]
        records = _load(
            value[0] if isinstance(value[0], tuple) else value
            for refs in stored
            for value in refs.values()
        )
        for (index, lead), refs in zip(leads, stored, strict=True):
            results[index] = self._place(rows[index], lead, refs, records, now)
        return results

    def _place(self, row: Row, lead: Lead, refs: dict, records: dict, now) -> Result:
        matches, earlier = self._matches(lead, refs, records)
        action, match = dedup.decide(matches)
        if action == "attach":
            return Result("duplicate", lead=match.record, match=match, earlier=earlier)
        lead.progressed_at = now
        owner = row.owner
        account_owner = None
        if action == "customer" and owner is None:
            account = _customer_account(match.record)
            account_owner = account.owner if account.owner_id else None
            if account_owner is not None and not account_owner.is_active:
                account_owner = None
        if owner is not None or account_owner is not None:
            placed = place_new(lead, action, match, self.channel, self.actor, owner)
        else:
            placed = self._route(lead, action, match)
        if placed.owner is not None:
            start_clock(lead, now, self._due(now))
        own = self.seen.add(lead)
        payload = row.payload if row.payload is not None else dict(row.data)
        return Result("created", lead=lead, match=match, placement=placed, payload=payload, own=own)

    def _due(self, now):
        """``sla.due_time(now)``, once for the batch's time."""
        if self._due_for is None or self._due_for[0] != now:
            self._due_for = (now, due_time(now))
        return self._due_for[1]

    def _route(self, lead: Lead, action: str, match) -> Placement:
        """``placement.place_new`` then ``placement.route`` for a lead routing places,
        deciding from memory (the snapshot and the counts of :meth:`_routing_state`)."""
        if action == "customer":
            lead.account = _customer_account(match.record)
        elif action == "review":
            lead.review_state = ReviewState.REVIEW
            if isinstance(match.record, Lead):
                lead.possible_duplicate_of = match.record
        variables = entities.get("lead").variables(lead)
        decision = routing.decide(self.snapshot, variables, self.counts, loads=self.loads)
        placed = Placement(None, decision, decision.reason)
        if decision.rule is not None:
            placed.rule_id, placed.strategy = decision.rule.id, decision.strategy
            lead.team_id = decision.rule.team_id
        if decision.placed:
            owner_id = decision.candidates[0]
            decision.rule.cursor = owner_id
            self.counts[owner_id] = self.counts.get(owner_id, 0) + 1
            self.loads[owner_id] = self.loads.get(owner_id, 0) + 1
            self.pending_slots[owner_id] += 1
            self.moved[decision.rule.id] = owner_id
            placed.owner = self._user(decision, owner_id)
        elif decision.rule is None and decision.pool_team_id() is not None:
            lead.team_id = decision.pool_team_id()
        if placed.owner is None and self.pool_team_id is not None:
            lead.team_id = self.pool_team_id
        if placed.owner is None and lead.team_id is None:
            lead.team_id = self.channel.team_id or getattr(self.actor, "team_id", None)
        if placed.owner is not None:
            lead.owner = placed.owner
            if lead.team_id is None:
                lead.team_id = placed.owner.team_id
        return placed

    def _user(self, decision, user_id: int):
        """The routed rep, one instance per rep for the run (the snapshot's fields)."""
        user = self.users.get(user_id)
        if user is None:
            user = self.users[user_id] = decision.owner(user_id)
        return user

    def _routing_state(self, *, fresh_counts: bool, lock: bool = False) -> None:
        """The run's copy of the routing snapshot (its rules' cursors move as this run
        routes, without touching the process's cached copy) and today's counts."""
        if self.snapshot is None:
            shared = routing.current_snapshot()
            eligible = set(shared.eligible)
            if self.assignable is not None:
                eligible &= self.assignable
            self.snapshot = dataclasses.replace(
                shared,
                rules=[dataclasses.replace(spec) for spec in shared.rules],
                eligible=eligible,
            )
            members = {u for spec in self.snapshot.rules for u in spec.members}
            self.loads = routing.open_loads(members)
        if not fresh_counts:
            return
        day = self.snapshot.day
        members = sorted(
            self.snapshot.eligible & {u for s in self.snapshot.rules for u in s.members}
        )
        if lock:
            # Every candidate's count row for the day exists and is locked until the batch
            # commits: the counts read are the counts the slots are added to.
            DailyLeadCount.objects.bulk_create(
                [DailyLeadCount(user_id=u, day=day, count=0) for u in members],
                ignore_conflicts=True,
            )
            rows = DailyLeadCount.objects.select_for_update().filter(day=day, user_id__in=members)
            self.counts = dict(rows.values_list("user_id", "count"))
        elif not self.counts:
            self.counts = routing.counts_today(day, members)

    # --- de-duplication ----------------------------------------------------------------

    def _candidates(self, leads: list[Lead]) -> dict:
        """The batch's candidates: ``{"lead_phone": {phone: [(id, created_at)]}, …}`` and
        the name candidates of every prefix (kept for the run)."""
        phones = {lead.phone for lead in leads if lead.phone}
        codes = {lead.credit_code for lead in leads if lead.credit_code}
        prefixes = {lead.company_prefix for lead in leads if len(lead.company_key) >= 2}
        found: dict[str, dict] = defaultdict(lambda: defaultdict(list))
        # The run's own leads are matched in memory (:meth:`_matches`), not as stored ones.
        own = self.seen.ids
        open_leads = Lead.objects.filter(status__in=OPEN_STATUSES)
        for chunk in _chunks(sorted(phones)):
            for pk, phone, created in open_leads.filter(phone__in=chunk).values_list(
                "pk", "phone", "created_at"
            ):
                if pk not in own:
                    found["lead_phone"][phone].append((created, pk))
            for pk, phone, created in Contact.objects.filter(phone__in=chunk).values_list(
                "pk", "phone", "created_at"
            ):
                found["contact"][phone].append((created, pk))
        for chunk in _chunks(sorted(codes)):
            for pk, code, created in open_leads.filter(credit_code__in=chunk).values_list(
                "pk", "credit_code", "created_at"
            ):
                if pk not in own:
                    found["lead_code"][code].append((created, pk))
            for pk, code, created in Account.objects.filter(credit_code__in=chunk).values_list(
                "pk", "credit_code", "created_at"
            ):
                found["account"][code].append((created, pk))
        missing = sorted(prefixes - set(self.names))
        for prefix in missing:
            self.names[prefix] = []
        for chunk in _chunks(missing):
            for pk, prefix, key in open_leads.filter(company_prefix__in=chunk).values_list(
                "pk", "company_prefix", "company_key"
            ):
                self.names[prefix].append(("lead", pk, key))
            for pk, prefix, key in Account.objects.filter(name_prefix__in=chunk).values_list(
                "pk", "name_prefix", "name_key"
            ):
                self.names[prefix].append(("account", pk, key))
        return found

    def _stored(self, lead: Lead, found) -> dict:
        """The stored records ``lead`` matches, by how (``find_matches``' choices): the
        earliest open lead or contact with its phone, the earliest open lead or account
        with its credit code, the best open lead and account by company name."""
        out: dict = {}
        if lead.phone:
            if rows := found["lead_phone"].get(lead.phone):
                out["lead_phone"] = (Lead, min(rows)[1])
            if rows := found["contact"].get(lead.phone):
                out["contact"] = (Contact, min(rows)[1])
        if lead.credit_code:
            if rows := found["lead_code"].get(lead.credit_code):
                out["lead_code"] = (Lead, min(rows)[1])
            if rows := found["account"].get(lead.credit_code):
                out["account"] = (Account, rows[0][1])
        if len(lead.company_key) >= 2:
            stored = self.names.get(lead.company_prefix, [])
            for source, model in (("lead", Lead), ("account", Account)):
                rows = [
                    (r[1], r[2]) for r in stored if r[0] == source and r[1] not in self.seen.ids
                ]
                best = dedup._best_by_name(lead.company_key, rows, self.review)
                if best is not None:
                    out[f"{source}_name"] = ((model, best[0]), best[1])
        return out

    def _matches(self, lead: Lead, stored: dict, records: dict):
        """``dedup.find_matches`` for ``lead`` from its stored matches and the run's own
        leads (which come after every stored lead: the stored one is the original).
        Returns the matches and, for a duplicate of an earlier row, that row's lead."""
        seen = self.seen
        picked: list[tuple[str, object, int]] = []  # kind, record or (model, id), score
        if lead.phone:
            ref = stored.get("lead_phone") or seen.by_phone.get(lead.phone) or stored.get("contact")
            if ref is not None:
                picked.append((MatchKind.PHONE, ref, 100))
        if lead.credit_code:
            code = lead.credit_code
            ref = stored.get("lead_code") or seen.by_code.get(code) or stored.get("account")
            if ref is not None:
                picked.append((MatchKind.CREDIT_CODE, ref, 100))
        if len(lead.company_key) >= 2:
            best = stored.get("lead_name")
            own = seen.by_prefix.get(lead.company_prefix, [])
            found = dedup._best_by_name(
                lead.company_key, [(n, o.key) for n, o in enumerate(own)], self.review
            )
            if found is not None and (best is None or found[1] > best[1]):
                best = (own[found[0]], found[1])
            best = best or stored.get("account_name")
            if best is not None:
                picked.append((MatchKind.COMPANY, best[0], best[1]))
        matches, own_records = [], set()
        for kind, ref, score in picked:
            record = records.get(ref) if isinstance(ref, tuple) else ref.lead()
            if record is None:
                continue  # deleted between the two reads
            if not isinstance(ref, tuple):
                own_records.add(id(record))
            certain = kind != MatchKind.COMPANY or score >= self.certain
            matches.append(dedup.Match(kind, record, score, certain))
        action, match = dedup.decide(matches)
        earlier = match.record if action == "attach" and id(match.record) in own_records else None
        return matches, earlier

    # --- writing -------------------------------------------------------------------------

    def _write(self, results: list[Result], now) -> None:
        created = [r for r in results if r.outcome == "created"]
        if not created:
            return
        with unitofwork.deferred() as unit:
            if unit is None:  # another database: one intake's statements per lead
                for result in created:
                    self._insert_one(result, now)
            else:
                unit.expect(Lead, len(created))
                companions = []
                for result in created:
                    lead = result.lead
                    _link_duplicate(lead)
                    unitofwork.save_new(lead, self.actor, "intake")
                    self.seen.ids.add(lead.pk)
                    result.own.pk = lead.pk
                    companions.append(self._companion(result))
                unit.flush()
                # Their inquiries, assignments and events: here, or in the write-behind's
                # child while the next chunk is decided.
                if (behind := unitofwork.behind()) is not None:
                    behind.call(bulkrows.write, companions, self.channel.pk, self.actor, now)
                else:
                    bulkrows.write(companions, self.channel.pk, self.actor, now)
        self._take_slots()

    def _insert_one(self, result: Result, now) -> None:
        lead = result.lead
        _link_duplicate(lead)
        companion = self._companion(result)
        inquiry, assignment = bulkrows.rows(companion, self.channel.pk, self.actor, now)
        unitofwork.insert_together(
            lead, [(inquiry, "lead"), (assignment, "lead")], self.actor, "intake"
        )
        self.seen.ids.add(lead.pk)
        result.own.pk = lead.pk
        bulkrows.emit(companion._replace(lead_id=lead.pk), self.channel.pk, self.actor)

    def _companion(self, result: Result) -> bulkrows.Companion:
        lead, match, placed = result.lead, result.match, result.placement
        return bulkrows.Companion(
            lead_id=lead.pk,
            owner_id=lead.owner_id,
            team_id=lead.team_id,
            campaign=lead.campaign,
            matched_by=match.kind if match else "",
            score=match.score if match else None,
            match_entity=match.entity if match else "",
            match_id=_written_id(match.record) if match else None,
            payload=result.payload,
            placed_owner_id=placed.owner.pk if placed.owner is not None else None,
            rule_id=placed.rule_id,
            rule_name=placed.rule_name,
            strategy=placed.strategy,
            reason=placed.reason,
        )

    def _take_slots(self) -> None:
        """Add the batch's slots to the count rows and move the rules' cursors
        (:func:`slots.take`); under a write-behind, in its child's transaction."""
        if self.pending_slots or self.moved:
            day, taken, moved = self.snapshot.day, dict(self.pending_slots), dict(self.moved)
            if (behind := unitofwork.behind()) is not None:
                behind.call(slots.take, day, taken, moved, True)
            else:
                slots.take(day, taken, moved)
        self.pending_slots.clear()
        self.moved.clear()


def _link_duplicate(lead: Lead) -> None:
    """A lead flagged as a possible duplicate of a lead of this run points to its id
    (known once that lead was given one). Read from the cache, not the descriptor: this
    runs for every row and the descriptor's miss is costly."""
    duplicate_of = lead._state.fields_cache.get("possible_duplicate_of")
    if duplicate_of is not None and getattr(duplicate_of, "_own", None) is not None:
        lead.possible_duplicate_of = None
        lead.possible_duplicate_of_id = duplicate_of._own.pk


def _written_id(record):
    """A matched record's id; for a lead of this run written earlier in the same batch,
    the id it got then (the match was made before)."""
    own = getattr(record, "_own", None)
    return own.pk if own is not None else record.pk


def _customer_account(record):
    return record.account if record._meta.model_name == "contact" else record


def _load(refs) -> dict:
    """The matched stored records, as ``find_matches`` loads them (owners joined)."""
    related = {Lead: ("owner",), Contact: ("account__owner",), Account: ("owner",)}
    by_model: dict = defaultdict(set)
    for model, pk in refs:
        by_model[model].add(pk)
    out = {}
    for model, ids in by_model.items():
        for pk, record in model.objects.select_related(*related[model]).in_bulk(ids).items():
            out[(model, pk)] = record
    return out


def _chunks(values: list, size: int = 500):
    """SQLite allows at most 999 parameters per statement on old builds."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _fill_regions(leads: list[Lead]) -> None:
    """``region.fill`` for each lead, the addresses of the batch read in one go."""
    wanted = [lead for lead in leads if not (lead.province and lead.city)]
    places = region.provinces_cities(lead.address for lead in wanted)
    for lead in wanted:
        region.fill(lead, places.get((lead.address or "").strip(), ("", "")))


__all__ = ["BulkIntake", "Result", "Row"]

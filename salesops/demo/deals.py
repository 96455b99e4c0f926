"""Demo deals: a pipeline with history, so the kanban, the approvals queue, the home
pages and the conversion report have something to show on a fresh install.

Deals are spread over every stage of the standard pipeline and of a second one for the
implementation-services product line; each carries the moves that brought it there
(a ``created`` row, forward moves, some backward ones, rejected and approved requests,
lost with a reason), consistent with what :mod:`salesops.pipeline.stages` writes: every
applied move records when the deal had entered the stage it left and the working days it
spent there (``core.calendar.working_days_elapsed``), and ``stall_due_at`` is
``services.stall_due`` of the current stage. A deal that left a stage forward meets that
stage's exit criteria: the fields are filled, the evidence files (small generated PDFs in
the evidence storage) and the required visits exist. Some open deals in an approval stage
wait for their manager; some were rejected and must be redone; about a quarter of the
open deals have stalled. Won deals close the demo's signed contracts (``Contract.deal``);
every converted lead gets its deal on an account of its owner.

Written with ``bulk_create`` like the rest of the demo (the services would take minutes
for the large demo); the deals' "created" history rows are copied by the build.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from salesops.activities.models import Activity, ActivityKind, ResultTag
from salesops.core import calendar, choices
from salesops.core.names import company_key
from salesops.customers.models import Contact
from salesops.leads.models import Lead, LeadStatus
from salesops.notifications.services import notify_many
from salesops.pipeline import defaults, evidence
from salesops.pipeline.models import (
    ChangeDirection,
    ChangeState,
    CommitCategory,
    Deal,
    DealStatus,
    Evidence,
    Pipeline,
    Stage,
    StageChange,
)
from salesops.pipeline.services import stall_due
from salesops.revenue.models import Contract, ContractStatus

from .pipelines import (
    BACK_REASONS,
    LOST_NOTES,
    LOST_SHARE,
    NAME_SUFFIXES,
    REJECT_NOTES,
    SERVICES_LINE,
    STAGE_WEIGHTS,
    STALLED_SHARE,
    WON_SHARE,
    Flow,
    pdf_bytes,
    services_pipeline,
)
from .revenue import _money


class _Builder:
    def __init__(self, gen, now: dt.datetime, teams: dict):
        self.rng: random.Random = gen.rng
        self.now = now
        self.tz = timezone.get_default_timezone()
        self.flows = {
            "": Flow(
                defaults.install_default_pipeline()
                or Pipeline.objects.get(code=defaults.DEFAULT_CODE)
            ),
            SERVICES_LINE: Flow(services_pipeline()),
        }
        self.managers = {team.pk: team.manager_id for team in teams.values()}
        self.lines = [c for c in choices.active_codes(choices.PRODUCT_LINE) if c != SERVICES_LINE]
        self.tags = [t for t in ResultTag.objects.order_by("pk") if t.code != "no_answer"]
        self.deals: list[Deal] = []
        self.plans: list[dict] = []  # per deal: its moves, evidence and visits to write

    # time -------------------------------------------------------------------------------
    def office(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` moved to office hours of its local day (Friday for a weekend)."""
        day = moment.astimezone(self.tz)
        if day.weekday() >= 5:
            day -= dt.timedelta(days=day.weekday() - 4)
        day = day.replace(
            hour=self.rng.randrange(9, 18), minute=self.rng.randrange(60), second=0, microsecond=0
        )
        return day.astimezone(dt.UTC)

    def timeline(self, n: int, end: dt.datetime, last_days: float, start=None) -> list:
        """``n`` instants the deal entered each stage of its path, the last ``last_days``
        calendar days before ``end``; the earlier ones spaced 2–18 days apart (or spread
        after ``start``)."""
        points = [end - dt.timedelta(days=last_days)]
        if start is None:
            for _i in range(n - 1):
                points.append(points[-1] - dt.timedelta(days=self.rng.uniform(2, 18)))
            points.reverse()
            points = [self.office(p) for p in points]
        else:
            cuts = sorted(self.rng.random() for _i in range(n - 1))
            room = max(points[0] - start, dt.timedelta(hours=n))
            points = [start] + [start + room * c for c in cuts[1:]] + points[-1:]
            points = points[-n:] if n > 1 else [start]
        for i in range(1, len(points)):
            if points[i] <= points[i - 1]:
                points[i] = points[i - 1] + dt.timedelta(hours=1)
        limit = self.now - dt.timedelta(minutes=10)
        return [min(p, limit - dt.timedelta(minutes=len(points) - i)) for i, p in enumerate(points)]

    # one deal ----------------------------------------------------------------------------
    def path(self, k: int) -> list[int]:
        """The stage positions visited to reach position ``k``: sometimes one step back."""
        path = list(range(k + 1))
        if k >= 2 and self.rng.random() < 0.15:
            j = self.rng.randrange(1, k)
            path = [*range(j + 1), j - 1, *range(j, k + 1)]
        return path

    def plan(self, *, account, contacts, outcome, k, end, line, lead=None, start=None,
             amount=None, last_days=None):  # fmt: skip
        rng = self.rng
        flow = self.flows[SERVICES_LINE if line == SERVICES_LINE else ""]
        path = self.path(k)
        stage = flow.open[path[-1]]
        stalled = outcome == DealStatus.OPEN and rng.random() < STALLED_SHARE
        if last_days is None:
            if outcome != DealStatus.OPEN:
                last_days = rng.uniform(2, 25)
            elif stalled:
                last_days = stage.stall_days * 1.6 + rng.uniform(1, 25)
            else:
                last_days = rng.uniform(0.05, stage.stall_days * 0.9)
        points = self.timeline(len(path), end, last_days, start)
        if outcome == DealStatus.WON:  # a won deal went through every stage to the end
            for position in range(path[-1] + 1, len(flow.open)):
                path.append(position)
                points.append(points[-1] + (end - points[-1]) * rng.uniform(0.3, 0.6))
            stage = flow.open[path[-1]]
        left = {p for i, p in enumerate(path) if i < len(path) - 1 and path[i + 1] > p}
        if outcome == DealStatus.WON:
            left |= set(range(len(flow.open)))
        passed = [flow.open[p] for p in sorted(left)]
        needs = {f for s in passed for f in s.required_fields}
        chance = 0.4
        owner = account.owner
        deal = Deal(
            name=self.name(account, line),
            account=account,
            owner=owner,
            lead=lead,
            pipeline=flow.pipeline,
            stage=stage,
            stage_entered_at=points[-1],
            status=DealStatus.OPEN,
            product_line=line,
            amount=amount or _money(rng, 30_000, 900_000),
            expected_close_date=None,
            need_confirmed="need_confirmed" in needs or rng.random() < chance,
            budget_confirmed="budget_confirmed" in needs or rng.random() < chance,
            decision_maker_identified="decision_maker_identified" in needs or rng.random() < chance,
            created_by=owner,
            created_at=points[0],
        )
        if "expected_close_date" in needs or rng.random() < 0.7:
            ahead = rng.randrange(-10, 120) if outcome == DealStatus.OPEN else 0
            deal.expected_close_date = (self.now + dt.timedelta(days=ahead)).date()
        deal.commit_category = self.category(stage, outcome)
        chain = contacts if ("contacts" in needs or rng.random() < 0.6) else []
        moves = self.moves(deal, flow, path, points, outcome, end)
        if outcome == DealStatus.OPEN:
            deal.stall_due_at = stall_due(stage, deal.stage_entered_at)
        else:
            deal.status, deal.closed_at = outcome, moves[-1].applied_at
            deal.stage = moves[-1].to_stage
            deal.stage_entered_at = moves[-1].applied_at
            deal.expected_close_date = deal.closed_at.astimezone(self.tz).date()
            if outcome == DealStatus.LOST:
                deal.lost_reason, deal.lost_note = moves[-1].lost_reason, moves[-1].reason
        deal.updated_at = max(m.applied_at or m.decided_at or m.requested_at for m in moves)

        def span(s):
            """When the deal entered ``s`` (its last visit) and left it."""
            position = flow.open.index(s)
            i = max(i for i, p in enumerate(path) if p == position)
            last = self.now if outcome == DealStatus.OPEN else end
            left = points[i + 1] if i + 1 < len(points) else last
            return points[i], left

        # The evidence of every stage left forward, and of the current one when its
        # move was asked for (a pending or rejected request) or sometimes already.
        proofs = [(s, *span(s)) for s in passed]
        asked = any(m.state != ChangeState.APPLIED for m in moves)
        if asked:  # a move was asked for: the current stage's criteria were met
            for field in stage.required_fields:
                if field == "contacts":
                    chain = chain or contacts
                elif field == "expected_close_date":
                    deal.expected_close_date = (
                        deal.expected_close_date
                        or (self.now + dt.timedelta(days=rng.randrange(20, 90))).date()
                    )
                elif field in ("need_confirmed", "budget_confirmed", "decision_maker_identified"):
                    setattr(deal, field, True)
        if outcome == DealStatus.OPEN and (asked or rng.random() < 0.45):
            proofs.append((stage, *span(stage)))
        visits = [
            (s, *span(s))
            for s in passed
            if any(r.get("kind") == ActivityKind.VISIT for r in s.required_activities or ())
        ]
        if (
            outcome == DealStatus.OPEN
            and stage.required_activities
            and (asked or rng.random() < 0.5)
        ):
            visits.append((stage, *span(stage)))
        self.deals.append(deal)
        self.plans.append(
            {"contacts": chain, "moves": moves, "proofs": proofs, "visits": visits, "lead": lead}
        )
        return deal

    def name(self, account, line: str) -> str:
        label = choices.label(choices.PRODUCT_LINE, line, "zh-hans") or ""
        short = account.name.removesuffix("有限公司").removesuffix("股份").removesuffix("集团")
        return f"{short} · {label}{self.rng.choice(NAME_SUFFIXES)}"[:200]

    def category(self, stage: Stage, outcome: str) -> str:
        if outcome == DealStatus.WON:
            return CommitCategory.COMMIT
        roll = self.rng.random()
        if roll < 0.06:
            return CommitCategory.OMITTED
        if stage.probability >= 80:
            return CommitCategory.COMMIT if roll < 0.7 else CommitCategory.BEST_CASE
        if stage.probability >= 40:
            return CommitCategory.BEST_CASE if roll < 0.6 else CommitCategory.PIPELINE
        return CommitCategory.PIPELINE

    def change(self, deal, from_stage, to_stage, direction, at, **extra) -> StageChange:
        row = StageChange(
            deal=deal,
            from_stage=from_stage,
            to_stage=to_stage,
            direction=direction,
            state=extra.pop("state", ChangeState.APPLIED),
            requested_by=deal.owner,
            requested_at=extra.pop("requested_at", at),
            pipeline=deal.pipeline,
            owner=deal.owner,
            product_line=deal.product_line,
            **extra,
        )
        if row.state == ChangeState.APPLIED:
            row.applied_at = at
        return row

    def applied(self, deal, from_stage, to_stage, direction, entered, at, **extra):
        row = self.change(deal, from_stage, to_stage, direction, at, **extra)
        row.from_entered_at = entered
        days = calendar.working_days_elapsed(entered, at)
        row.working_days_in_stage = Decimal(str(days)).quantize(Decimal("0.01"))
        return row

    def moves(self, deal, flow, path, points, outcome, end) -> list[StageChange]:
        rng = self.rng
        manager = self.managers.get(deal.owner.team_id)
        stages = [flow.open[p] for p in path]
        moves = [self.change(deal, None, stages[0], ChangeDirection.CREATED, points[0])]
        for i in range(1, len(path)):
            before, after, at = stages[i - 1], stages[i], points[i]
            if path[i] < path[i - 1]:
                moves.append(
                    self.applied(
                        deal,
                        before,
                        after,
                        ChangeDirection.BACKWARD,
                        points[i - 1],
                        at,
                        reason=rng.choice(BACK_REASONS),
                    )  # fmt: skip
                )
                continue
            extra = {}
            if before.needs_approval and manager:
                asked = max(at - dt.timedelta(hours=rng.uniform(2, 30)), points[i - 1])
                if rng.random() < 0.3 and asked - points[i - 1] > dt.timedelta(hours=4):
                    turned = points[i - 1] + (asked - points[i - 1]) * rng.uniform(0.2, 0.6)
                    moves.append(self.rejected(deal, before, after, manager, turned))
                extra = {"requested_at": asked, "decided_by_id": manager, "decided_at": at}
            moves.append(
                self.applied(
                    deal, before, after, ChangeDirection.FORWARD, points[i - 1], at, **extra
                )
            )
        current = stages[-1]
        if outcome == DealStatus.WON:
            moves.append(
                self.applied(deal, current, flow.won, ChangeDirection.WON, points[-1], end)
            )
        elif outcome == DealStatus.LOST:
            code = rng.choice(list(LOST_NOTES))
            moves.append(
                self.applied(
                    deal,
                    current,
                    flow.lost,
                    ChangeDirection.LOST,
                    points[-1],
                    end,
                    lost_reason=code,
                    reason=LOST_NOTES[code],
                )  # fmt: skip
            )
        elif current.needs_approval and manager and path[-1] + 1 < len(flow.open):
            nxt = flow.open[path[-1] + 1]
            roll = rng.random()
            since = max(points[-1], self.now - dt.timedelta(days=3))
            asked = since + (self.now - since) * rng.uniform(0.1, 0.9)
            if roll < 0.4:
                moves.append(self.change(deal, current, nxt, ChangeDirection.FORWARD, asked,
                                         state=ChangeState.PENDING))  # fmt: skip
            elif roll < 0.6:
                moves.append(self.rejected(deal, current, nxt, manager, asked))
        return moves

    def rejected(self, deal, from_stage, to_stage, manager, asked) -> StageChange:
        decided = min(asked + dt.timedelta(hours=self.rng.uniform(1, 20)), self.now)
        return self.change(deal, from_stage, to_stage, ChangeDirection.FORWARD, asked,
                           state=ChangeState.REJECTED, decided_by_id=manager, decided_at=decided,
                           decision_note=self.rng.choice(REJECT_NOTES))  # fmt: skip

    # writing ---------------------------------------------------------------------------
    def write(self) -> dict:
        Deal.objects.bulk_create(self.deals, batch_size=2_000)
        through = Deal.contacts.through
        links, changes = [], []
        for deal, plan in zip(self.deals, self.plans, strict=True):
            links += [through(deal_id=deal.pk, contact_id=c) for c in plan["contacts"]]
            for move in plan["moves"]:
                move.deal = deal
                changes.append(move)
        through.objects.bulk_create(links, batch_size=5_000)
        StageChange.objects.bulk_create(changes, batch_size=5_000)
        files = self.write_evidence()
        visits = self.write_visits()
        pending = self.notify()
        return {
            "deals": len(self.deals),
            "stage changes": len(changes),
            "evidence files": files,
            "deal visits": visits,
            "approvals waiting": pending,
        }

    def write_evidence(self) -> int:
        store, rows = evidence.storage(), []
        for deal, plan in zip(self.deals, self.plans, strict=True):
            pending = next((m for m in plan["moves"] if m.state == ChangeState.PENDING), None)
            for stage, entered, left in plan["proofs"]:
                for code in stage.required_evidence:
                    # One deal in 25 sends a draft without the company watermark (the
                    # compliance scan's findings, K10); the rng is not drawn for it.
                    mark = "Draft" if deal.pk % 25 == 0 else "SalesOps demo"
                    data = pdf_bytes(f"{mark} - deal {deal.pk} - {code} - {stage.code}")
                    sha = hashlib.sha256(data).hexdigest()
                    label = choices.label(choices.EVIDENCE_TYPE, code, "zh-hans") or code
                    at = entered + (left - entered) * self.rng.uniform(0.05, 0.5)
                    name = store.save(f"{deal.pk}/{sha[:16]}.pdf", ContentFile(data))
                    rows.append(
                        Evidence(deal=deal, stage=stage, type=code, file=name,
                                 original_name=f"{label}-{deal.pk}.pdf", size=len(data),
                                 content_type="application/pdf", sha256=sha,
                                 stage_change=pending if stage.pk == deal.stage_id else None,
                                 created_by=deal.owner, created_at=at, updated_at=at)
                    )  # fmt: skip
        Evidence.objects.bulk_create(rows, batch_size=2_000)
        return len(rows)

    def write_visits(self) -> int:
        rows = []
        for deal, plan in zip(self.deals, self.plans, strict=True):
            contact = plan["contacts"][0] if plan["contacts"] else None
            for _stage, entered, left in plan["visits"]:
                at = entered + (left - entered) * self.rng.uniform(0.1, 0.9)
                rows.append(self.activity(deal, ActivityKind.VISIT, at, 5400, contact))
            if self.rng.random() < 0.7:  # the first call after the deal opened
                at = min(deal.created_at + dt.timedelta(hours=2), self.now)
                rows.append(self.activity(deal, ActivityKind.CALL, at, 300, contact))
        Activity.objects.bulk_create(rows, batch_size=5_000)
        return len(rows)

    def activity(self, deal, kind, at, seconds, contact) -> Activity:
        return Activity(
            kind=kind, owner=deal.owner, account=deal.account, deal=deal, contact_id=contact,
            lead=deal.lead, started_at=at, ended_at=at + dt.timedelta(seconds=seconds),
            duration_seconds=seconds, tag=self.rng.choice(self.tags) if self.tags else None,
            effective=True, checked_in_at=at if kind == ActivityKind.VISIT else None,
            created_by=deal.owner, created_at=at, updated_at=at,
        )  # fmt: skip

    def notify(self) -> int:
        """The managers' inboxes hold the waiting requests; the reps' the rejections of
        the last days (what ``stages.request_stage_change`` and ``reject`` send)."""
        items, waiting = [], 0
        recent = self.now - dt.timedelta(days=5)
        with translation.override("zh-hans"):
            for deal, plan in zip(self.deals, self.plans, strict=True):
                for move in plan["moves"]:
                    if move.state == ChangeState.PENDING:
                        waiting += 1
                        manager = self.managers.get(deal.owner.team_id)
                        title = _("Stage change to approve: %(deal)s → %(stage)s") % {
                            "deal": deal.name,
                            "stage": move.to_stage.name,
                        }
                        items.append(self.item(manager, title, "", deal, move))
                    elif move.state == ChangeState.REJECTED and move.decided_at >= recent:
                        title = _("Rejected: %(deal)s stays in %(stage)s") % {
                            "deal": deal.name,
                            "stage": move.from_stage.name,
                        }
                        items.append(
                            self.item(deal.owner_id, title, move.decision_note, deal, move)
                        )
        notify_many([i for i in items if i["recipient_id"]])
        return waiting

    @staticmethod
    def item(recipient, title, body, deal, move) -> dict:
        return {
            "recipient_id": recipient,
            "kind": "deal_approval",
            "title": title,
            "body": body,
            "link": deal.get_absolute_url(),
            "source": f"stagechange:{move.pk}",
        }


def _lead_accounts(rng, leads, by_owner, first_contact, now) -> list:
    """Converted leads: each on an account of its owner (with the account's first contact
    as the lead's); returns [(lead, account)]."""
    pairs = []
    for lead in leads:
        own = by_owner.get(lead.owner_id)
        if not own:
            continue
        account = rng.choice(own)
        reached = lead.first_contact_at or lead.assigned_at or lead.created_at
        lead.account = account
        lead.contact_id = first_contact.get(account.pk)
        lead.company = account.name
        lead.company_key = company_key(account.name)
        lead.company_prefix = lead.company_key[:2]
        lead.converted_at = min(
            reached + dt.timedelta(days=rng.uniform(0.5, 6)), now - (now - reached) / 3
        )
        lead.progressed_at = lead.converted_at
        pairs.append((lead, account))
    fields = ["account", "contact", "company", "company_key", "company_prefix", "converted_at",
              "progressed_at"]  # fmt: skip
    Lead.objects.bulk_update([lead for lead, _a in pairs], fields, batch_size=1_000)
    return pairs


def build_deals(gen, now: dt.datetime, accounts, teams: dict, count: int) -> dict:
    """About ``count`` deals over ``accounts`` (saved, with their owners): those of the
    converted leads, won ones closing signed contracts, lost ones and open ones in every
    stage. ``teams``: {region: Team}. Returns counts."""
    builder = _Builder(gen, now, teams)
    rng = builder.rng
    accounts = sorted(accounts, key=lambda a: a.pk)
    ids = [a.pk for a in accounts]
    chains: dict[int, list[int]] = {}
    for start in range(0, len(ids), 2_000):  # SQLite limits the parameters of a query
        rows = Contact.objects.filter(account_id__in=ids[start : start + 2_000]).order_by("pk")
        for account_id, pk in rows.values_list("account_id", "pk"):
            chains.setdefault(account_id, []).append(pk)
    by_owner: dict[int, list] = {}
    for account in accounts:
        by_owner.setdefault(account.owner_id, []).append(account)
    lines = [*builder.lines, SERVICES_LINE]

    def chain(account) -> list[int]:
        people = chains.get(account.pk, [])
        return rng.sample(people, min(len(people), rng.randrange(1, 4)))

    # 1. every converted lead gets its deal, opened when the lead was converted
    converted = Lead.objects.filter(status=LeadStatus.CONVERTED, owner__isnull=False)
    for lead, account in _lead_accounts(rng, converted.order_by("pk"), by_owner,
                                        {a: c[0] for a, c in chains.items()}, now):  # fmt: skip
        k = rng.choice([0, 0, 1])
        line = rng.choice(lines)
        builder.plan(account=account, contacts=chains.get(account.pk, [])[:1],
                     outcome=DealStatus.OPEN, k=k, end=now, line=line, lead=lead,
                     start=lead.converted_at,
                     last_days=(now - lead.converted_at).total_seconds() / 86400 * rng.uniform(0.1, 0.5) if k else None)  # fmt: skip
    # 2. won deals close signed contracts
    signed = (
        Contract.objects.filter(signed_on__isnull=False, deal__isnull=True)
        .exclude(status=ContractStatus.DRAFT)
        .select_related("account", "account__owner")
        .order_by("pk")
    )
    signed = [c for c in signed if c.account.owner_id in by_owner]
    won = rng.sample(signed, min(len(signed), round(count * WON_SHARE)))
    closing = []
    for contract in sorted(won, key=lambda c: c.pk):
        local = dt.datetime.combine(contract.signed_on, dt.time(rng.randrange(9, 18)))
        end = min(local.replace(tzinfo=builder.tz).astimezone(dt.UTC), now)
        deal = builder.plan(account=contract.account, contacts=chain(contract.account),
                            outcome=DealStatus.WON, k=rng.randrange(0, 4), end=end,
                            line=rng.choice(lines), amount=contract.amount)  # fmt: skip
        closing.append((contract, deal))
    # 3. the rest: lost ones, then open ones in every stage
    rest = max(count - len(builder.deals), 0)
    old = [a for a in accounts if now - a.created_at > dt.timedelta(days=30)] or accounts
    for n in range(rest):
        account = rng.choice(old)
        line = rng.choice(lines)
        flow = builder.flows[SERVICES_LINE if line == SERVICES_LINE else ""]
        positions = len(flow.open)
        if n < rest * LOST_SHARE:
            end = now - dt.timedelta(days=rng.uniform(2, 300))
            builder.plan(account=account, contacts=chain(account), outcome=DealStatus.LOST,
                         k=rng.randrange(positions), end=builder.office(end), line=line)  # fmt: skip
        else:
            k = rng.choices(range(positions), STAGE_WEIGHTS[:positions])[0]
            builder.plan(account=account, contacts=chain(account), outcome=DealStatus.OPEN,
                         k=k, end=now, line=line)  # fmt: skip
    counts = builder.write()
    for contract, deal in closing:
        contract.deal = deal
    Contract.objects.bulk_update([c for c, _d in closing], ["deal"], batch_size=1_000)
    counts["deals won"] = len(closing)
    return counts


__all__ = ["build_deals"]

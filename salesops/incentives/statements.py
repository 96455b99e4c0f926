"""Payout statements (SPEC I7, P4): a rep's month of the ledger, every line explained.

A statement is read, never stored: the lines of ``(rep, month)`` (the ledger's
``rep, period`` index), grouped by kind, with what each line needs to explain itself —
state (a tranche: pending, or released / forfeited in the month of its settlement), base,
formula and plan version, coefficient, share, the release condition in words and the
records behind it. Its totals are sums of its lines by state: *payable* (earned lines,
negative adjustments and deductions included), *pending*, *forfeited*. A fixed number of
queries whatever the number of lines (``select_related`` and one query per side table).

Visibility is ``permissions``': another rep's statement or line is a 404.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, DecimalField, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.core.money import format_cny, to_money

from . import ledger, permissions
from .models import (
    IncentivePolicy,
    LedgerLine,
    LineKind,
    LineState,
    OpenTranche,
    PayoutPeriod,
    RepFactors,
    Tranche,
)

# Where the records a line names are shown (their apps' existing detail pages).
RECORD_ROUTES = {
    "revenue.contract": "revenue:contract_detail",
    "customers.account": "customers:account_detail",
    "aftersales.complaint": "aftersales:complaint_detail",
    "aftersales.renewal": "aftersales:renewal_detail",
    "aftersales.ticket": "aftersales:ticket_detail",
    "aftersales.nps": "aftersales:nps_detail",
}
EARLIER_LIMIT = 20
LINES_PER_PAGE = 50
# Pages follow the kinds in their declared order (deal, tranches, releases … adjustments).
KIND_ORDER = Case(
    *(When(kind=kind, then=Value(n)) for n, kind in enumerate(LineKind.values)),
    default=Value(len(LineKind.values)),
)
CHART_MONTHS = 6
ZERO = Decimal("0.00")
MONEY_SUM = DecimalField(max_digits=16, decimal_places=2)


def parse_month(value, *, name: str = "month") -> dt.date:
    """``"YYYY-MM"`` → the month's first day (``None``/empty: the current month);
    anything else is a ``ValidationError`` naming ``name``."""
    if value in (None, ""):
        return ledger.month_of(clock.today())
    if isinstance(value, dt.date):
        return ledger.month_of(value)
    text = str(value).strip()[:10]
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise ValidationError(
            {
                name: _("“%(value)s” is not a month: write it as YYYY-MM, e.g. 2026-11.")
                % {"value": text}
            },
            code="invalid",
        ) from None


def month_key(month: dt.date) -> str:
    return month.strftime("%Y-%m")


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass
class Record:
    model: str
    id: int | None
    label: str
    url: str | None


@dataclass
class StatementLine:
    """One ledger line as a statement shows it."""

    line: LedgerLine
    state: str  # pending | released | forfeited | earned
    state_text: str
    settled_in: dt.date | None
    condition: str
    records: list[Record]

    @property
    def pk(self) -> int:
        return self.line.pk


@dataclass
class KindGroup:
    """A kind's lines of the month: its count and sums (all its lines), and those of its
    lines on the page shown."""

    kind: str
    label: str
    lines: list[StatementLine]
    payable: Decimal
    pending: Decimal
    forfeited: Decimal
    count: int = 0


@dataclass
class Statement:
    rep: object
    month: dt.date
    period: PayoutPeriod | None
    groups: list[KindGroup]
    payable: Decimal
    pending: Decimal
    forfeited: Decimal
    factors: RepFactors | None
    coefficient: dict | None
    earlier: list[StatementLine] = field(default_factory=list)
    earlier_count: int = 0
    earlier_amount: Decimal = ZERO
    line_count: int = 0
    page: int = 1
    pages: int = 1
    kind: str = ""

    @property
    def key(self) -> str:
        return month_key(self.month)

    @property
    def lines(self) -> list[StatementLine]:
        """The lines on the page shown (every line when read with ``page=None``)."""
        return [line for group in self.groups for line in group.lines]

    @property
    def all_count(self) -> int:
        return sum(group.count for group in self.groups)

    @property
    def locked(self) -> bool:
        return bool(self.period and self.period.is_locked)


def record(model: str, pk, label) -> Record:
    route = RECORD_ROUTES.get(model)
    url = reverse(route, args=[pk]) if route and pk else None
    return Record(model=model, id=pk, label=str(label or f"#{pk}"), url=url)


def _records(line: LedgerLine) -> list[Record]:
    found: dict[tuple, Record] = {}
    if line.contract_id:
        found[("revenue.contract", line.contract_id)] = record(
            "revenue.contract", line.contract_id, line.contract.number
        )
    if line.account_id:
        found[("customers.account", line.account_id)] = record(
            "customers.account", line.account_id, line.account.name
        )
    explanation = line.explanation if isinstance(line.explanation, dict) else {}
    items = list(explanation.get("records") or [])
    event = explanation.get("event")
    if isinstance(event, dict):
        items += list(event.get("records") or [])
        if event.get("model") and event.get("id"):
            items.append(event)
    for item in items:
        if isinstance(item, dict) and item.get("model"):
            key = (item["model"], item.get("id"))
            found.setdefault(key, record(item["model"], item.get("id"), item.get("label")))
    return list(found.values())


class Conditions:
    """The release condition of tranche lines in words; loads what it needs once for a
    whole statement (the open-tranche thresholds, the contracts' instalments, the grace)."""

    def __init__(self, lines: list[LedgerLine]):
        payment = [
            line
            for line in lines
            if line.tranche == Tranche.PAYMENT and line.kind == LineKind.TRANCHE
        ]
        self.thresholds = dict(
            OpenTranche.objects.filter(line_id__in=[line.pk for line in payment]).values_list(
                "line_id", "paid_threshold"
            )
        )
        missing = {line.contract_id for line in payment if line.pk not in self.thresholds}
        missing |= {
            line.contract_id
            for line in lines
            if line.tranche == Tranche.PAYMENT and line.kind != LineKind.TRANCHE
        }
        self.instalments: dict[int, list] = defaultdict(list)
        if missing - {None}:
            from salesops.revenue.models import Instalment

            for contract_id, sequence, amount in Instalment.objects.filter(
                contract_id__in=missing - {None}
            ).values_list("contract_id", "sequence", "amount"):
                self.instalments[contract_id].append((sequence, amount))
        self._grace = None

    @property
    def grace(self) -> int:
        if self._grace is None:
            self._grace = IncentivePolicy.current().renewal_grace_days
        return self._grace

    def _threshold(self, line: LedgerLine, instalment) -> Decimal | None:
        source = line.settles if line.settles_id else line
        if source.pk in self.thresholds and self.thresholds[source.pk] is not None:
            return self.thresholds[source.pk]
        if instalment is None:
            return line.contract.amount if line.contract_id else None
        rows = sorted(self.instalments.get(line.contract_id, []))
        total = sum((amount for seq, amount in rows if seq <= int(instalment)), Decimal(0))
        return to_money(total) if rows else None

    def text(self, line: LedgerLine) -> str:
        if not line.tranche:
            return line.condition if line.condition not in Tranche.values else ""
        explanation = line.explanation if isinstance(line.explanation, dict) else {}
        if line.settles_id:
            explanation = line.settles.explanation or {}
        number = line.contract.number if line.contract_id else "—"
        account = line.account.name if line.account_id else "—"
        if line.tranche == Tranche.PAYMENT:
            detail = explanation.get("payment") or {}
            instalment = detail.get("instalment")
            threshold = self._threshold(line, instalment)
            amount = format_cny(threshold) if threshold is not None else "—"
            if instalment:
                return _(
                    "when %(amount)s has been received on contract %(number)s (instalment %(n)s)"
                ) % {"amount": amount, "number": number, "n": instalment}
            return _("when %(amount)s has been received on contract %(number)s") % {
                "amount": amount,
                "number": number,
            }
        due = line.due_on.isoformat() if line.due_on else "—"
        if line.tranche == Tranche.QUALITY:
            return _("no major complaint on %(account)s until %(due)s") % {
                "account": account,
                "due": due,
            }
        until = (line.due_on + dt.timedelta(days=self.grace)).isoformat() if line.due_on else "—"
        return _("%(account)s renews by %(until)s") % {"account": account, "until": until}


def _state(line: LedgerLine) -> tuple[str, str, dt.date | None]:
    if line.kind == LineKind.TRANCHE and line.state == LineState.PENDING:
        settlement = _safe_settlement(line)
        if settlement is None:
            return "pending", _("pending"), None
        month = month_key(settlement.period)
        if settlement.state == LineState.EARNED:
            return "released", _("released in %(month)s") % {"month": month}, settlement.period
        return "forfeited", _("forfeited in %(month)s") % {"month": month}, settlement.period
    if line.state == LineState.PENDING:
        return "pending", _("pending"), None
    if line.state == LineState.FORFEITED:
        return "forfeited", _("forfeited"), None
    return "earned", _("payable"), None


def _safe_settlement(line):
    try:
        return line.settlement
    except LedgerLine.DoesNotExist:
        return None


def explain(lines: list[LedgerLine]) -> list[StatementLine]:
    conditions = Conditions(lines)
    out = []
    for line in lines:
        state, text, settled_in = _state(line)
        out.append(
            StatementLine(
                line=line,
                state=state,
                state_text=text,
                settled_in=settled_in,
                condition=conditions.text(line),
                records=_records(line),
            )
        )
    return out


LINE_RELATED = (
    "plan_version__plan",
    "contract",
    "account",
    "settles",
    "settlement",
    "approved_by",
)


def lines_qs():
    return LedgerLine.objects.select_related(*LINE_RELATED)


def totals(lines) -> dict[str, Decimal]:
    """Payable, pending and forfeited of a set of lines (by each line's own state)."""
    sums = {LineState.EARNED: ZERO, LineState.PENDING: ZERO, LineState.FORFEITED: ZERO}
    for line in lines:
        sums[line.state] = sums.get(line.state, ZERO) + line.amount
    return {
        "payable": to_money(sums[LineState.EARNED]),
        "pending": to_money(sums[LineState.PENDING]),
        "forfeited": to_money(sums[LineState.FORFEITED]),
    }


def coefficient_view(factors: RepFactors | None) -> dict | None:
    """The coefficient panel: the result, the three inputs, the CS points and cap."""
    if factors is None:
        return None
    explanation = factors.explanation if isinstance(factors.explanation, dict) else {}
    inputs = explanation.get("inputs") or {}
    cs = explanation.get("cs") or {}
    return {
        "coefficient": factors.coefficient,
        "raw": factors.coefficient_raw,
        "formula": explanation.get("formula", ""),
        "capped": bool(explanation.get("capped")),
        "neutral": list(explanation.get("neutral") or []),
        "counts": explanation.get("counts") or {},
        "response_hours": inputs.get("response_hours", factors.response_hours),
        "response_target": inputs.get("response_target"),
        "adoption": inputs.get("adoption", factors.adoption),
        "nps_change": inputs.get("nps_change", factors.nps_change),
        "cs_hours": cs.get("hours", factors.cs_hours),
        "cs_points": cs.get("points", factors.cs_points),
        "cs_per_point": cs.get("per_point"),
        "cs_max": cs.get("max"),
        "cs_cap_below": cs.get("cap_below"),
        "cs_cap": cs.get("cap"),
    }


def _visible_rep(user, rep_id) -> object:
    if not permissions.sees_statements(user) or not permissions.can_see_rep(user, rep_id):
        raise Http404(_("Not found, or you do not have access to it."))
    rep = get_user_model().objects.select_related("team").filter(pk=rep_id).first()
    if rep is None:
        raise Http404(_("Not found, or you do not have access to it."))
    return rep


def _sums(rows, kind: str | None = None) -> dict[str, Decimal]:
    """Payable, pending and forfeited from the grouped ``(kind, state, amount)`` rows."""
    by_state = defaultdict(Decimal)
    for row in rows:
        if kind is None or row["kind"] == kind:
            by_state[row["state"]] += row["amount"] or ZERO
    return {
        "payable": to_money(by_state[LineState.EARNED]),
        "pending": to_money(by_state[LineState.PENDING]),
        "forfeited": to_money(by_state[LineState.FORFEITED]),
    }


def statement(
    rep, month: dt.date, *, page: int | None = 1, kind: str = "", per_page: int = LINES_PER_PAGE
) -> Statement:
    """``rep``'s statement of ``month`` (no visibility check: see :func:`statement_for`).

    The totals and each kind's count and sums come from one grouped query over all the
    month's lines; the lines themselves are explained one page at a time (``page``; ``None``
    = every line), optionally of one ``kind``: a rep with hundreds of lines a month gets
    the page at once."""
    month = ledger.month_of(month)
    month_lines = LedgerLine.objects.filter(rep_id=rep.pk, period=month)
    rows = list(
        month_lines.order_by().values("kind", "state").annotate(n=Count("pk"), amount=Sum("amount"))
    )
    kind = kind if kind in LineKind.values else ""
    counts = defaultdict(int)
    for row in rows:
        counts[row["kind"]] += row["n"]
    line_count = counts[kind] if kind else sum(counts.values())
    pages = max(1, -(-line_count // per_page))
    shown = lines_qs().filter(rep_id=rep.pk, period=month).order_by(KIND_ORDER, "pk")
    if kind:
        shown = shown.filter(kind=kind)
    if page is not None:
        page = min(max(1, page), pages)
        shown = shown[(page - 1) * per_page : page * per_page]
    lines = explain(list(shown))
    by_kind: dict[str, list[StatementLine]] = defaultdict(list)
    for item in lines:
        by_kind[item.line.kind].append(item)
    labels = dict(LineKind.choices)
    groups = [
        KindGroup(
            kind=k,
            label=str(labels[k]),
            lines=by_kind.get(k, []),
            count=counts[k],
            **_sums(rows, k),
        )
        for k in LineKind.values
        if counts[k]
    ]
    factors = RepFactors.objects.filter(rep_id=rep.pk, period=month).first()
    earlier_qs = OpenTranche.objects.filter(rep_id=rep.pk, line__period__lt=month)
    agg = earlier_qs.aggregate(
        n=Count("pk"), amount=Coalesce(Sum("line__amount"), Value(ZERO), output_field=MONEY_SUM)
    )
    # The ids first, then the lines: as one query (``pk__in`` a limited subquery) PostgreSQL
    # joins the whole ledger before it applies the limit (0.4 s at 200,000 lines).
    earlier_ids = list(
        earlier_qs.order_by("due_on", "line_id").values_list("line_id", flat=True)[:EARLIER_LIMIT]
    )
    earlier_lines = list(lines_qs().filter(pk__in=earlier_ids).order_by("period", "pk"))
    return Statement(
        rep=rep,
        month=month,
        period=PayoutPeriod.objects.filter(month=month).select_related("locked_by").first(),
        groups=groups,
        factors=factors,
        coefficient=coefficient_view(factors),
        earlier=explain(earlier_lines),
        earlier_count=agg["n"],
        earlier_amount=to_money(agg["amount"]),
        line_count=line_count,
        page=page or 1,
        pages=1 if page is None else pages,
        kind=kind,
        **_sums(rows),
    )


def statement_for(user, rep_id: int, month: dt.date, **options) -> Statement:
    """The statement ``user`` asked for, or 404 when it is not theirs to see."""
    return statement(_visible_rep(user, rep_id), month, **options)


def history(rep_id: int, month: dt.date, months: int = CHART_MONTHS) -> list[dict]:
    """Payable per month for the ``months`` months up to ``month`` (the chart)."""
    first = add_months(month, -(months - 1))
    rows = dict(
        LedgerLine.objects.filter(
            rep_id=rep_id, period__gte=first, period__lte=month, state=LineState.EARNED
        )
        .values("period")
        .annotate(total=Sum("amount"))
        .values_list("period", "total")
    )
    return [
        {"month": month_key(m), "payable": to_money(rows.get(m) or 0)}
        for m in (add_months(first, i) for i in range(months))
    ]


def latest_month(rep_id: int) -> dt.date:
    """The month a statement opens on: the latest up to this one with a line for the rep
    (this month when there is none yet): the rep's index answers it."""
    today = ledger.month_of(clock.today())
    found = (
        LedgerLine.objects.filter(rep_id=rep_id, period__lte=today)
        .order_by("-period")
        .values_list("period", flat=True)
        .first()
    )
    return found or today


def month_choices(rep_id: int, current: dt.date) -> list[str]:
    """The months the picker offers: the last 12 up to today, and the one shown."""
    today = ledger.month_of(clock.today())
    months = {add_months(today, -i) for i in range(12)} | {current}
    return [month_key(m) for m in sorted(months, reverse=True)]


@dataclass
class LineDetail:
    item: StatementLine
    settlement: StatementLine | None
    settles: StatementLine | None
    source: StatementLine | None
    derived: list[StatementLine]
    adjustments: list[StatementLine]
    factors: dict | None
    event: dict | None
    inputs: dict

    # one-row lists for the templates' line table
    @property
    def settles_list(self) -> list[StatementLine]:
        return [self.settles] if self.settles else []

    @property
    def settlement_list(self) -> list[StatementLine]:
        return [self.settlement] if self.settlement else []

    @property
    def source_list(self) -> list[StatementLine]:
        return [self.source] if self.source else []


def line_detail(user, pk: int) -> LineDetail:
    """Everything about one line: its state and event, the tranche it settles or its
    settlement, its source line, the lines derived from it (mentor rewards) and the
    adjustments to it; 404 when it is not ``user``'s to see."""
    line = lines_qs().select_related("rep", "run", "created_by").filter(pk=pk).first()
    if line is None:
        raise Http404(_("Not found, or you do not have access to it."))
    _visible_rep(user, line.rep_id)
    related = {line.pk: line}
    ids = {line.settles_id, line.source_line_id} - {None}
    settlement = LedgerLine.objects.filter(settles_id=line.pk).values_list("pk", flat=True)
    ids |= set(settlement)
    for other in lines_qs().filter(Q(pk__in=ids) | Q(source_line_id=line.pk)).order_by("pk"):
        related[other.pk] = other
    explained = {item.pk: item for item in explain(list(related.values()))}
    derived = [explained[k] for k, v in related.items() if v.source_line_id == line.pk]
    item = explained[line.pk]
    explanation = line.explanation if isinstance(line.explanation, dict) else {}
    event = explanation.get("event")
    settlement_id = next(iter(settlement), None)
    if settlement_id and not event:
        event = (explained[settlement_id].line.explanation or {}).get("event")
    factors = RepFactors.objects.filter(rep_id=line.rep_id, period=line.period).first()
    inputs = explanation.get("inputs") or (
        (line.settles.explanation or {}).get("inputs") if line.settles_id else None
    )
    return LineDetail(
        item=item,
        settlement=explained.get(settlement_id) if settlement_id else None,
        settles=explained.get(line.settles_id) if line.settles_id else None,
        source=explained.get(line.source_line_id) if line.source_line_id else None,
        derived=[d for d in derived if d.line.kind != LineKind.ADJUSTMENT],
        adjustments=[d for d in derived if d.line.kind == LineKind.ADJUSTMENT],
        factors=coefficient_view(factors),
        event=event if isinstance(event, dict) else ({"text": event} if event else None),
        inputs=inputs or {},
    )

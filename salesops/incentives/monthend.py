"""The month-end bonus run (SPEC I1, I3, I4, T5): every rep and manager with a plan
version in force at the month's end gets

* a **deal** bonus per contract signed in the month (base × coefficient, written as the
  deferred tranches by :mod:`.tranches`);
* a **monthly** reward (KPI score, target attainment, signed amount);
* a **quarterly** reward when the month ends a fiscal quarter;
* a **breakthrough** award for the first contract with a hard account;
* a share of the team's **process-health** award (T5) when the quarter earned one:
  pool = the members' quarterly rewards, share = own ÷ pool.

Every line carries its formula, plan version, base, coefficient, the inputs as strings and
the records behind it (P4). The run is idempotent (every line has a key); a locked month is
refused. :func:`replay` recomputes what the run would write and compares it with what was
written.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesops.core import clock, expressions
from salesops.core.expressions import ExpressionError
from salesops.core.money import to_money
from salesops.targets.models import TargetPolicy

from . import assignment, factors, formulas, ledger, tranches
from . import monthend_awards as awards
from .models import (
    BonusRun,
    ComponentKind,
    IncentivePolicy,
    LedgerLine,
    LineKind,
    LineState,
    RunState,
)

logger = logging.getLogger(__name__)
SHARE = Decimal("0.000001")
COEFFICIENT = Decimal("0.001")
ZERO = Decimal("0.00")


def _values(amount, base, coefficient) -> dict:
    """A line's numbers as the replay compares them."""
    return {
        "amount": str(to_money(amount)),
        "base": None if base is None else str(to_money(base)),
        "coefficient": None
        if coefficient is None
        else str(Decimal(coefficient).quantize(COEFFICIENT)),
    }


@dataclass
class Spec:
    """One line the run writes (a deal: the bonus before its split into tranches)."""

    key: str
    rep_id: int
    kind: str
    amount: Decimal
    base: Decimal
    coefficient: Decimal | None
    version: object
    component: object
    explanation: dict
    contract: object = None
    account_id: int | None = None
    percent: Decimal | None = None
    extra: dict = field(default_factory=dict)

    def values(self) -> dict:
        return _values(self.amount, self.base, self.coefficient)


@dataclass
class Month:
    """What a run of one month knows: the month, the people and their versions, their
    coefficients, the policies."""

    month: dt.date
    versions: dict
    coefficients: dict
    factor_notes: dict
    policy: IncentivePolicy
    target_policy: TargetPolicy
    compiled: dict = field(default_factory=dict)

    @property
    def next(self) -> dt.date:
        return ledger.next_month(self.month)

    def component(self, rep_id: int, kind: str):
        version = self.versions.get(rep_id)
        if version is None:
            return None
        for component in version.components.all():
            if component.kind == kind:
                return component
        return None

    def evaluate(self, component, variables: dict) -> Decimal:
        """The component's formula in money (compiled once per component)."""
        compiled = self.compiled.get(component.pk)
        try:
            if compiled is None:
                compiled = expressions.compile_expression(
                    component.formula, formulas.names(component.kind)
                )
                self.compiled[component.pk] = compiled
            value = formulas._decimal(expressions.evaluate(compiled, variables))
        except (ExpressionError, ArithmeticError) as exc:
            raise ValidationError(
                {
                    "formula": _("“%(label)s” of %(version)s cannot be computed: %(error)s")
                    % {"label": component.label, "version": component.version, "error": exc}
                }
            ) from exc
        return max(to_money(value), ZERO)


def _month_text(month: dt.date) -> str:
    return month.strftime("%Y-%m")


def refuse_locked(month: dt.date) -> None:
    if ledger.is_locked(month):
        raise ValidationError(
            {
                "month": _("%(month)s is approved and locked: its bonus run cannot run again.")
                % {"month": _month_text(month)}
            }
        )


def _strings(variables: dict) -> dict:
    return {name: str(value) for name, value in variables.items()}


def _coefficient_note(ctx: Month, rep_id: int) -> dict:
    return ctx.factor_notes.get(rep_id, {})


def _spec(ctx: Month, rep_id: int, component, kind: str, key: str, variables: dict, records):
    base = ctx.evaluate(component, variables)
    if base <= 0:
        return None
    coefficient = ctx.coefficients.get(rep_id) if component.apply_coefficient else None
    amount = to_money(base * (coefficient if coefficient is not None else 1))
    if amount <= 0:
        return None
    explanation = {
        "inputs": _strings(variables),
        "component": component.label,
        "records": records,
        "month": _month_text(ctx.month),
    }
    if coefficient is not None:
        explanation["coefficient"] = _coefficient_note(ctx, rep_id)
    return Spec(
        key=key,
        rep_id=rep_id,
        kind=kind,
        amount=amount,
        base=base,
        coefficient=coefficient,
        version=ctx.versions[rep_id],
        component=component,
        explanation=explanation,
    )


# --- the kinds ----------------------------------------------------------------------------


def _deals(ctx: Month, contracts, first) -> list[Spec]:
    specs = []
    levels = set(ctx.policy.breakthrough_levels or [])
    for contract in contracts:
        component = ctx.component(contract.owner_id, ComponentKind.DEAL)
        if component is None:
            continue
        variables = {
            "contract_amount": to_money(contract.amount),
            "term_months": Decimal(contract.term_months or 0),
            "repeat": Decimal(0 if awards.is_first(contract, first) else 1),
            "key_account": Decimal(1 if contract.account.level in levels else 0),
        }
        records = _contract_records(contract)
        spec = _spec(
            ctx,
            contract.owner_id,
            component,
            LineKind.DEAL,
            f"deal:{contract.pk}",
            variables,
            records,
        )
        if spec is not None:
            spec.contract, spec.account_id = contract, contract.account_id
            spec.extra["deferred"] = component.deferred
            specs.append(spec)
    return specs


def _contract_records(contract) -> list[dict]:
    """The records behind a contract's line: the contract and its account."""
    return [
        awards.record("revenue.contract", contract.pk, contract.number),
        awards.record("customers.account", contract.account_id, contract.account.name),
    ]


def _periodic(ctx: Month, kind: str, months: list[dt.date], contracts) -> list[Spec]:
    reps = [pk for pk in ctx.versions if ctx.component(pk, kind) is not None]
    if not reps:
        return []
    scores = awards.kpi_scores(reps, months)
    goals = awards.targets(reps, months, ctx.target_policy)
    totals = awards.signed_totals(c for c in contracts if c.owner_id in set(reps))
    specs = []
    for rep_id in reps:
        score, score_records = scores.get(rep_id, (Decimal("0.00"), []))
        target, achieved, target_records = goals.get(rep_id, (ZERO, ZERO, []))
        amount, count, contract_records = totals.get(rep_id, (ZERO, 0, []))
        variables = {
            "kpi_score": score,
            "target": target,
            "achieved": achieved,
            "attainment": awards.attainment(target, achieved),
            "signed_amount": amount,
            "contracts": Decimal(count),
        }
        key = f"{kind}:{rep_id}:{_month_text(ctx.month)}"
        records = score_records + target_records + contract_records
        component = ctx.component(rep_id, kind)
        spec = _spec(ctx, rep_id, component, kind, key, variables, records)
        if spec is not None:
            spec.explanation["months"] = [_month_text(m) for m in months]
            specs.append(spec)
    return specs


def _breakthroughs(ctx: Month, contracts, first) -> list[Spec]:
    levels = set(ctx.policy.breakthrough_levels or [])
    specs = []
    for contract in contracts:
        if contract.account.level not in levels or not awards.is_first(contract, first):
            continue
        component = ctx.component(contract.owner_id, ComponentKind.BREAKTHROUGH)
        if component is None:
            continue
        records = _contract_records(contract)
        spec = _spec(
            ctx,
            contract.owner_id,
            component,
            LineKind.BREAKTHROUGH,
            f"breakthrough:{contract.pk}",
            {"contract_amount": to_money(contract.amount)},
            records,
        )
        if spec is not None:
            spec.contract, spec.account_id = contract, contract.account_id
            spec.explanation["account_level"] = contract.account.level
            specs.append(spec)
    return specs


def _process_health(ctx: Month, year: int, quarter: int, quarterly: list[Spec]) -> list[Spec]:
    found = awards.awards(year, quarter)
    if not found:
        return []
    own = {spec.rep_id: spec.amount for spec in quarterly}
    paths = dict(
        get_user_model().objects.filter(pk__in=list(ctx.versions)).values_list("pk", "team__path")
    )
    specs = []
    for award in found:
        members = sorted(
            pk for pk, path in paths.items() if path and path.startswith(award.team.path)
        )
        pool = to_money(sum((own.get(pk, ZERO) for pk in members), ZERO))
        if pool <= 0:
            continue
        records = awards.award_records(award)
        for rep_id in members:
            component = ctx.component(rep_id, ComponentKind.PROCESS_HEALTH)
            if component is None or own.get(rep_id, ZERO) <= 0:
                continue
            share = (own[rep_id] / pool).quantize(SHARE)
            variables = {"pool": pool, "percent": award.percent, "share": share}
            key = f"process_health:{award.pk}:{rep_id}"
            spec = _spec(ctx, rep_id, component, LineKind.PROCESS_HEALTH, key, variables, records)
            if spec is not None:
                spec.percent = award.percent
                spec.explanation["award"] = {
                    "team": award.team.name,
                    "quarter": quarter,
                    "fiscal_year": year,
                    "members": len(members),
                }
                specs.append(spec)
    return specs


# --- drafting, writing, replaying ---------------------------------------------------------


def _context(month: dt.date, *, persist: bool) -> Month:
    versions = assignment.versions_for(awards.last_day(month))
    if persist:
        rows = factors.compute(month, list(versions))
        coefficients = {pk: row.coefficient for pk, row in rows.items()}
        notes = {pk: row.explanation for pk, row in rows.items()}
    else:
        values = factors.calculate(month, list(versions))
        coefficients = {pk: v.coefficient for pk, v in values.items()}
        notes = {pk: v.explanation for pk, v in values.items()}
    notes = {
        pk: {
            "value": str(coefficients[pk]),
            "raw": note.get("raw"),
            "clamped": note.get("clamped"),
            "capped": note.get("capped"),
            "cs_points": note.get("cs", {}).get("points"),
            "inputs": note.get("inputs"),
            "neutral": note.get("neutral"),
        }
        for pk, note in notes.items()
    }
    return Month(
        month=month,
        versions=versions,
        coefficients=coefficients,
        factor_notes=notes,
        policy=IncentivePolicy.current(),
        target_policy=TargetPolicy.current(),
    )


def draft(ctx: Month, progress=None) -> list[Spec]:
    """Every line the month's run writes, computed (nothing written)."""
    report = progress or (lambda percent: None)
    contracts = awards.signed(list(ctx.versions), ctx.month, ctx.next)
    first = awards.first_contracts(contracts)
    specs = _deals(ctx, contracts, first)
    report(40)
    specs += _periodic(ctx, ComponentKind.MONTHLY, [ctx.month], contracts)
    quarter = awards.quarter_ending(ctx.month, ctx.target_policy)
    if quarter is not None:
        year, number, months = quarter
        in_quarter = awards.signed(list(ctx.versions), months[0], ctx.next)
        quarterly = _periodic(ctx, ComponentKind.QUARTERLY, months, in_quarter)
        specs += quarterly
        specs += _process_health(ctx, year, number, quarterly)
    specs += _breakthroughs(ctx, contracts, first)
    report(60)
    return specs


def _line(spec: Spec, run: BonusRun, month: dt.date) -> LedgerLine:
    return LedgerLine(
        rep_id=spec.rep_id,
        period=month,
        kind=spec.kind,
        state=LineState.EARNED,
        amount=spec.amount,
        key=spec.key,
        base=spec.base,
        coefficient=spec.coefficient,
        percent=spec.percent,
        plan_version=spec.version,
        formula=spec.component.formula,
        explanation=spec.explanation,
        contract_id=spec.contract.pk if spec.contract is not None else None,
        account_id=spec.account_id,
        run=run,
    )


def _deal_keys_written(specs: list[Spec]) -> set[int]:
    ids = [spec.contract.pk for spec in specs]
    written = set()
    for start in range(0, len(ids), 900):
        written.update(
            LedgerLine.objects.filter(
                contract_id__in=ids[start : start + 900], kind__in=[LineKind.DEAL, LineKind.TRANCHE]
            ).values_list("contract_id", flat=True)
        )
    return written


def _write_deals(specs: list[Spec], ctx: Month, run: BonusRun) -> int:
    written = _deal_keys_written(specs)
    items = [
        {
            "contract": spec.contract,
            "rep_id": spec.rep_id,
            "base": spec.base,
            "coefficient": spec.coefficient,
            "plan_version": spec.version,
            "formula": spec.component.formula,
            "deferred": spec.extra.get("deferred", True),
            "explanation": spec.explanation,
        }
        for spec in specs
        if spec.contract.pk not in written
    ]
    if not items:
        return 0
    tranches.accrue_deals(items, month=ctx.month, run=run, policy=ctx.policy)
    return len(items)


def _summary(specs: list[Spec], reps: int, new: dict[str, int]) -> dict:
    kinds: dict[str, dict] = {}
    for spec in specs:
        entry = kinds.setdefault(spec.kind, {"count": 0, "amount": ZERO, "new": 0})
        entry["count"] += 1
        entry["amount"] += spec.amount
    for kind, count in new.items():
        kinds.setdefault(kind, {"count": 0, "amount": ZERO, "new": 0})["new"] = count
    total = sum((entry["amount"] for entry in kinds.values()), ZERO)
    return {
        "reps": reps,
        "lines": sum(entry["count"] for entry in kinds.values()),
        "new": sum(new.values()),
        "amount": str(to_money(total)),
        "kinds": {
            kind: {**entry, "amount": str(to_money(entry["amount"]))}
            for kind, entry in sorted(kinds.items())
        },
    }


def run_month(month: dt.date, *, by=None, progress=None) -> BonusRun:
    """Run ``month``'s bonuses (idempotent); refuses a locked month. The run row records
    the summary, or the error when it failed (nothing of a failed run is written)."""
    month = ledger.month_of(month)
    refuse_locked(month)
    run = BonusRun.objects.create(period=month, started_by=by)

    def report(percent) -> None:
        percent = max(0, min(100, int(percent)))
        BonusRun.objects.filter(pk=run.pk).update(progress=percent)
        if progress is not None:
            progress(percent)

    try:
        with transaction.atomic():
            report(5)
            ctx = _context(month, persist=True)
            report(20)
            specs = draft(ctx, report)
            deals = [spec for spec in specs if spec.kind == LineKind.DEAL]
            others = [spec for spec in specs if spec.kind != LineKind.DEAL]
            new = {LineKind.DEAL.value: _write_deals(deals, ctx, run)}
            report(80)
            for line in ledger.write_many([_line(spec, run, month) for spec in others]):
                new[line.kind] = new.get(line.kind, 0) + 1
            report(95)
    except Exception as exc:
        BonusRun.objects.filter(pk=run.pk).update(
            state=RunState.FAILED,
            finished_at=clock.now(),
            error=(" ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))[:500],
        )
        raise
    run.summary = _summary(specs, len(ctx.versions), new)
    run.state = RunState.DONE
    run.progress = 100
    run.finished_at = clock.now()
    run.save(update_fields=["summary", "state", "progress", "finished_at"])
    if progress is not None:
        progress(100)
    return run


STORED_KINDS = (
    LineKind.MONTHLY,
    LineKind.QUARTERLY,
    LineKind.BREAKTHROUGH,
    LineKind.PROCESS_HEALTH,
)


def _stored(month: dt.date) -> dict[str, dict]:
    """What the runs wrote for ``month``: the award lines by key, the deal bonuses by
    ``deal:<contract>`` (the tranches added up)."""
    result: dict[str, dict] = {}
    lines = LedgerLine.objects.filter(period=month, kind__in=STORED_KINDS).values_list(
        "key", "amount", "base", "coefficient"
    )
    for key, amount, base, coefficient in lines:
        result[key] = _values(amount, base, coefficient)
    deals = LedgerLine.objects.filter(
        period=month, kind__in=[LineKind.DEAL, LineKind.TRANCHE], contract__isnull=False
    ).values_list("contract_id", "amount", "base", "coefficient")
    grouped: dict[str, list] = {}
    for contract_id, amount, base, coefficient in deals:
        entry = grouped.setdefault(f"deal:{contract_id}", [Decimal(0), base, coefficient])
        entry[0] += amount
    for key, (amount, base, coefficient) in grouped.items():
        result[key] = _values(amount, base, coefficient)
    return result


def replay(month: dt.date) -> list[dict]:
    """Recompute every line ``month``'s run would write (nothing written) and compare with
    the lines stored: ``[]`` when the same, else ``[{"key", "stored", "recomputed"}]``
    (``None`` on the side that has no such line)."""
    month = ledger.month_of(month)
    ctx = _context(month, persist=False)
    specs = draft(ctx)
    recomputed = {spec.key: spec.values() for spec in specs}
    stored = _stored(month)
    differences = []
    for key in sorted(set(recomputed) | set(stored)):
        old, new = stored.get(key), recomputed.get(key)
        if old != new:
            differences.append({"key": key, "stored": old, "recomputed": new})
    return differences

"""Rep targets: a rep's amount in a target plan, set through the decomposition's
:func:`targets.decomposition.shares_adjust` (the manager's adjustment before publishing).

Targets exist only inside a plan's decomposition: a row names the plan (its name, and
its fiscal year when two years share a name), the rep and the rep's target for the
plan's year; the months follow from the plan's seasonal index, as on the page. So:

- the plan must be decomposed and not yet published (a published plan changes only by
  an adjustment the director approves: the row is refused and says so);
- a plan's targets must add up to its pool, so the rows of one plan are written
  together, in one call of the service: when they do not add up, every changed row of
  that plan is an error saying by how much (the other plans' rows still go in). Rows of
  one plan must therefore sit in the same 500-row part of a file;
- one reason is recorded per plan and import: the first reason the plan's rows give, or
  the import itself;
- who: sales-ops admins and directors for every rep, managers for their reps (as on the
  decomposition page); a row about any other rep is an error naming the rep.
"""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from salesops.targets import decomposition, permissions
from salesops.targets.models import Allocation, Measure, TargetPlan

from ..registry import (
    Field,
    Importer,
    Kind,
    Outcome,
    find_user,
    register,
    rolled_back,
    user_name,
)

# Where a refusal of the decomposition service lands in the row.
COLUMN_OF = {"amounts": "amount", "pool": "amount", "state": "plan", "plan": "plan"}


@register
class TargetImporter(Importer):
    entity = "target"
    label = _l("Rep targets")
    model = Allocation
    # A plan's rows are written in one call; keep a whole part of the file together.
    batch_size = 500

    def can_import(self, user) -> bool:
        return permissions.can_configure(user) or bool(
            user and user.is_active and user.is_manager_role
        )

    def fields(self):
        return [
            Field(
                "plan",
                _l("target plan"),
                kind=Kind.REF,
                required=True,
                identifies=True,
                aliases=("目标计划", "计划", "plan"),
            ),
            Field(
                "fiscal_year",
                _l("fiscal year"),
                kind=Kind.INT,
                identifies=True,
                aliases=("年度", "year"),
            ),
            Field(
                "rep",
                _l("rep"),
                kind=Kind.REF,
                required=True,
                identifies=True,
                aliases=("销售", "负责人", "owner"),
            ),
            Field(
                "measure",
                _l("measure"),
                kind=Kind.CHOICE,
                choices=tuple(Measure.choices),
                help=_l("Only checked: it must be the plan's."),
            ),
            Field(
                "amount",
                _l("target"),
                kind=Kind.MONEY,
                required=True,
                aliases=("目标金额", "年度目标", "amount"),
            ),
            Field("reason", _l("reason"), aliases=("调整原因",)),
        ]

    # --- writing: a plan's rows together ---------------------------------------------------
    def write(self, values, ctx):
        return self.write_many([(values, ctx)])[0]

    def check_many(self, items):
        outcomes = []
        with rolled_back():
            outcomes = self._apply(items)
        return outcomes

    def write_many(self, items):
        return self._apply(items)

    def _apply(self, items) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(items)
        groups: dict[int, list[tuple[int, Allocation, dict]]] = defaultdict(list)
        for index, (values, ctx) in enumerate(items):
            try:
                allocation = self._allocation(values, ctx)
            except (ValidationError, PermissionDenied) as exc:
                outcomes[index] = Outcome.from_exception(exc)
                continue
            groups[allocation.plan_id].append((index, allocation, values))
        for rows in groups.values():
            for index, outcome in zip([r[0] for r in rows], self._adjust(rows, items), strict=True):
                outcomes[index] = outcome
        return outcomes

    def _adjust(self, rows, items) -> list[Outcome]:
        """One call of the service for one plan's rows; each row's outcome."""
        plan = rows[0][1].plan
        ctx = items[rows[0][0]][1]
        changed = [(a, v) for _i, a, v in rows if v["amount"] != a.amount]
        if not changed:
            return [_unchanged(a) for _i, a, _v in rows]
        source = ctx.job.source if ctx.job is not None else "import"
        reason = next((v["reason"] for _a, v in changed if v.get("reason")), None)
        try:
            with transaction.atomic():
                decomposition.shares_adjust(
                    plan=plan,
                    actor=ctx.actor,
                    amounts={a.rep_id: v["amount"] for _i, a, v in rows},
                    reason=reason or source,
                )
        except (ValidationError, PermissionDenied) as exc:
            return [
                _on_columns(exc) if v["amount"] != a.amount else _unchanged(a) for _i, a, v in rows
            ]
        return [
            Outcome("update", object_id=a.pk) if v["amount"] != a.amount else _unchanged(a)
            for _i, a, v in rows
        ]

    def _allocation(self, values, ctx) -> Allocation:
        """The rep's target row in the version in force of the plan the row names; a
        plan, rep or measure that does not fit raises naming its column."""
        plan = find_plan(values["plan"], values.get("fiscal_year"), ctx)
        if plan is None:
            raise ValidationError(
                {
                    "plan": [
                        _("No target plan you can see is called “%(name)s”.")
                        % {"name": values["plan"]}
                    ]
                }
            )
        if values.get("measure") and values["measure"] != plan.measure:
            raise ValidationError(
                {
                    "measure": [
                        _("The plan “%(plan)s” measures “%(measure)s”.")
                        % {"plan": plan.name, "measure": plan.get_measure_display()}
                    ]
                }
            )
        try:
            rep = find_user(values["rep"], ctx)
        except ValueError as exc:
            raise ValidationError({"rep": [str(exc)]}) from exc
        if not permissions.can_adjust_rep(ctx.actor, rep):
            raise ValidationError(
                {"rep": [_("You may not change the target of %(rep)s.") % {"rep": rep}]}
            )
        allocation = (
            Allocation.objects.filter(plan=plan, version=plan.version, rep=rep)
            .select_related("plan", "rep")
            .first()
        )
        if allocation is None:
            raise ValidationError(
                {
                    "rep": [
                        _(
                            "%(rep)s has no target in the plan “%(plan)s”; decompose the plan "
                            "with the rep in its team first."
                        )
                        % {"rep": rep, "plan": plan.name}
                    ]
                }
            )
        return allocation

    # --- export ----------------------------------------------------------------------------
    def export_rows(self, actor):
        plans = permissions.visible_plans(actor).order_by("-fiscal_year", "name", "pk")
        for plan in plans:
            rows = (
                permissions.visible_allocations(actor, plan)
                .select_related("rep")
                .order_by("rep__username", "pk")
            )
            for allocation in rows:
                yield {
                    "plan": plan.name,
                    "fiscal_year": plan.fiscal_year,
                    "rep": user_name(allocation.rep),
                    "measure": plan.measure,
                    "amount": allocation.amount,
                    "reason": allocation.reason,
                }


def _unchanged(allocation) -> Outcome:
    return Outcome(
        "unchanged",
        object_id=allocation.pk,
        message=_("The target is already %(amount)s.") % {"amount": f"{allocation.amount:,.2f}"},
    )


def _on_columns(exc: Exception) -> Outcome:
    outcome = Outcome.from_exception(exc)
    outcome.errors = [(COLUMN_OF.get(key, key), message) for key, message in outcome.errors]
    if isinstance(exc, PermissionDenied):
        outcome.errors = [("rep", message) for _key, message in outcome.errors]
    return outcome


def find_plan(name, fiscal_year, ctx) -> TargetPlan | None:
    """A plan the importing user may see, by name (and fiscal year when given; the
    latest year otherwise)."""
    key = (str(name).strip(), fiscal_year)
    cache = ctx.memo("target_plans", dict)
    if key not in cache:
        plans = permissions.visible_plans(ctx.actor).filter(name=key[0])
        if fiscal_year:
            plans = plans.filter(fiscal_year=fiscal_year)
        cache[key] = plans.order_by("-fiscal_year", "-pk").first()
    return cache[key]

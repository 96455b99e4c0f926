"""Bonus plans and their immutable versions (SPEC I1; P2: plans are data).

A plan is changed only by saving a new :class:`PlanVersion` (number + 1) with its
components, each a formula over its kind's variables (``formulas.VARIABLES``). Every
problem is found before anything is written and reported at once; a formula's problem
names its component (``{"components": ["月度奖励: 未知名称“kpi_scor”。"]}``). A new
version starts today or later: past months keep the version they were paid with. Which
plan applies to whom (team subtree, role) is the engine's ``assignment``; this module only
writes and describes plans.
"""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.core.expressions import ExpressionError, compile_expression
from salesops.core.money import to_money
from salesops.org.models import Role, Team

from . import formulas, permissions
from .models import BonusPlan, ComponentKind, IncentivePolicy, PlanComponent, PlanVersion

COMPONENT_KEYS = ("kind", "label", "formula", "deferred", "apply_coefficient", "position")
PREVIEW_MAX_CONTRACTS = 5000
# The example values the help panel and the check show for the kinds without a cheap
# real-data preview (strings: Decimal end to end).
EXAMPLES: dict[str, dict[str, str]] = {
    ComponentKind.DEAL: {
        "contract_amount": "100000",
        "term_months": "12",
        "repeat": "0",
        "key_account": "0",
    },
    ComponentKind.MONTHLY: {
        "kpi_score": "85",
        "target": "200000",
        "achieved": "180000",
        "attainment": "0.9",
        "signed_amount": "180000",
        "contracts": "3",
    },
    ComponentKind.QUARTERLY: {
        "kpi_score": "82",
        "target": "600000",
        "achieved": "630000",
        "attainment": "1.05",
        "signed_amount": "630000",
        "contracts": "8",
    },
    ComponentKind.BREAKTHROUGH: {"contract_amount": "300000"},
    ComponentKind.PROCESS_HEALTH: {"pool": "60000", "percent": "15", "share": "0.25"},
}


class ComponentErrors(ValidationError):
    """A version's problems by field (``components`` holds "label: problem" lines) and,
    for the editor, the same problems by component kind (``by_kind``)."""

    def __init__(self, errors: dict, by_kind: dict[str, list[str]]):
        super().__init__(errors)
        self.by_kind = by_kind


def require_configurer(user) -> None:
    if not permissions.can_configure(user):
        raise PermissionDenied(_("Only a sales-ops admin or a director configures bonus plans."))


def last_month(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    today = today or clock.today()
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


# --- reading ------------------------------------------------------------------------------


def plans_list(*, q: str = "", role: str = "", active: str = "") -> QuerySet:
    qs = BonusPlan.objects.select_related("team").annotate(latest=Max("versions__number"))
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(name__icontains=q) | Q(team__name__icontains=q) | Q(description__icontains=q)
        )
    if role in Role.values:
        qs = qs.filter(role=role)
    if active in ("yes", "no"):
        qs = qs.filter(is_active=active == "yes")
    return qs.order_by("role", "name", "pk")


def latest_version(plan: BonusPlan) -> PlanVersion | None:
    return plan.versions.order_by("-number").first()


def current_version(plan: BonusPlan, on: dt.date | None = None) -> PlanVersion | None:
    """The version in force on ``on`` (today): the latest effective one, for display."""
    on = on or clock.today()
    return plan.versions.filter(effective_on__lte=on).order_by("-effective_on", "-number").first()


def components_of(version: PlanVersion | None) -> list[PlanComponent]:
    if version is None:
        return []
    return list(version.components.order_by("position", "pk"))


def _summary(component: PlanComponent) -> dict:
    return {
        "label": component.label,
        "formula": component.formula,
        "deferred": component.deferred,
        "apply_coefficient": component.apply_coefficient,
    }


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def version_changes(version: PlanVersion) -> list[str]:
    """What changed against the previous version, in words (empty for version 1)."""
    previous = (
        PlanVersion.objects.filter(plan=version.plan_id, number__lt=version.number)
        .order_by("-number")
        .first()
    )
    if previous is None:
        return []
    changes = []
    if previous.effective_on != version.effective_on:
        changes.append(
            _("effective from %(old)s → %(new)s")
            % {"old": previous.effective_on, "new": version.effective_on}
        )
    before = {c.kind: _summary(c) for c in components_of(previous)}
    after = {c.kind: _summary(c) for c in components_of(version)}
    labels = dict(ComponentKind.choices)
    for kind in sorted(after.keys() - before.keys()):
        changes.append(_("added %(kind)s") % {"kind": labels.get(kind, kind)})
    for kind in sorted(before.keys() - after.keys()):
        changes.append(_("removed %(kind)s") % {"kind": labels.get(kind, kind)})
    what = {
        "label": _("label"),
        "formula": _("formula"),
        "deferred": _("release in tranches"),
        "apply_coefficient": _("customer-health coefficient"),
    }
    for kind in sorted(after.keys() & before.keys()):
        old, new = before[kind], after[kind]
        for key, label in what.items():
            if old[key] != new[key]:
                a, b = old[key], new[key]
                if isinstance(a, bool):
                    a, b = _yes_no(a), _yes_no(b)
                changes.append(
                    _("%(component)s: %(what)s %(old)s → %(new)s")
                    % {"component": new["label"], "what": label, "old": a, "new": b}
                )
    return changes


def variables_help(kind: str) -> list[dict]:
    """The variables a formula of ``kind`` may read, with their meaning and an example."""
    examples = EXAMPLES.get(kind, {})
    return [
        {"name": name, "meaning": str(meaning), "example": examples.get(name, "")}
        for name, meaning in formulas.VARIABLES.get(kind, {}).items()
    ]


# --- writing ------------------------------------------------------------------------------


def _clean_name(name, errors: dict) -> str:
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Enter the plan's name.")]
    elif len(name) > 100:
        errors["name"] = [_("At most 100 characters.")]
    return name


def _clean_description(description, errors: dict) -> str:
    description = (description or "").strip()
    if len(description) > 500:
        errors["description"] = [_("At most 500 characters.")]
    return description


def _active_clash(role: str, team, exclude_pk=None) -> bool:
    qs = BonusPlan.objects.filter(role=role, team=team, is_active=True)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def _clash_message(role: str, team) -> str:
    return _(
        "An active plan for %(role)s in %(team)s exists already; edit it (a new version) "
        "or deactivate it first."
    ) % {"role": Role(role).label, "team": team or _("the whole organisation")}


@transaction.atomic
def create_plan(*, by, name: str, role: str, team: Team | None = None, description: str = ""):
    """A plan without versions yet (its first version is saved in the editor). One active
    plan per role and team."""
    require_configurer(by)
    errors: dict = {}
    name = _clean_name(name, errors)
    description = _clean_description(description, errors)
    if role not in (Role.REP, Role.MANAGER):
        errors["role"] = [
            _("Choose a role that is paid by the plans: %(choices)s.")
            % {"choices": ", ".join((str(Role.REP.label), str(Role.MANAGER.label)))}
        ]
    if team is not None and not isinstance(team, Team):
        errors["team"] = [_("Unknown team.")]
    if not errors and _active_clash(role, team):
        errors["team"] = [_clash_message(role, team)]
    if errors:
        raise ValidationError(errors)
    return BonusPlan.objects.create(
        name=name, role=role, team=team, description=description, created_by=by
    )


@transaction.atomic
def update_plan(*, by, plan: BonusPlan, name=None, description=None, is_active=None) -> BonusPlan:
    """Rename, describe or (de)activate a plan; its formulas change by a new version."""
    require_configurer(by)
    plan = BonusPlan.objects.select_for_update().get(pk=plan.pk)
    errors: dict = {}
    if name is not None:
        plan.name = _clean_name(name, errors)
    if description is not None:
        plan.description = _clean_description(description, errors)
    if is_active is not None:
        if is_active and not plan.is_active and _active_clash(plan.role, plan.team, plan.pk):
            errors["is_active"] = [_clash_message(plan.role, plan.team)]
        plan.is_active = bool(is_active)
    if errors:
        raise ValidationError(errors)
    plan._history_user = by
    plan.save()
    return plan


def _flag(value) -> bool | None:
    if isinstance(value, bool):
        return value
    if value in (None, ""):
        return False
    text = str(value).strip().lower()
    if text in ("1", "true", "on", "yes"):
        return True
    if text in ("0", "false", "off", "no"):
        return False
    return None


def _clean_component(index: int, raw, errors: list[str], by_kind: dict) -> dict | None:
    if not isinstance(raw, dict):
        errors.append(_("Component %(n)d: give kind, label and formula.") % {"n": index + 1})
        return None
    kind = str(raw.get("kind") or "").strip()
    kinds = dict(ComponentKind.choices)
    if kind not in kinds:
        errors.append(
            _("Component %(n)d: unknown kind “%(kind)s”; choose one of: %(choices)s.")
            % {"n": index + 1, "kind": kind, "choices": ", ".join(kinds)}
        )
        return None
    label = str(raw.get("label") or "").strip() or str(kinds[kind])
    problems: list[str] = []
    for key in raw:
        if key not in COMPONENT_KEYS:
            problems.append(_("unknown field “%(key)s”") % {"key": key})
    formula = str(raw.get("formula") or "").strip()
    if len(label) > 100:
        problems.append(_("the label has more than 100 characters"))
    if not formula:
        problems.append(_("enter a formula"))
    elif len(formula) > 1000:
        problems.append(_("the formula has more than 1000 characters"))
    else:
        problem = formula_problem(kind, formula)
        if problem:
            problems.append(problem)
    flags = {}
    for key in ("deferred", "apply_coefficient"):
        value = raw.get(key)
        flags[key] = True if value is None else _flag(value)  # the model's defaults
        if flags[key] is None:
            problems.append(_("%(field)s must be true or false") % {"field": key})
    try:
        position = int(raw.get("position", index) if raw.get("position") is not None else index)
    except (TypeError, ValueError):
        position = index
        problems.append(_("the order must be a whole number"))
    if not 0 <= position <= 1000:
        problems.append(_("the order must be between 0 and 1000"))
    if problems:
        by_kind.setdefault(kind, []).extend(problems)
        errors.extend(f"{label}: {p}" for p in problems)
    return {
        "kind": kind,
        "label": label,
        "formula": formula,
        # Only a deal bonus is split into tranches (I2); the others are paid when earned.
        "deferred": bool(flags["deferred"]) and kind == ComponentKind.DEAL,
        "apply_coefficient": bool(flags["apply_coefficient"]),
        "position": position,
    }


def formula_problem(kind: str, formula: str) -> str:
    """The problem with a formula in words (empty when usable); an unknown name comes with
    the names its kind offers."""
    allowed = formulas.names(kind)
    try:
        compile_expression(formula, allowed)
    except ExpressionError as exc:
        where = _(" (position %(n)d)") % {"n": exc.position} if exc.position is not None else ""
        text = f"{exc.message.rstrip('.。')}{where}"
        if exc.name and exc.name not in allowed:
            text += "; " + _("a %(kind)s formula may use: %(names)s") % {
                "kind": ComponentKind(kind).label,
                "names": ", ".join(sorted(allowed)),
            }
        return text
    return ""


def validate_components(components) -> tuple[list[str], dict[str, list[str]], list[dict]]:
    """``(problems, problems by kind, cleaned components)``; nothing is written."""
    errors: list[str] = []
    by_kind: dict[str, list[str]] = {}
    if not isinstance(components, list | tuple) or not components:
        return [_("Add at least one component.")], by_kind, []
    cleaned = []
    for index, raw in enumerate(components):
        item = _clean_component(index, raw, errors, by_kind)
        if item is None:
            continue
        if any(c["kind"] == item["kind"] for c in cleaned):
            message = _("%(kind)s is in the version twice; keep one.") % {
                "kind": ComponentKind(item["kind"]).label
            }
            errors.append(message)
            by_kind.setdefault(item["kind"], []).append(message)
            continue
        cleaned.append(item)
    return errors, by_kind, cleaned


@transaction.atomic
def save_version(
    plan: BonusPlan, *, by, effective_on: dt.date, components: list[dict], note: str = ""
) -> PlanVersion:
    """Save the plan's next immutable version (number = last + 1). All problems at once;
    nothing is written when there is one."""
    require_configurer(by)
    plan = BonusPlan.objects.select_for_update().get(pk=plan.pk)
    problems, by_kind, cleaned = validate_components(components)
    errors: dict = {}
    if problems:
        errors["components"] = problems
    last = plan.versions.aggregate(n=Max("number"))["n"] or 0
    today = clock.today()
    if not isinstance(effective_on, dt.date) or isinstance(effective_on, dt.datetime):
        errors["effective_on"] = [_("Enter a date as YYYY-MM-DD.")]
    elif last and effective_on < today:
        errors["effective_on"] = [
            _(
                "A new version cannot start in the past: past months keep the version they "
                "were paid with. The earliest is today (%(today)s)."
            )
            % {"today": today}
        ]
    note = (note or "").strip()
    if len(note) > 500:
        errors["note"] = [_("At most 500 characters.")]
    if errors:
        raise ComponentErrors(errors, by_kind)
    version = PlanVersion.objects.create(
        plan=plan,
        number=last + 1,
        effective_on=effective_on,
        note=note,
        created_by=by,
        created_at=clock.now(),
    )
    PlanComponent.objects.bulk_create(PlanComponent(version=version, **c) for c in cleaned)
    return version


def component_rows(version: PlanVersion | None) -> dict[str, dict]:
    """A version's components by kind, as the editor's rows (a new version starts from
    the latest one)."""
    return {
        c.kind: {
            "kind": c.kind,
            "label": c.label,
            "formula": c.formula,
            "deferred": c.deferred,
            "apply_coefficient": c.apply_coefficient,
            "position": c.position,
        }
        for c in components_of(version)
    }


# --- checking a formula -------------------------------------------------------------------


def check_formula(kind: str, formula: str) -> dict:
    """``{"ok", "errors", "variables", "preview"}`` for one draft formula; nothing is
    saved. The preview evaluates it on last month's contracts (deal) or on example
    values (the other kinds)."""
    if kind not in ComponentKind.values:
        raise ValidationError(
            {
                "kind": [
                    _("Unknown kind “%(kind)s”; choose one of: %(choices)s.")
                    % {"kind": kind, "choices": ", ".join(ComponentKind.values)}
                ]
            }
        )
    formula = (formula or "").strip()
    problem = formula_problem(kind, formula) if formula else _("Enter a formula.")
    errors = [problem] if problem else []
    result = {"ok": not errors, "errors": errors, "variables": variables_help(kind)}
    result["preview"] = preview(kind, formula) if not errors else None
    return result


def preview(kind: str, formula: str) -> dict:
    if kind == ComponentKind.DEAL:
        return _deal_preview(formula)
    return _example_preview(kind, formula)


def _example_preview(kind: str, formula: str) -> dict:
    values = {k: Decimal(v) for k, v in EXAMPLES.get(kind, {}).items()}
    out = {"source": "example", "inputs": {k: str(v) for k, v in values.items()}}
    try:
        out["result"] = str(formulas.money(formula, values, kind=kind))
    except ExpressionError as exc:
        out["error"] = str(exc)
    return out


def _deal_preview(formula: str) -> dict:
    """The formula on the contracts signed last month: how many, min / median / max and
    total bonus (before coefficient and tranches)."""
    from salesops.revenue.models import SIGNED_STATUSES, Contract

    start, end = last_month()
    rows = list(
        Contract.objects.filter(signed_on__range=(start, end), status__in=SIGNED_STATUSES)
        .order_by("signed_on", "pk")
        .values("pk", "number", "amount", "term_months", "account_id", "account__level")[
            :PREVIEW_MAX_CONTRACTS
        ]
    )
    out: dict = {
        "source": "last_month",
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "contracts": len(rows),
    }
    if not rows:
        return out
    account_ids = {r["account_id"] for r in rows}
    seen = set(
        Contract.objects.filter(
            account_id__in=account_ids, signed_on__lt=start, status__in=SIGNED_STATUSES
        ).values_list("account_id", flat=True)
    )
    levels = set(IncentivePolicy.current().breakthrough_levels or [])
    bonuses: list[Decimal] = []
    failures = 0
    first_error = ""
    for row in rows:
        values = {
            "contract_amount": row["amount"],
            "term_months": Decimal(row["term_months"] or 0),
            "repeat": Decimal(1 if row["account_id"] in seen else 0),
            "key_account": Decimal(1 if row["account__level"] in levels else 0),
        }
        seen.add(row["account_id"])
        try:
            bonuses.append(formulas.money(formula, values, kind=ComponentKind.DEAL))
        except ExpressionError as exc:
            failures += 1
            first_error = first_error or f"{row['number']}: {exc}"
    if bonuses:
        out.update(
            {
                "min": str(min(bonuses)),
                "median": str(to_money(statistics.median(bonuses))),
                "max": str(max(bonuses)),
                "total": str(to_money(sum(bonuses, Decimal(0)))),
            }
        )
    if failures:
        out["failures"] = failures
        out["error"] = first_error
    return out

"""KPI schemes and their immutable versions (K1, K2).

A scheme is changed only by saving a new :class:`SchemeVersion` (number + 1) whose items
carry their metric's definition as it is now; past runs keep the version they were scored
with. Every rule is checked before anything is written and all problems are reported at
once, each naming its field (``items.2.formula``). A draft may be previewed on last
month's real data first: the same checks, then the engine's :func:`scoring.preview`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils.translation import gettext as _

from salesops.core import clock
from salesops.core.expressions import ExpressionError, compile_expression
from salesops.org.models import Team

from . import metrics, permissions, policy, runs, scoring, tasks
from .models import (
    KpiPolicy,
    Metric,
    MetricGroup,
    Scheme,
    SchemeItem,
    SchemeVersion,
    TargetSource,
)
from .periods import month_end

DEFAULT_FORMULA = "min(actual / target, 1.2) * 100"
ITEM_KEYS = ("metric", "group", "weight", "formula", "target_source", "target_value")
VALUE_MAX = Decimal("1e16")
GROUP_FIELDS = {
    MetricGroup.RESULT: "result_weight",
    MetricGroup.PROCESS: "process_weight",
    MetricGroup.QUALITY: "quality_weight",
}


def require_configurer(user) -> None:
    if not permissions.can_configure(user):
        raise PermissionDenied(_("Only a sales-ops admin or a director configures KPIs."))


def last_month(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and last day of the month before ``today`` (the preview's period)."""
    today = today or clock.today()
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end


# --- reading ------------------------------------------------------------------------------


def schemes_list(*, q: str = "", active: str = "") -> QuerySet:
    qs = Scheme.objects.select_related("team").annotate(latest=Max("versions__number"))
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(team__name__icontains=q) | Q(role__icontains=q))
    if active in ("yes", "no"):
        qs = qs.filter(is_active=active == "yes")
    return qs.order_by("name", "pk")


def latest_version(scheme: Scheme) -> SchemeVersion | None:
    return scheme.versions.order_by("-number").first()


def version_items(version: SchemeVersion) -> list[SchemeItem]:
    return list(version.items.order_by("order", "pk"))


def _item_summary(item: SchemeItem) -> dict:
    return {
        "group": item.group,
        "weight": item.weight,
        "formula": item.formula,
        "target_source": item.target_source,
        "target_value": item.target_value,
        "definition": item.metric_definition,
    }


def version_changes(version: SchemeVersion) -> list[str]:
    """What changed against the previous version, in words (empty for version 1)."""
    previous = (
        SchemeVersion.objects.filter(scheme=version.scheme_id, number__lt=version.number)
        .order_by("-number")
        .first()
    )
    if previous is None:
        return []
    changes = []
    for group, field in GROUP_FIELDS.items():
        old, new = getattr(previous, field), getattr(version, field)
        if old != new:
            changes.append(
                _("%(group)s weight %(old)s → %(new)s")
                % {"group": MetricGroup(group).label, "old": old, "new": new}
            )
    if previous.effective_from != version.effective_from:
        changes.append(
            _("effective from %(old)s → %(new)s")
            % {"old": previous.effective_from, "new": version.effective_from}
        )
    before = {i.metric_definition.get("code"): _item_summary(i) for i in version_items(previous)}
    after = {i.metric_definition.get("code"): _item_summary(i) for i in version_items(version)}
    for code in after.keys() - before.keys():
        changes.append(_("added %(code)s") % {"code": code})
    for code in before.keys() - after.keys():
        changes.append(_("removed %(code)s") % {"code": code})
    labels = {
        "group": _("group"),
        "weight": _("weight"),
        "formula": _("formula"),
        "target_source": _("target"),
        "target_value": _("fixed target"),
    }
    for code in sorted(after.keys() & before.keys()):
        old, new = before[code], after[code]
        for key, label in labels.items():
            if old[key] != new[key]:
                changes.append(
                    _("%(code)s: %(what)s %(old)s → %(new)s")
                    % {"code": code, "what": label, "old": old[key], "new": new[key]}
                )
        if old["definition"] != new["definition"]:
            changes.append(_("%(code)s: metric definition changed") % {"code": code})
    return sorted(changes)


# --- writing ------------------------------------------------------------------------------


@transaction.atomic
def scheme_create(*, by, name: str, role: str = "rep", team: Team | None = None) -> Scheme:
    """A scheme without versions yet (its first version is saved in the editor)."""
    require_configurer(by)
    errors: dict = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("This field is required.")]
    elif len(name) > Scheme._meta.get_field("name").max_length:
        errors["name"] = [_("At most 200 characters.")]
    if role not in permissions.SCORED_ROLES:
        errors["role"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(permissions.SCORED_ROLES)}
        ]
    if team is not None and not isinstance(team, Team):
        errors["team"] = [_("Unknown team.")]
    if not errors and Scheme.objects.filter(role=role, team=team, is_active=True).exists():
        errors["team"] = [
            _("An active scheme for this role and team exists already; edit it instead.")
        ]
    if errors:
        raise ValidationError(errors)
    return Scheme.objects.create(name=name, role=role, team=team, created_by=by)


@transaction.atomic
def scheme_update(*, by, scheme: Scheme, name: str | None = None, is_active=None) -> Scheme:
    """Rename or (de)activate a scheme; its weights and metrics change by a new version."""
    require_configurer(by)
    errors: dict = {}
    if name is not None:
        name = name.strip()
        if not name or len(name) > 200:
            errors["name"] = [_("Enter a name of 1 to 200 characters.")]
        else:
            scheme.name = name
    if is_active is not None:
        scheme.is_active = bool(is_active)
    if errors:
        raise ValidationError(errors)
    scheme.save()
    return scheme


def _decimal(value, field: str, errors: dict, *, low=Decimal(0), high=VALUE_MAX, places=4):
    number = policy.parse_decimal(value)
    if number is None:
        errors[field] = [_("Enter a number.")]
        return None
    if number < low or number > high:
        errors[field] = [
            _("Enter a number between %(low)s and %(high)s.") % {"low": low, "high": high}
        ]
        return None
    quantum = Decimal(1).scaleb(-places)
    if number != number.quantize(quantum):
        errors[field] = [_("At most %(n)d decimal places.") % {"n": places}]
        return None
    return number.quantize(quantum)


def _clean_item(index: int, raw, metrics_by_code: dict, errors: dict) -> dict | None:
    prefix = f"items.{index}."
    if not isinstance(raw, dict):
        errors[f"items.{index}"] = [_("Each metric row needs metric, group, weight and formula.")]
        return None
    unknown = [key for key in raw if key not in ITEM_KEYS]
    for key in unknown:
        errors[prefix + key] = [_("Unknown field.")]
    code = str(raw.get("metric") or "").strip()
    metric = metrics_by_code.get(code)
    label = code or _("row %(n)d") % {"n": index + 1}
    if not code:
        errors[prefix + "metric"] = [_("Pick a metric.")]
    elif metric is None:
        errors[prefix + "metric"] = [_("Unknown metric “%(code)s”.") % {"code": code}]
    elif not metric.is_active:
        errors[prefix + "metric"] = [
            _("The metric “%(code)s” is inactive; activate it or pick another.") % {"code": code}
        ]
    group = raw.get("group")
    if group not in MetricGroup.values:
        errors[prefix + "group"] = [
            _("%(metric)s: choose the group: %(choices)s.")
            % {"metric": label, "choices": ", ".join(MetricGroup.values)}
        ]
    weight = _decimal(raw.get("weight"), prefix + "weight", errors, high=Decimal(100), places=2)
    if weight is not None and weight <= 0:
        errors[prefix + "weight"] = [
            _("%(metric)s: the weight must be above 0.") % {"metric": label}
        ]
    formula = str(raw.get("formula") or "").strip()
    try:
        compile_expression(formula, allowed_names=set(scoring.SCORE_NAMES))
    except ExpressionError as exc:
        where = _(" (position %(n)d)") % {"n": exc.position} if exc.position is not None else ""
        hint = ""
        if exc.name and exc.name not in scoring.SCORE_NAMES and "name" in exc.message.lower():
            hint = " " + _("A scoring formula may use: %(names)s.") % {
                "names": ", ".join(sorted(scoring.SCORE_NAMES))
            }
        errors[prefix + "formula"] = [
            _("%(metric)s: %(problem)s%(where)s.%(hint)s")
            % {"metric": label, "problem": exc.message.rstrip("."), "where": where, "hint": hint}
        ]
    if len(formula) > SchemeItem._meta.get_field("formula").max_length:
        errors[prefix + "formula"] = [_("At most 500 characters.")]
    source = raw.get("target_source") or TargetSource.FIXED
    if source not in TargetSource.values:
        errors[prefix + "target_source"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(TargetSource.values)}
        ]
    target = raw.get("target_value")
    if target in (None, ""):
        target = None
        if source == TargetSource.FIXED:
            errors[prefix + "target_value"] = [
                _("%(metric)s: a fixed target needs a value.") % {"metric": label}
            ]
    else:
        target = _decimal(target, prefix + "target_value", errors, low=-VALUE_MAX)
    return {
        "metric": metric,
        "code": code,
        "group": group,
        "weight": weight,
        "formula": formula,
        "target_source": source,
        "target_value": target,
    }


def validate_draft(
    *, result_weight, process_weight, quality_weight, items
) -> tuple[dict, dict, list[dict]]:
    """Check a draft; returns ``(errors, weights, cleaned items)``. Nothing is written."""
    errors: dict = {}
    weights = {}
    for field, value in (
        ("result_weight", result_weight),
        ("process_weight", process_weight),
        ("quality_weight", quality_weight),
    ):
        weights[field] = policy.percent(value, field, errors)
    if not errors:
        problem = policy.weights_problem(*weights.values())
        if problem:
            errors["weights"] = [problem]
        low, high = policy.process_range(KpiPolicy.current())
        problem = policy.process_problem(weights["process_weight"], low, high)
        if problem:
            errors["process_weight"] = [problem]
    if not isinstance(items, list | tuple) or not items:
        errors["items"] = [_("Add at least one metric.")]
        return errors, weights, []
    codes = {str(raw.get("metric") or "").strip() for raw in items if isinstance(raw, dict)}
    by_code = Metric.objects.in_bulk([c for c in codes if c], field_name="code")
    cleaned = [_clean_item(i, raw, by_code, errors) for i, raw in enumerate(items)]
    cleaned = [c for c in cleaned if c is not None]
    seen: dict[str, int] = {}
    for index, item in enumerate(cleaned):
        if item["code"] and item["code"] in seen:
            errors.setdefault(f"items.{index}.metric", []).append(
                _("“%(code)s” is in the scheme twice (rows %(a)d and %(b)d).")
                % {"code": item["code"], "a": seen[item["code"]] + 1, "b": index + 1}
            )
        seen.setdefault(item["code"], index)
    _check_groups(weights, cleaned, errors)
    _check_definitions(cleaned, errors)
    return errors, weights, cleaned


def _check_groups(weights: dict, cleaned: list[dict], errors: dict) -> None:
    for group, field in GROUP_FIELDS.items():
        rows = [c for c in cleaned if c["group"] == group]
        if not rows:
            if weights.get(field):
                errors.setdefault("items", []).append(
                    _("The %(group)s group weighs %(w)s but has no metric; add one or set it to 0.")
                    % {"group": MetricGroup(group).label, "w": weights[field]}
                )
            continue
        if any(c["weight"] is None for c in rows):
            continue
        total = sum(c["weight"] for c in rows)
        if total != 100:
            errors.setdefault("items", []).append(
                _("The weights of the %(group)s metrics must add up to 100; they add up to %(n)s.")
                % {"group": MetricGroup(group).label, "n": policy._number(total)}
            )


def _check_definitions(cleaned: list[dict], errors: dict) -> None:
    known = set(Metric.objects.filter(is_active=True).values_list("code", flat=True))
    for index, item in enumerate(cleaned):
        metric = item["metric"]
        if metric is None or f"items.{index}.metric" in errors:
            continue
        problems = metrics.validate_definition(metric.definition(), known_codes=known)
        for field, messages in problems.items():
            for message in messages:
                errors.setdefault(f"items.{index}.metric", []).append(
                    _("Metric “%(code)s”, %(field)s: %(problem)s")
                    % {"code": metric.code, "field": field, "problem": message}
                )


def build_draft(weights: dict, cleaned: list[dict]) -> scoring.Draft:
    return scoring.Draft(
        result_weight=weights["result_weight"],
        process_weight=weights["process_weight"],
        quality_weight=weights["quality_weight"],
        items=[
            scoring.DraftItem(
                metric_definition=c["metric"].definition(),
                group=c["group"],
                weight=c["weight"],
                formula=c["formula"],
                target_source=c["target_source"],
                target_value=c["target_value"],
            )
            for c in cleaned
        ],
    )


def scheme_preview(
    *, by, scheme: Scheme | None = None, result_weight, process_weight, quality_weight, items
) -> tuple[dt.date, dt.date, list]:
    """The draft's score for every member (every scored user without a scheme) over LAST
    month; ValidationError naming each problem (``preview`` for the engine's: a division by
    zero or a missing target, with metric and rep). Nothing is written."""
    require_configurer(by)
    errors, weights, cleaned = validate_draft(
        result_weight=result_weight,
        process_weight=process_weight,
        quality_weight=quality_weight,
        items=items,
    )
    if errors:
        raise ValidationError(errors)
    start, end = last_month()
    user_ids = None
    if scheme is not None:
        user_ids = list(runs.members(scheme, end).values_list("pk", flat=True))
    try:
        results = scoring.preview(build_draft(weights, cleaned), start, end, user_ids)
    except scoring.PreviewError as exc:
        raise ValidationError({"preview": [str(e) for e in exc.errors]}) from None
    return start, end, results


@transaction.atomic
def scheme_save_version(
    *,
    by,
    scheme: Scheme,
    effective_from: dt.date,
    result_weight,
    process_weight,
    quality_weight,
    items: list[dict],
    note: str = "",
) -> SchemeVersion:
    """Save the scheme's next immutable version. All problems at once; nothing is saved
    when there is one. A version in force this month recomputes the month's live run
    (queued after commit)."""
    require_configurer(by)
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    errors, weights, cleaned = validate_draft(
        result_weight=result_weight,
        process_weight=process_weight,
        quality_weight=quality_weight,
        items=items,
    )
    today = clock.today()
    if not isinstance(effective_from, dt.date) or isinstance(effective_from, dt.datetime):
        errors["effective_from"] = [_("Enter a date as YYYY-MM-DD.")]
    elif effective_from < today:
        errors["effective_from"] = [
            _("A new version cannot start in the past; the earliest is today (%(today)s).")
            % {"today": today}
        ]
    note = (note or "").strip()
    if len(note) > 500:
        errors["note"] = [_("At most 500 characters.")]
    if errors:
        raise ValidationError(errors)
    number = (scheme.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = SchemeVersion.objects.create(
        scheme=scheme,
        number=number,
        effective_from=effective_from,
        note=note,
        created_by=by,
        created_at=clock.now(),
        **weights,
    )
    SchemeItem.objects.bulk_create(
        SchemeItem(
            version=version,
            metric=c["metric"],
            metric_definition=c["metric"].definition(),
            group=c["group"],
            weight=c["weight"],
            formula=c["formula"],
            target_source=c["target_source"],
            target_value=c["target_value"],
            order=index,
        )
        for index, c in enumerate(cleaned)
    )
    if effective_from <= month_end(today):
        _recompute_current_month(scheme, by)
    return version


def _recompute_current_month(scheme: Scheme, by) -> None:
    start = clock.today().replace(day=1)
    tasks.enqueue_after_commit(by=by, scheme=scheme, start=start, end=month_end(start))


def item_rows(version: SchemeVersion | None) -> list[dict]:
    """A version's items as the editor's rows (a new version starts from the latest)."""
    if version is None:
        return []
    return [
        {
            "metric": item.metric_definition.get("code") or item.metric.code,
            "group": item.group,
            "weight": item.weight,
            "formula": item.formula,
            "target_source": item.target_source,
            "target_value": item.target_value,
        }
        for item in version_items(version)
    ]


def preview_rows(results: list) -> list[dict]:
    """The engine's RepResults as rows for the page and the API (with the reps' names)."""
    users = get_user_model().objects.in_bulk([r.user_id for r in results])
    rows = []
    for r in results:
        user = users.get(r.user_id)
        rows.append(
            {
                "user_id": r.user_id,
                "user": user.label if user else str(r.user_id),
                "team_id": r.team_id,
                "score": r.score,
                "result_score": r.result_score,
                "process_score": r.process_score,
                "quality_score": r.quality_score,
                "items": [
                    {
                        "metric": i.item.metric_definition.get("code", ""),
                        "group": i.item.group,
                        "actual": i.actual,
                        "target": i.target,
                        "score": i.score,
                        "error": i.error,
                    }
                    for i in r.items
                ],
            }
        )
    rows.sort(key=lambda row: (-row["score"], row["user"]))
    return rows


def parse_month(text: str) -> tuple[dt.date, dt.date]:
    """``"2026-11"`` → the month's first and last day; ValidationError on ``month``."""
    try:
        start = dt.datetime.strptime(str(text).strip(), "%Y-%m").date()
    except ValueError:
        raise ValidationError({"month": [_("Enter a month as YYYY-MM, e.g. 2026-11.")]}) from None
    return start, month_end(start)

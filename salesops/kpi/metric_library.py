"""The metric library (K1): metrics are data an admin creates and edits without code.

A metric's ``code`` is what formulas read, so it is fixed once created; everything else
may change — built-in metrics too — because every scheme version keeps a snapshot of the
definition it was saved with (editing never changes a past score). A metric a version
uses cannot be deleted (409); deactivate it instead.
"""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from salesops.core.history import save_with_history
from salesops.core.validators import merge_errors

from . import metrics, permissions, sources
from .models import Metric, SchemeItem

EDITABLE = (
    "name_zh",
    "name_en",
    "description",
    "kind",
    "source",
    "filter",
    "aggregate",
    "field",
    "date_field",
    "formula",
    "unit",
    "higher_is_better",
    "is_active",
)
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


class MetricInUse(ValidationError):
    """The metric is part of a saved scheme version (answered 409)."""


def require_configurer(user) -> None:
    if not permissions.can_configure(user):
        raise PermissionDenied(_("Only a sales-ops admin or a director configures KPIs."))


def metrics_list(
    *, q: str = "", source: str = "", kind: str = "", group: str = "", active: str = ""
) -> QuerySet:
    """The library filtered: ``q`` searches code and names, ``group`` is the group a
    scheme version uses the metric in ("unused": in none)."""
    qs = Metric.objects.all()
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(code__icontains=q)
            | Q(name_zh__icontains=q)
            | Q(name_en__icontains=q)
            | Q(description__icontains=q)
        )
    if source:
        qs = qs.filter(source=source)
    if kind:
        qs = qs.filter(kind=kind)
    if active in ("yes", "no"):
        qs = qs.filter(is_active=active == "yes")
    if group == "unused":
        qs = qs.exclude(Exists(SchemeItem.objects.filter(metric=OuterRef("pk"))))
    elif group:
        qs = qs.filter(Exists(SchemeItem.objects.filter(metric=OuterRef("pk"), group=group)))
    return qs.order_by("code")


def is_used(metric: Metric) -> bool:
    return SchemeItem.objects.filter(metric=metric).exists()


def source_help(code: str) -> dict | None:
    """What the metric form shows about a source: its fields with kinds and choice codes,
    the date fields — so an admin writes a filter without reading code."""
    try:
        source = sources.get(code)
    except KeyError:
        return None
    return {
        "code": source.code,
        "label": str(source.label),
        "fields": [
            {
                "name": f.name,
                "label": str(f.label),
                "kind": f.kind,
                "choices": [{"code": c, "label": str(label)} for c, label in f.choices],
            }
            for f in source.fields.values()
        ],
        "date_fields": list(source.date_fields),
        "default_date": source.default_date,
    }


def source_choices() -> list[tuple[str, str]]:
    return [(s.code, str(s.label)) for s in sources.all_sources()]


def _clean_text(data: dict) -> dict:
    out = {}
    for key, value in data.items():
        out[key] = value.strip() if isinstance(value, str) else value
    return out


def _validate(metric: Metric, errors: dict) -> dict:
    try:
        metric.clean_fields(exclude=["code", *errors.keys()])
    except ValidationError as exc:
        errors = merge_errors(errors, exc.message_dict)
    if errors:
        return errors
    known = set(Metric.objects.filter(is_active=True).values_list("code", flat=True))
    known.add(metric.code)
    problems = metrics.validate_definition(metric.definition(), known_codes=known)
    return merge_errors(errors, {k: v for k, v in problems.items() if v})


def _apply(metric: Metric, data: dict, errors: dict) -> None:
    for key, value in data.items():
        if key == "code":
            continue
        if key not in EDITABLE:
            errors[key] = [_("Unknown field.")]
            continue
        if key in ("higher_is_better", "is_active"):
            if not isinstance(value, bool):
                errors[key] = [_("Enter true or false.")]
                continue
        elif value is None:
            value = ""
        setattr(metric, key, value)


@transaction.atomic
def metric_create(*, by, data: dict) -> Metric:
    """A new metric; every problem at once, by field (the definition through the engine's
    :func:`metrics.validate_definition`)."""
    require_configurer(by)
    data = _clean_text(dict(data))
    errors: dict = {}
    code = data.get("code") or ""
    if not isinstance(code, str) or not CODE_RE.match(code):
        errors["code"] = [
            _(
                "Use lower-case letters, digits and “_”, starting with a letter (e.g. signed_amount)."
            )
        ]
    elif Metric.objects.filter(code=code).exists():
        errors["code"] = [_("A metric with the code “%(code)s” exists already.") % {"code": code}]
    metric = Metric(code=code if "code" not in errors else "", created_by=by)
    _apply(metric, data, errors)
    errors = _validate(metric, errors)
    if errors:
        raise ValidationError(errors)
    save_with_history(metric, by, "created")
    return metric


@transaction.atomic
def metric_update(*, by, metric: Metric, data: dict) -> Metric:
    """Change a metric (built-ins too) except its code; versions keep their snapshots."""
    require_configurer(by)
    data = _clean_text(dict(data))
    errors: dict = {}
    metric = Metric.objects.select_for_update().get(pk=metric.pk)
    if "code" in data and data["code"] != metric.code:
        errors["code"] = [_("A metric's code cannot change: formulas and versions refer to it.")]
    _apply(metric, data, errors)
    errors = _validate(metric, errors)
    if errors:
        raise ValidationError(errors)
    save_with_history(metric, by, "updated")
    return metric


@transaction.atomic
def metric_delete(*, by, metric: Metric) -> None:
    require_configurer(by)
    if is_used(metric):
        raise MetricInUse(
            {
                "code": _(
                    "“%(code)s” is used by a saved scheme version and cannot be deleted; "
                    "deactivate it instead."
                )
                % {"code": metric.code}
            },
            code="conflict",
        )
    if metric.is_builtin:
        raise MetricInUse(
            {"code": _("A built-in metric cannot be deleted; deactivate it instead.")},
            code="conflict",
        )
    metric.delete()


def scored_user_ids() -> list[int]:
    """Active users who have scores (reps and managers)."""
    return list(
        get_user_model()
        .objects.filter(is_active=True, role__in=permissions.SCORED_ROLES)
        .order_by("display_name", "username")
        .values_list("pk", flat=True)
    )


def metric_try(*, by, metric: Metric, start, end) -> list[dict]:
    """The metric's value for every scored user over ``start``–``end`` ("try it")."""
    require_configurer(by)
    ids = scored_user_ids()
    values = metrics.compute([metric.definition()], ids, start, end).get(metric.code, {})
    users = get_user_model().objects.in_bulk(ids)
    return [
        {"user_id": pk, "user": users[pk].label, "value": values.get(pk)}
        for pk in ids
        if pk in users
    ]

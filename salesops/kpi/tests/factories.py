"""Shared KPI test builders (the other KPI areas use these too).

``make_metric`` validates the definition with the engine before saving it;
``make_scheme`` writes a scheme and its first version through ``defaults.write_version``
(the version keeps each metric's definition, as a saved version does). The built-in
metrics and the default scheme are installed by ``migrate`` (``defaults.install``); a
scheme made here for the whole organisation replaces the default one for its role unless
``keep_others=True``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from salesops.core import clock
from salesops.kpi import defaults, metrics
from salesops.kpi.models import Aggregate, Metric, MetricKind, Scheme, TargetSource


def make_metric(code: str, **fields) -> Metric:
    """A metric (default: a count of activities by ``started_at``); a derived one when
    ``formula=`` is given. Raises ``ValueError`` with the engine's messages if invalid."""
    if fields.get("formula"):
        fields.setdefault("kind", MetricKind.DERIVED)
        fields.setdefault("source", "")
        fields.setdefault("date_field", "")
    else:
        fields.setdefault("kind", MetricKind.AGGREGATE)
        fields.setdefault("source", "activities")
        fields.setdefault("aggregate", Aggregate.COUNT)
        fields.setdefault("date_field", "started_at")
    fields.setdefault("name_zh", code)
    fields.setdefault("name_en", code)
    metric = Metric(code=code, **fields)
    known = set(Metric.objects.values_list("code", flat=True)) | {code}
    errors = metrics.validate_definition(metric.definition(), known_codes=known)
    if errors:
        raise ValueError(errors)
    existing = Metric.objects.filter(code=code).first()
    if existing is not None:  # a built-in of the same code: redefine it for the test
        metric.pk = existing.pk
        metric.created_at = existing.created_at
    metric.save()
    return metric


def item(code: str, group: str = "result", weight=100, **data) -> dict:
    """One scheme item: ``item("visits", "process", 50, target_value=10)``."""
    data.setdefault("formula", defaults.ATTAIN)
    data.setdefault("target_source", TargetSource.FIXED)
    data.setdefault("target_value", Decimal("10") if data["target_source"] == "fixed" else None)
    return {"code": code, "group": group, "weight": Decimal(weight), **data}


def make_scheme(
    *,
    name: str = "Sales rep KPI (test)",
    role: str = "rep",
    team=None,
    result_weight: Decimal | int = 60,
    process_weight: Decimal | int = 25,
    quality_weight: Decimal | int = 15,
    items: list[dict] | None = None,
    effective_from: dt.date | None = None,
    by=None,
    keep_others: bool = False,
) -> Scheme:
    """A scheme with version 1 (effective 1 January of this year unless given). ``items``
    as built by :func:`item` (``code`` or ``metric=``); default: signed amount (result),
    effective touches (process), complaints lower-is-better (quality)."""
    if items is None:
        items = [
            item("signed_amount", "result", 100, target_value=Decimal("100000")),
            item("effective_touches", "process", 100, target_value=Decimal("10")),
            item(
                "complaints",
                "quality",
                100,
                formula="max(100 - actual * 20, 0)",
                target_source=TargetSource.NONE,
            ),
        ]
    if team is None and not keep_others:
        Scheme.objects.filter(role=role, team__isnull=True).update(is_active=False)
    scheme = Scheme.objects.create(name=name, role=role, team=team, created_by=by)
    defaults.write_version(
        scheme,
        weights=(result_weight, process_weight, quality_weight),
        items=items,
        effective_from=effective_from or dt.date(clock.today().year, 1, 1),
        by=by,
    )
    return scheme

"""The records behind a score's number (SPEC K3, P4): ``metrics.records`` re-selects
them with the definition the run item stored, so the list is exactly what was counted.
A derived metric has no records of its own: it lists its components, each with a drill
link (the component's own value in the same run when the scheme scores it, otherwise
the component drilled by its code over the same period and rep).

Visibility: the value's rep must be visible to the viewer (404 otherwise); the records
are that rep's own, so whoever may see the rep's score may see them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import models
from django.db.models import F, Q
from django.http import Http404
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.translation import gettext as _

from . import metrics, permissions, sources
from .models import Metric, MetricValue
from .selectors import metric_name

SEARCH_FIELDS = 5
SKIP_SEARCH = {"password", "token", "key_hash", "custom"}


def value_or_404(viewer, value_id) -> MetricValue:
    try:
        value_id = int(value_id)
    except (TypeError, ValueError):
        raise Http404(_("No such score value, or you may not see it.")) from None
    value = (
        MetricValue.objects.filter(pk=value_id)
        .select_related("run", "item", "user", "run__scheme")
        .first()
    )
    if value is None or not permissions.can_see_user(viewer, value.user_id):
        raise Http404(_("No such score value, or you may not see it."))
    return value


@dataclass
class Component:
    code: str
    name: str
    value: object  # the number the derived value read (from its stored inputs), if any
    value_id: int | None  # the component's own value in the run, when scored


@dataclass
class Drill:
    """What the drill-down page and API show for one number."""

    value: MetricValue
    definition: dict
    name: str
    records: models.QuerySet | None
    derived: bool
    components: list[Component] = field(default_factory=list)
    search_fields: list[str] = field(default_factory=list)
    code: str = ""  # a component drilled by code (else "")
    actual: object = None  # the number drilled into (a component: what the formula read)

    @property
    def start(self):
        return self.value.run.period_start

    @property
    def end(self):
        return self.value.run.period_end


def text_fields(model) -> list[str]:
    """The model's plain text columns a search may look in (no choices, no secrets)."""
    names = []
    for f in model._meta.concrete_fields:
        if isinstance(f, models.CharField | models.TextField) and not f.choices:
            if f.name not in SKIP_SEARCH:
                names.append(f.name)
    return names[:SEARCH_FIELDS]


def search(queryset, text: str, names: list[str]):
    text = (text or "").strip()
    if not text:
        return queryset
    condition = Q()
    for name in names:
        condition |= Q(**{f"{name}__icontains": text})
    if text.isdigit():
        condition |= Q(pk=int(text))
    return queryset.filter(condition) if condition else queryset.none()


def _ordered(queryset):
    return queryset if queryset.ordered else queryset.order_by("-pk")


def _component_input(value: MetricValue, code: str):
    inputs = value.inputs or {}
    nested = inputs.get("components") if isinstance(inputs.get("components"), dict) else {}
    return nested.get(code, inputs.get(code))


def _components(value: MetricValue, definition: dict) -> list[Component]:
    codes = metrics.components(definition)
    siblings = {
        (v.item.metric_definition or {}).get("code"): v.pk
        for v in MetricValue.objects.filter(run_id=value.run_id, user_id=value.user_id)
        .exclude(pk=value.pk)
        .select_related("item")
    }
    known = {m.code: m.definition() for m in Metric.objects.filter(code__in=codes)}
    return [
        Component(
            code=code,
            name=metric_name(known.get(code, {"code": code})),
            value=_component_input(value, code),
            value_id=siblings.get(code),
        )
        for code in codes
    ]


def _drill(value: MetricValue, definition: dict, text: str, code: str = "") -> Drill:
    run = value.run
    records = metrics.records(definition, value.user_id, run.period_start, run.period_end)
    drill = Drill(
        value=value,
        definition=definition,
        name=metric_name(definition),
        records=None,
        derived=records is None,
        code=code,
        actual=_component_input(value, code) if code else value.actual,
    )
    if records is None:
        drill.components = _components(value, definition)
        return drill
    drill.search_fields = text_fields(records.model)
    drill.records = _ordered(search(_with_columns(records, definition), text, drill.search_fields))
    return drill


def _with_columns(records, definition: dict):
    """The records with the definition's value and date fields as ``kpi_drill_value`` /
    ``kpi_drill_date`` (a source field may be an annotation, not a column)."""
    try:
        fields = sources.get(definition.get("source") or "").fields
    except KeyError:
        return records
    columns = {}
    for key, name in (("kpi_drill_value", "field"), ("kpi_drill_date", "date_field")):
        f = fields.get(definition.get(name) or "")
        if f is not None:
            columns[key] = F(f.alias)
    return records.annotate(**columns) if columns else records


def drill(viewer, value_id, *, text: str = "") -> Drill:
    """The records behind value ``value_id`` (a derived value: its components)."""
    value = value_or_404(viewer, value_id)
    return _drill(value, value.item.metric_definition or {}, text)


def drill_component(viewer, value_id, code: str, *, text: str = "") -> Drill:
    """The records behind component ``code`` of derived value ``value_id``, drilled with
    the component's current definition over the value's period and rep."""
    value = value_or_404(viewer, value_id)
    if code not in metrics.components(value.item.metric_definition or {}):
        raise Http404(_("This metric has no component “%(code)s”.") % {"code": code[:50]})
    metric = Metric.objects.filter(code=code).first()
    if metric is None:
        raise Http404(_("The metric “%(code)s” no longer exists.") % {"code": code[:50]})
    return _drill(value, metric.definition(), text, code=code)


def _shown_date(value) -> str | None:
    """A record's period date as the list shows it: a moment in local time to the minute,
    a day as the day (a source's date field is either)."""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return None if value is None else str(value)


def record_row(obj, definition: dict) -> dict:
    """One record as a list row: label, its date and value fields, and its page."""
    url = None
    if hasattr(obj, "get_absolute_url"):
        try:
            url = obj.get_absolute_url()
        except NoReverseMatch:  # a record kind without a page of its own: no link
            url = None
    amount = getattr(obj, "kpi_drill_value", None)
    if amount is not None and not isinstance(amount, int | float | Decimal):
        try:
            amount = Decimal(str(amount))
        except (InvalidOperation, ValueError):
            amount = str(amount)
    return {
        "id": obj.pk,
        "label": str(obj),
        "date": _shown_date(getattr(obj, "kpi_drill_date", None)),
        "value": amount,
        "url": url,
    }

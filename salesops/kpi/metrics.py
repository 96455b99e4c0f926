"""Computing metric values (K1).

A metric definition is :meth:`Metric.definition`'s dict. An **aggregate** metric is one
grouped query per metric over its source (``values(owner).annotate(agg)``) for the period:
the date field between start and end inclusive — a datetime field by the organisation's
local days, as ``[local start 00:00, local end+1 00:00)`` so the column's index is used; no
date field = the current state. A **derived** metric is a formula over other metrics'
codes and the period names (``workdays``: Chinese working days of the period,
``days``: calendar days), evaluated per user by ``core.expressions``.

The filter is the expression language's syntax translated to a ``Q`` (``compile_filter``).
"""

from __future__ import annotations

import ast
import datetime as dt
import functools
from decimal import Decimal, InvalidOperation

from django.db.models import Avg, Count, F, Max, Min, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from salesops.core import calendar
from salesops.core.expressions import ExpressionError, compile_expression, evaluate

from . import sources
from .models import Aggregate, Metric, MetricKind

PERIOD_NAMES = frozenset({"workdays", "days"})
# Up to this many users the queries say ``owner IN (…)``; more, and they group everyone
# (one pass over the period's rows is cheaper than hundreds of index probes).
SUBSET_LIMIT = 50
PLACES = Decimal("0.0001")
NUMERIC_AGGREGATES = {Aggregate.SUM, Aggregate.AVG, Aggregate.MIN, Aggregate.MAX}
_AGGREGATES = {
    Aggregate.COUNT: lambda path: Count("pk"),
    Aggregate.COUNT_DISTINCT: lambda path: Count(path, distinct=True),
    Aggregate.SUM: Sum,
    Aggregate.AVG: Avg,
    Aggregate.MIN: Min,
    Aggregate.MAX: Max,
}
_COMPARE = {
    ast.Eq: "exact",
    ast.NotEq: "exact",
    ast.Lt: "lt",
    ast.LtE: "lte",
    ast.Gt: "gt",
    ast.GtE: "gte",
}
_FLIP = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE}


# --- filters -----------------------------------------------------------------------------


_WORDS = {"true": True, "false": False, "True": True, "False": False, "None": None}


def _literal(node):
    if isinstance(node, ast.Name) and node.id in _WORDS:
        return _WORDS[node.id]
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _literal(node.operand)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(e) for e in node.elts]
    raise ExpressionError(_("A filter compares a field with a value (a number, text, list)."))


def _unknown_field(source: sources.Source, name: str) -> ExpressionError:
    return ExpressionError(
        _("Unknown field “%(name)s” of %(source)s. Fields: %(fields)s")
        % {"name": name, "source": source.label, "fields": ", ".join(sorted(source.fields))},
        name=name,
    )


def _field(source: sources.Source, node) -> sources.Field:
    if not isinstance(node, ast.Name):
        raise ExpressionError(_("A filter compares a field with a value (a number, text, list)."))
    f = source.fields.get(node.id)
    if f is None:
        raise _unknown_field(source, node.id)
    return f


def _value(f: sources.Field, value):
    """Check and convert a literal compared with ``f``."""
    if value is None:
        return None
    if f.kind == "choice" and f.choices:
        if not isinstance(value, str) or value not in f.codes():
            raise ExpressionError(
                _("“%(value)s” is not a code of %(field)s. Allowed: %(codes)s")
                % {"value": value, "field": f.name, "codes": ", ".join(f.codes())},
                name=f.name,
            )
        return value
    if f.kind in sources.NUMERIC_KINDS:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExpressionError(
                _("%(field)s is a number: compare it with a number.") % {"field": f.name},
                name=f.name,
            )
        return Decimal(repr(value)) if isinstance(value, float) else value
    if f.kind == "bool" and not isinstance(value, bool):
        raise ExpressionError(
            _("%(field)s is yes/no: compare it with True or False.") % {"field": f.name},
            name=f.name,
        )
    if f.kind in ("date", "datetime") and isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value[:10])
        except ValueError:
            raise ExpressionError(
                _('%(field)s is a date: write it as "YYYY-MM-DD".') % {"field": f.name},
                name=f.name,
            ) from None
        if f.kind == "datetime":
            return timezone.make_aware(
                dt.datetime.combine(day, dt.time()), timezone.get_default_timezone()
            )
        return day
    return value


def _is_field(source, node) -> bool:
    return isinstance(node, ast.Name) and node.id not in _WORDS


def _bool_q(f: sources.Field, truth: bool) -> Q:
    if f.kind != "bool":
        raise ExpressionError(
            _("%(field)s is not yes/no: compare it with a value.") % {"field": f.name},
            name=f.name,
        )
    q = f.q() if f.q else Q(**{f.alias: True})
    return q if truth else ~q


def _compare(source, left, op, right) -> Q:
    if not _is_field(source, left) and _is_field(source, right):
        left, right = right, left
        op = _FLIP.get(type(op), type(op))()
    f = _field(source, left)
    if isinstance(op, (ast.In, ast.NotIn)):
        values = _literal(right)
        if not isinstance(values, list):
            raise ExpressionError(
                _('“in” needs a list, e.g. %(field)s in ["a", "b"].') % {"field": f.name},
                name=f.name,
            )
        q = Q(**{f"{f.alias}__in": [_value(f, v) for v in values if v is not None]})
        if None in values:
            q |= Q(**{f"{f.alias}__isnull": True})
        return ~q if isinstance(op, ast.NotIn) else q
    if type(op) not in _COMPARE:
        raise ExpressionError(_("This comparison is not supported in a filter."))
    value = _value(f, _literal(right))
    if f.kind == "bool" and f.q and isinstance(op, (ast.Eq, ast.NotEq)):
        return _bool_q(f, bool(value) == isinstance(op, ast.Eq))
    if value is None:
        if not isinstance(op, (ast.Eq, ast.NotEq)):
            raise ExpressionError(_("None can only be compared with == or !="), name=f.name)
        q = Q(**{f"{f.alias}__isnull": True})
    else:
        q = Q(**{f"{f.alias}__{_COMPARE[type(op)]}": value})
    return ~q if isinstance(op, ast.NotEq) else q


def _to_q(source, node) -> Q:
    if isinstance(node, ast.BoolOp):
        parts = [_to_q(source, v) for v in node.values]
        result = parts[0]
        for part in parts[1:]:
            result = (result & part) if isinstance(node.op, ast.And) else (result | part)
        return result
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return ~_to_q(source, node.operand)
    if isinstance(node, ast.Name) and node.id in _WORDS and node.id not in source.fields:
        node = ast.Constant(_WORDS[node.id])
    if isinstance(node, ast.Name):
        return _bool_q(_field(source, node), True)
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return Q() if node.value else Q(pk__in=[])
    if isinstance(node, ast.Compare):
        result, left = Q(), node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            result &= _compare(source, left, op, right)
            left = right
        return result
    raise ExpressionError(
        _('A filter is made of comparisons joined by and / or / not, e.g. kind == "visit".')
    )


def _parse_filter(source: sources.Source, text: str) -> tuple[Q, set[str]]:
    return _parsed_filter(source.code, text)


@functools.lru_cache(maxsize=512)
def _parsed_filter(code: str, text: str) -> tuple[Q, frozenset[str]]:
    """A filter's Q and names, parsed once per (source, text): a one-rep refresh reads
    every metric of a scheme, and parsing cost more than the queries."""
    source = sources.get(code)
    # Unknown names first, with the source's fields listed (the generic message of
    # compile_expression only names the unknown one).
    for name in sorted(compile_expression(text).names):
        if name not in source.fields and name not in _WORDS:
            raise _unknown_field(source, name)
    expression = compile_expression(text, allowed_names=set(source.fields) | set(_WORDS))
    return _to_q(source, expression.tree.body), frozenset(expression.names)


def compile_filter(source_code: str, text: str) -> Q:
    """``text`` (the expression language's syntax) as a ``Q`` over the source's rows.
    Unknown field → ExpressionError naming it and listing the fields; a choice field
    compared with an unknown code → ExpressionError naming the allowed codes."""
    source = sources.get(source_code)
    if not (text or "").strip():
        return Q()
    return _parse_filter(source, text)[0]


# --- definitions -------------------------------------------------------------------------


def components(definition: dict) -> list[str]:
    """The metric codes a derived formula reads (sorted)."""
    if definition.get("kind") != MetricKind.DERIVED or not definition.get("formula"):
        return []
    return list(_formula_components(definition["formula"]))


def definitions_for(codes) -> list[dict]:
    """The definitions of the metrics ``codes`` (active or not) and of every metric their
    derived formulas read, one query per level of the formulas."""
    wanted: dict[str, dict] = {}
    frontier = set(codes)
    while frontier:
        found = [m.definition() for m in Metric.objects.filter(code__in=frontier)]
        wanted.update({d["code"]: d for d in found})
        frontier = {c for d in found for c in components(d)} - wanted.keys()
    return list(wanted.values())


@functools.lru_cache(maxsize=512)
def _formula_components(formula: str) -> tuple[str, ...]:
    try:
        names = compile_expression(formula).names
    except ExpressionError:
        return ()
    return tuple(sorted(names - PERIOD_NAMES))


def _add(errors: dict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(str(message))


def _formulas_by_code(known_codes: set[str]) -> dict[str, list[str]]:
    rows = Metric.objects.filter(code__in=known_codes, kind=MetricKind.DERIVED)
    return {m.code: components(m.definition()) for m in rows}


def _cycle(code: str, deps: list[str], graph: dict[str, list[str]]) -> list[str] | None:
    """A path from ``code`` back to itself through ``deps`` (None if there is none)."""
    stack = [(d, [code, d]) for d in deps]
    seen = set()
    while stack:
        node, path = stack.pop()
        if node == code:
            return path
        if node in seen:
            continue
        seen.add(node)
        stack.extend((d, [*path, d]) for d in graph.get(node, ()))
    return None


def validate_definition(definition: dict, *, known_codes: set[str]) -> dict[str, list[str]]:
    """Problems of a metric definition, by form field: ``{field: [messages]}``."""
    errors: dict[str, list[str]] = {}
    kind = definition.get("kind") or MetricKind.AGGREGATE
    if kind == MetricKind.DERIVED:
        formula = (definition.get("formula") or "").strip()
        if not formula:
            _add(errors, "formula", _("A formula metric needs a formula."))
            return errors
        allowed = set(known_codes) | PERIOD_NAMES
        try:
            names = compile_expression(formula, allowed_names=allowed).names
        except ExpressionError as exc:
            if exc.name and exc.name not in allowed:
                _add(
                    errors,
                    "formula",
                    _("Unknown metric “%(name)s” in the formula.") % {"name": exc.name},
                )
            else:
                _add(errors, "formula", _("Formula: %(error)s") % {"error": exc})
            return errors
        code = definition.get("code") or ""
        deps = sorted(names - PERIOD_NAMES)
        if code and code in deps:
            _add(
                errors,
                "formula",
                _("The formula reads the metric itself (%(code)s).") % {"code": code},
            )
        elif code:
            graph = _formulas_by_code(set(known_codes))
            path = _cycle(code, deps, graph)
            if path:
                _add(
                    errors,
                    "formula",
                    _("The formulas go round in a circle: %(path)s") % {"path": " → ".join(path)},
                )
        return errors
    if kind != MetricKind.AGGREGATE:
        _add(errors, "kind", _("Unknown metric kind “%(kind)s”.") % {"kind": kind})
        return errors
    code = definition.get("source") or ""
    try:
        source = sources.get(code)
    except KeyError:
        _add(
            errors,
            "source",
            _("Unknown source “%(source)s”. Sources: %(all)s")
            % {"source": code, "all": ", ".join(s.code for s in sources.all_sources())},
        )
        return errors
    text = (definition.get("filter") or "").strip()
    if text:
        try:
            compile_filter(code, text)
        except ExpressionError as exc:
            _add(errors, "filter", _("Filter: %(error)s") % {"error": exc})
    aggregate = definition.get("aggregate") or Aggregate.COUNT
    if aggregate not in Aggregate.values:
        _add(
            errors,
            "aggregate",
            _("Unknown aggregate “%(aggregate)s”.") % {"aggregate": aggregate},
        )
    name = definition.get("field") or ""
    if aggregate in NUMERIC_AGGREGATES:
        f = source.fields.get(name)
        if f is None or f.kind not in sources.NUMERIC_KINDS:
            numeric = sorted(n for n, x in source.fields.items() if x.kind in sources.NUMERIC_KINDS)
            _add(
                errors,
                "field",
                _("%(aggregate)s needs a number field of %(source)s: %(fields)s")
                % {"aggregate": aggregate, "source": source.label, "fields": ", ".join(numeric)},
            )
    elif aggregate == Aggregate.COUNT_DISTINCT and name not in source.fields:
        _add(
            errors,
            "field",
            _("Count distinct needs a field of %(source)s: %(fields)s")
            % {"source": source.label, "fields": ", ".join(sorted(source.fields))},
        )
    date_field = definition.get("date_field") or ""
    if date_field and date_field not in source.date_fields:
        _add(
            errors,
            "date_field",
            _("“%(field)s” is not a date field of %(source)s: %(fields)s")
            % {
                "field": date_field,
                "source": source.label,
                "fields": ", ".join(source.date_fields),
            },
        )
    return errors


# --- computing ---------------------------------------------------------------------------


def _period_q(source: sources.Source, date_field: str, start: dt.date, end: dt.date) -> Q:
    if not date_field:
        return Q()
    f = source.fields[date_field]
    if f.kind == "datetime":
        zone = timezone.get_default_timezone()
        low = timezone.make_aware(dt.datetime.combine(start, dt.time()), zone)
        high = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time()), zone)
        return Q(**{f"{f.alias}__gte": low, f"{f.alias}__lt": high})
    return Q(**{f"{f.alias}__gte": start, f"{f.alias}__lte": end})


def _rows(definition: dict, start: dt.date, end: dt.date) -> tuple[sources.Source, QuerySet]:
    source = sources.get(definition["source"])
    q, names = Q(), set()
    if (definition.get("filter") or "").strip():
        q, parsed = _parse_filter(source, definition["filter"])
        names = set(parsed)
    date_field = definition.get("date_field") or ""
    names |= {n for n in (definition.get("field"), date_field) if n}
    qs = source.with_fields(names).filter(q).filter(_period_q(source, date_field, start, end))
    return source, qs


def _number(value) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        value = value.total_seconds() / 86400
    try:
        return Decimal(str(value)).quantize(PLACES)
    except (InvalidOperation, ValueError):
        return None


def _rollup_column(definition: dict) -> str | None:
    """The ActivityRollup column that answers this metric exactly, if one does: a count of
    (effective) activities by ``started_at`` with no other filter. The rollup holds one row
    per rep, local day and hour (kept equal to the raw rows), so a month of 5M activities
    is a few hundred thousand small rows instead."""
    if definition.get("source") != "activities" or definition.get("aggregate") != Aggregate.COUNT:
        return None
    if (definition.get("date_field") or "") != "started_at":
        return None
    text = " ".join((definition.get("filter") or "").split())
    return {"": "activities", "effective": "effective", "effective == True": "effective"}.get(text)


def _aggregate(definition: dict, user_ids: list[int], start, end) -> dict[int, Decimal | None]:
    aggregate = definition.get("aggregate") or Aggregate.COUNT
    column = _rollup_column(definition)
    if column:
        from salesops.activities.models import ActivityRollup

        qs = ActivityRollup.objects.filter(day__gte=start, day__lte=end).order_by()
        owner, agg = "owner_id", Sum(column)
    else:
        source, qs = _rows(definition, start, end)
        f = source.fields.get(definition.get("field") or "")
        owner, agg = source.owner, _AGGREGATES[aggregate](f.alias if f else "pk")
    if len(user_ids) <= SUBSET_LIMIT:
        qs = qs.filter(**{f"{owner}__in": user_ids})
    wanted = set(user_ids)
    zero = aggregate in (Aggregate.COUNT, Aggregate.SUM, Aggregate.COUNT_DISTINCT)
    values: dict[int, Decimal | None] = {
        uid: (Decimal(0).quantize(PLACES) if zero else None) for uid in user_ids
    }
    for row in qs.values(kpi_uid=F(owner)).annotate(kpi_value=agg).order_by():
        if row["kpi_uid"] in wanted:
            value = _number(row["kpi_value"])
            values[row["kpi_uid"]] = (
                value if value is not None or not zero else values[row["kpi_uid"]]
            )
    return values


def period_values(start: dt.date, end: dt.date) -> dict[str, Decimal]:
    return {
        "workdays": Decimal(calendar.working_days_between(start, end + dt.timedelta(days=1))),
        "days": Decimal((end - start).days + 1),
    }


def _with_dependencies(definitions: list[dict]) -> dict[str, dict]:
    """The definitions by code, plus the active metrics derived formulas read."""
    by_code = {d["code"]: d for d in definitions}
    pending = [c for d in definitions for c in components(d)]
    while pending:
        missing = {c for c in pending if c not in by_code}
        pending = []
        if not missing:
            break
        for metric in Metric.objects.filter(code__in=missing, is_active=True):
            definition = metric.definition()
            by_code[metric.code] = definition
            pending.extend(components(definition))
    return by_code


def evaluate_derived(formula: str, variables: dict) -> Decimal | None:
    """A derived formula's value (None when a component has no value, or on a division by
    zero or any other failure)."""
    if any(v is None for v in variables.values()):
        return None
    try:
        return _number(evaluate(formula, variables))
    except (ExpressionError, ArithmeticError, TypeError, ValueError):
        return None


def compute(
    definitions: list[dict], user_ids: list[int], start: dt.date, end: dt.date
) -> dict[str, dict[int, Decimal | None]]:
    """``{code: {user_id: value}}`` for the definitions (and the metrics derived ones read)
    over ``[start, end]``."""
    user_ids = list(dict.fromkeys(user_ids))
    by_code = _with_dependencies(definitions)
    result: dict[str, dict[int, Decimal | None]] = {}
    for code, definition in by_code.items():
        if definition.get("kind") != MetricKind.DERIVED:
            result[code] = _aggregate(definition, user_ids, start, end)
    period = period_values(start, end)

    def derived(code: str, trail: tuple[str, ...]) -> dict[int, Decimal | None]:
        if code in result:
            return result[code]
        definition = by_code.get(code)
        if definition is None or code in trail:  # unknown or circular: no value
            return dict.fromkeys(user_ids)
        deps = {c: derived(c, (*trail, code)) for c in components(definition)}
        try:
            expression = compile_expression(definition["formula"])
        except ExpressionError:
            result[code] = dict.fromkeys(user_ids)
            return result[code]
        values = {}
        for uid in user_ids:
            variables = {n: period[n] for n in expression.names & PERIOD_NAMES}
            variables.update({c: deps[c].get(uid) for c in deps})
            values[uid] = evaluate_derived(expression, variables)
        result[code] = values
        return values

    for code in by_code:
        derived(code, ())
    return result


def records(definition: dict, user_id: int, start: dt.date, end: dt.date) -> QuerySet | None:
    """The rows behind an aggregate metric's value for one user (drill-down); None for a
    derived metric."""
    if definition.get("kind") == MetricKind.DERIVED:
        return None
    source, qs = _rows(definition, start, end)
    return qs.filter(**{source.owner: user_id})

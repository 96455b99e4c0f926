"""Routing rules that can never place a lead (issue 13, item 4): a condition that can
never hold (``province == '上海市' and province == '北京市'``, ``size > 10 and size < 5``),
and a rule an earlier one always catches first (same or broader condition at a higher
priority: ``province == '上海市'`` after ``province in ('上海市', '江苏省')``).

Conditions are read as what routing conditions nearly always are: comparisons of a field
with literals joined by and/or/not. Each becomes a list of alternatives (an "or" of
"and"s); a part this analysis does not understand (a function call, an arithmetic
expression) is kept as an opaque fact that only the very same text satisfies. The answer
is therefore one-sided: a warning is given only when the rule is certainly impossible or
certainly shadowed; a condition too complex to read gives none.

A shadowing found this way is then confirmed the way the routing tester evaluates rules:
a sample lead is built that the later rule matches and both compiled conditions are
evaluated on it (``core.expressions``); if the earlier rule's condition does not hold
there, no warning is given.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from salesops.core.expressions import ExpressionError, compile_expression, prepare

MAX_ALTERNATIVES = 64
_FLIP = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE}
_NEGATE = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
}


class _TooComplex(Exception):
    pass


@dataclass
class Clause:
    """One alternative: every constraint must hold."""

    allowed: dict[str, frozenset] = field(default_factory=dict)
    excluded: dict[str, set] = field(default_factory=dict)
    low: dict[str, tuple] = field(default_factory=dict)  # name -> (value, inclusive)
    high: dict[str, tuple] = field(default_factory=dict)
    opaque: set[str] = field(default_factory=set)
    contradiction: bool = False

    def copy(self) -> Clause:
        return Clause(
            dict(self.allowed),
            {k: set(v) for k, v in self.excluded.items()},
            dict(self.low),
            dict(self.high),
            set(self.opaque),
            self.contradiction,
        )

    def merge(self, other: Clause) -> Clause:
        merged = self.copy()
        merged.contradiction |= other.contradiction
        for name, values in other.allowed.items():
            merged.allowed[name] = merged.allowed.get(name, values) & values
        for name, values in other.excluded.items():
            merged.excluded.setdefault(name, set()).update(values)
        for name, bound in other.low.items():
            merged._bound(merged.low, name, bound, lower=True)
        for name, bound in other.high.items():
            merged._bound(merged.high, name, bound, lower=False)
        merged.opaque |= other.opaque
        return merged

    @staticmethod
    def _bound(bounds: dict, name: str, bound: tuple, *, lower: bool) -> None:
        current = bounds.get(name)
        if current is None:
            bounds[name] = bound
            return
        try:
            if bound[0] == current[0]:
                bounds[name] = (bound[0], bound[1] and current[1])
            elif (bound[0] > current[0]) == lower:
                bounds[name] = bound
        except TypeError:
            raise _TooComplex from None  # a number against text: leave it to the engine

    def admits(self, name: str, value) -> bool:
        """Whether ``value`` for ``name`` satisfies this clause's bounds and exclusions."""
        if value in self.excluded.get(name, ()):
            return False
        try:
            low = self.low.get(name)
            if low is not None and not (value >= low[0] if low[1] else value > low[0]):
                return False
            high = self.high.get(name)
            if high is not None and not (value <= high[0] if high[1] else value < high[0]):
                return False
        except TypeError:
            return False  # the engine raises, routing skips the rule: never matches
        return True

    def normalise(self) -> Clause:
        """Narrow each allowed set by the bounds and exclusions; mark contradictions."""
        for name, values in list(self.allowed.items()):
            self.allowed[name] = frozenset(v for v in values if self.admits(name, v))
            if not self.allowed[name]:
                self.contradiction = True
        for name in set(self.low) & set(self.high):
            (low, low_in), (high, high_in) = self.low[name], self.high[name]
            try:
                if low > high or (low == high and not (low_in and high_in)):
                    self.contradiction = True
            except TypeError:
                self.contradiction = True
        return self

    def implies(self, other: Clause) -> bool:
        """Whether every lead this clause matches also matches ``other``."""
        if self.contradiction:
            return True
        if not other.opaque <= self.opaque:
            return False
        for name, values in other.allowed.items():
            if name not in self.allowed or not self.allowed[name] <= values:
                return False
        for name, values in other.excluded.items():
            for value in values:
                if not self._excludes(name, value):
                    return False
        for name, (value, inclusive) in other.low.items():
            if not self._within(name, value, inclusive, lower=True, other=other):
                return False
        for name, (value, inclusive) in other.high.items():
            if not self._within(name, value, inclusive, lower=False, other=other):
                return False
        return True

    def _excludes(self, name: str, value) -> bool:
        if name in self.allowed:
            return value not in self.allowed[name]
        if value in self.excluded.get(name, ()):
            return True
        probe = Clause(low=dict(self.low), high=dict(self.high))
        return (name in self.low or name in self.high) and not probe.admits(name, value)

    def _within(self, name: str, value, inclusive: bool, *, lower: bool, other: Clause) -> bool:
        if name in self.allowed:
            return all(other.admits(name, v) for v in self.allowed[name])
        own = (self.low if lower else self.high).get(name)
        if own is None:
            return False
        try:
            if own[0] == value:
                return inclusive or not own[1]
            return (own[0] > value) == lower
        except TypeError:
            return False


# --- reading a condition ----------------------------------------------------------------------
def _literal(node):
    """The value of a constant, or a frozenset for a tuple/list/set of constants."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _literal(node.operand)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return -value
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        values = [_literal(e) for e in node.elts]
        if all(v is not _NOT_LITERAL and not isinstance(v, frozenset) for v in values):
            return frozenset(values)
    return _NOT_LITERAL


_NOT_LITERAL = object()


def _atom(node) -> list[Clause]:
    return [Clause(opaque={ast.dump(node)})]


def _compare(name: str, op: type, value) -> list[Clause]:
    if isinstance(value, float):
        value = Decimal(str(value))  # as the engine reads a float literal
    if op is ast.Eq:
        return [Clause(allowed={name: frozenset([value])})]
    if op is ast.NotEq:
        return [Clause(excluded={name: {value}})]
    if op in (ast.In, ast.NotIn):
        if not isinstance(value, frozenset):
            return []  # not a list of values: handled by the caller as opaque
        if op is ast.In:
            return [Clause(allowed={name: value})]
        return [Clause(excluded={name: set(value)})]
    if isinstance(value, frozenset) or value is None or isinstance(value, bool):
        return []
    if op in (ast.Gt, ast.GtE):
        return [Clause(low={name: (value, op is ast.GtE)})]
    return [Clause(high={name: (value, op is ast.LtE)})]


def _comparison(node: ast.Compare, negate: bool = False) -> list[Clause]:
    parts = []
    left = node.left
    for op, right in zip(node.ops, node.comparators, strict=True):
        op_type = type(op)
        if negate:
            op_type = _NEGATE.get(op_type)
        name = value = None
        if isinstance(left, ast.Name) and _literal(right) is not _NOT_LITERAL:
            name, value = left.id, _literal(right)
        elif (
            isinstance(right, ast.Name)
            and _literal(left) is not _NOT_LITERAL
            and op_type not in (ast.In, ast.NotIn)
        ):
            name, value = right.id, _literal(left)
            op_type = _FLIP.get(op_type, op_type)
        clauses = _compare(name, op_type, value) if name and op_type else []
        if not clauses:
            sub = ast.Compare(left=left, ops=[op], comparators=[right])
            clauses = _atom(ast.UnaryOp(op=ast.Not(), operand=sub) if negate else sub)
        parts.append(clauses)
        left = right
    if negate and len(parts) > 1:
        return [c for clauses in parts for c in clauses]  # not (a and b) = not a or not b
    return _and(parts)


def _and(parts: list[list[Clause]]) -> list[Clause]:
    result = [Clause()]
    for clauses in parts:
        result = [a.merge(b) for a, b in itertools.product(result, clauses)]
        if len(result) > MAX_ALTERNATIVES:
            raise _TooComplex
    return result


def _dnf(node) -> list[Clause]:
    if isinstance(node, ast.BoolOp):
        parts = [_dnf(v) for v in node.values]
        if isinstance(node.op, ast.And):
            return _and(parts)
        result = [c for clauses in parts for c in clauses]
        if len(result) > MAX_ALTERNATIVES:
            raise _TooComplex
        return result
    if isinstance(node, ast.Compare):
        return _comparison(node)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = node.operand
        if isinstance(inner, ast.Compare):
            return _comparison(inner, negate=True)
        if isinstance(inner, ast.UnaryOp) and isinstance(inner.op, ast.Not):
            return _dnf(inner.operand)
        return _atom(node)
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return [Clause()] if node.value else []
    return _atom(node)


def alternatives(condition: str) -> list[Clause] | None:
    """The condition as alternatives that can hold (an empty condition: one clause with
    no constraint; an impossible one: none), or ``None`` when it is too complex or does
    not compile."""
    if not (condition or "").strip():
        return [Clause()]
    try:
        tree = compile_expression(condition).tree
        clauses = _dnf(tree.body)
    except (ExpressionError, _TooComplex, RecursionError):
        return None
    try:
        return [c for c in (c.normalise() for c in clauses) if not c.contradiction]
    except _TooComplex:
        return None


def _covers(earlier: list[Clause], later: list[Clause]) -> bool:
    return all(any(b.implies(a) for a in earlier) for b in later)


# --- confirming on a sample, as the routing tester does ------------------------------------
def _sample_value(clause: Clause, name: str):
    if clause.allowed.get(name):
        return sorted(clause.allowed[name], key=repr)[0]
    low, high = clause.low.get(name), clause.high.get(name)
    try:
        if low is not None:
            return low[0] if low[1] else low[0] + 1
        if high is not None:
            return high[0] if high[1] else high[0] - 1
    except TypeError:
        return None  # a text bound: the sample proves nothing either way
    return "\u2063sample"  # a value no exclusion names


def _sample(clause: Clause) -> dict:
    names = set(clause.allowed) | set(clause.excluded) | set(clause.low) | set(clause.high)
    return {name: _sample_value(clause, name) for name in names}


def _holds(condition: str, variables: dict) -> bool | None:
    if not (condition or "").strip():
        return True
    try:
        expression = compile_expression(condition)
        base = dict.fromkeys(expression.names)  # a field the sample leaves out is empty
        base.update(variables)
        return bool(expression.evaluate(prepare(base)))
    except (ExpressionError, TypeError, LookupError):
        return None


def _confirmed(earlier: str, later: str, clauses: list[Clause]) -> bool:
    """False only when a sample the later rule matches shows the earlier one does not."""
    for clause in clauses:
        if clause.opaque:
            continue
        sample = _sample(clause)
        if _holds(later, sample) is True and _holds(earlier, sample) is False:
            return False
    return True


# --- the warnings ---------------------------------------------------------------------------
def rule_warnings(rule, others) -> list[str]:
    """What is wrong with ``rule``'s place among ``others`` (the other routing rules):
    a condition that can never hold, or the earlier active rule that always wins."""
    clauses = alternatives(rule.condition)
    if clauses is None:
        return []
    if not clauses:
        return [
            _(
                "The condition of “%(rule)s” can never hold (its parts contradict each "
                "other): this rule will never get a lead."
            )
            % {"rule": rule.name}
        ]
    for other in sorted(others, key=lambda r: (r.priority, r.pk or 0)):
        if other.pk == rule.pk and rule.pk is not None:
            continue
        if not other.is_active or not _before(other, rule):
            continue
        theirs = alternatives(other.condition)
        if (
            theirs
            and _covers(theirs, clauses)
            and _confirmed(other.condition, rule.condition, clauses)
        ):
            return [
                _(
                    "“%(winner)s” (priority %(priority)d) is tried first and matches every "
                    "lead “%(rule)s” matches: this rule gets leads only when the reps of "
                    "“%(winner)s” are full or away. Give this rule a smaller priority number "
                    "than %(priority)d, or narrow the condition of “%(winner)s”."
                )
                % {"winner": other.name, "priority": other.priority, "rule": rule.name}
            ]
    return []


def rules_it_shadows(rule, others) -> list[str]:
    """The later active rules ``rule`` now catches every lead of (a new catch-all at the
    top, say): saving it changes where their leads go, so the person is told."""
    if not rule.is_active:
        return []
    mine = alternatives(rule.condition)
    if not mine:
        return []
    found = []
    for other in sorted(others, key=lambda r: (r.priority, r.pk or 0)):
        if other.pk == rule.pk or not other.is_active or not _before(rule, other):
            continue
        theirs = alternatives(other.condition)
        if not theirs:
            continue  # impossible or unreadable: its own warning says so
        if _covers(mine, theirs) and _confirmed(rule.condition, other.condition, theirs):
            found.append(
                _(
                    "“%(rule)s” now comes before “%(later)s” (priority %(priority)d) and "
                    "matches every lead it matches: “%(later)s” gets leads only when the "
                    "reps of “%(rule)s” are full or away."
                )
                % {"rule": rule.name, "later": other.name, "priority": other.priority}
            )
    return found


def _before(other, rule) -> bool:
    """Whether routing tries ``other`` before ``rule`` (priority, then age)."""
    if other.priority != rule.priority:
        return other.priority < rule.priority
    if rule.pk is None:
        return True
    return other.pk is not None and other.pk < rule.pk


def all_warnings(rules) -> dict[int, list[str]]:
    """``rule id -> warnings`` for the routing list."""
    rules = list(rules)
    return {rule.pk: rule_warnings(rule, rules) for rule in rules}

"""The one safe expression evaluator (routing, automation conditions, KPI and bonus formulas).

Formulas are parsed with :mod:`ast`, checked against a whitelist of node types, names and
functions (with the position of every problem), then evaluated by a restricted
:class:`simpleeval.SimpleEval`. There is no attribute access, no subscripting of objects,
no imports, no lambdas or comprehensions, and limits on source size, node count, powers,
string sizes and evaluation time. Python's ``eval`` is never used.

Decimal literals: ``0.15`` in a formula becomes ``Decimal("0.15")`` so money stays exact.
"""

from __future__ import annotations

import ast
import decimal
import os
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import simpleeval
from django.utils.translation import gettext as _

# The functions and the error live in expression_library (re-exported: callers import
# ExpressionError and the limits from here).
from .expression_library import (  # noqa: F401
    CONSTANTS,
    FUNCTIONS,
    MAX_INT_DIGITS,
    MAX_ROUND_PLACES,
    MAX_STRING_LENGTH,
    ExpressionError,
    _is_int,
    _true_div,
)

MAX_SOURCE_LENGTH = 2000
MAX_NODES = 400
MAX_POWER_EXPONENT = 100
MAX_SECONDS = 0.05


_ALLOWED_NODES = (
    ast.Expression,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.List,
    ast.Tuple,
    ast.And,
    ast.Or,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Pow,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
)


@dataclass
class Expression:
    """A validated formula: source, parsed tree and the variable names it reads."""

    source: str
    tree: ast.Expression
    names: set[str] = field(default_factory=set)
    # Leading whitespace stripped from what the person typed; added back to positions.
    offset: int = 0
    # A plain-Python closure for conditions made only of names, literals, comparisons
    # and and/or/not (see :func:`_fast`); ``None`` means "walk the tree".
    fast: Any = field(default=None, repr=False, compare=False)
    # ``(name, frozenset of texts)`` when the condition is false for certain, without an
    # error, whenever the variable ``name`` holds a text outside the set or None (see
    # :func:`_guard`); ``None``: no such shortcut.
    guard: tuple[str, frozenset] | None = field(default=None, repr=False, compare=False)

    def evaluate(self, variables: dict[str, Any] | None = None) -> Any:
        return evaluate(self, variables)


def _position(source: str, node: ast.AST, offset: int = 0) -> int:
    """1-based character offset of a node in a (possibly multi-line) source."""
    line = getattr(node, "lineno", 1)
    col = getattr(node, "col_offset", 0)
    lines = source.splitlines(keepends=True)
    return sum(len(x) for x in lines[: line - 1]) + col + 1 + offset


def _syntax_position(source: str, exc: SyntaxError, offset: int) -> int:
    """Where a syntax error is, 1-based. Python reports offset 0 for an expression that
    ends too early (``1 +``); point just past its end instead."""
    lines = source.splitlines(keepends=True) or [""]
    line = min(max(exc.lineno or 1, 1), len(lines))
    col = (exc.offset or 0) - 1
    if col < 0:
        col = len(lines[line - 1].rstrip("\n"))
    return sum(len(x) for x in lines[: line - 1]) + col + 1 + offset


_PARSE_LOCK = threading.Lock()


def _new_parse_lock() -> None:
    global _PARSE_LOCK
    _PARSE_LOCK = threading.Lock()


# A child forked while another thread parsed (core.writebehind) gets a free lock.
os.register_at_fork(after_in_child=_new_parse_lock)
_local = threading.local()


def compile_expression(source: str, allowed_names: set[str] | None = None) -> Expression:
    """Parse and check a formula. ``allowed_names`` (if given) are the only variables it may
    read; unknown names are reported with their position."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError(_("The formula is empty."))
    if len(source) > MAX_SOURCE_LENGTH:
        raise ExpressionError(
            _("The formula is too long (%(n)d characters, at most %(max)d).")
            % {"n": len(source), "max": MAX_SOURCE_LENGTH}
        )
    lead = len(source) - len(source.lstrip())
    text = source.strip()
    try:
        with _PARSE_LOCK:  # CPython 3.11 < 3.11.8: ast.parse is not thread-safe (gh-106905)
            tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(
            _("Syntax error: %(msg)s") % {"msg": exc.msg},
            position=_syntax_position(text, exc, lead),
        ) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(_("The formula is nested too deeply.")) from None
    names: set[str] = set()
    count = 0
    for node in ast.walk(tree):
        count += 1
        if count > MAX_NODES:
            raise ExpressionError(
                _("The formula is too complex (more than %(n)d parts).") % {"n": MAX_NODES}
            )
        pos = _position(text, node, lead) if hasattr(node, "lineno") else None
        if isinstance(node, ast.Attribute):
            raise ExpressionError(
                _("Attribute access (“.%(attr)s”) is not allowed; use the field name directly.")
                % {"attr": node.attr},
                position=pos,
                name=node.attr,
            )
        if not isinstance(node, _ALLOWED_NODES):
            raise ExpressionError(
                _("“%(kind)s” is not allowed in a formula.") % {"kind": type(node).__name__},
                position=pos,
            )
        if isinstance(node, ast.Name):
            if node.id.startswith("_"):
                raise ExpressionError(
                    _("Names starting with “_” are not allowed: %(name)s") % {"name": node.id},
                    position=pos,
                    name=node.id,
                )
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute):
                # ``'{}'.format(x)``: report the attribute, not an "unknown function".
                raise ExpressionError(
                    _("Attribute access (“.%(attr)s”) is not allowed; use the field name directly.")
                    % {"attr": node.func.attr},
                    position=_position(text, node.func, lead)
                    if hasattr(node.func, "lineno")
                    else pos,
                    name=node.func.attr,
                )
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                fname = getattr(node.func, "id", type(node.func).__name__)
                raise ExpressionError(
                    _("Unknown function “%(name)s”. Available: %(choices)s")
                    % {"name": fname, "choices": ", ".join(sorted(FUNCTIONS))},
                    position=pos,
                    name=fname,
                )
            if node.keywords:
                raise ExpressionError(_("Keyword arguments are not supported."), position=pos)
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            if len(node.value) > MAX_STRING_LENGTH:
                raise ExpressionError(_("A text literal is too long."), position=pos)
        if isinstance(node, ast.Constant) and not isinstance(
            node.value, (bool, int, float, str, type(None))
        ):
            # bytes, complex numbers and ``...``
            raise ExpressionError(_("This kind of literal is not allowed."), position=pos)
    function_names = {
        n.func.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Name)
            and node.id not in function_names
            and node.id not in CONSTANTS
        ):
            if allowed_names is not None and node.id not in allowed_names:
                raise ExpressionError(
                    _("Unknown name “%(name)s”.") % {"name": node.id},
                    position=_position(text, node, lead),
                    name=node.id,
                )
            names.add(node.id)
    return Expression(
        source=text,
        tree=tree,
        names=names,
        offset=lead,
        fast=_fast(tree.body),
        guard=_guard(tree.body),
    )


# --- the guard ----------------------------------------------------------------------------
# Routing tries every rule's condition on every lead, and nearly every rule reads
# ``province == '浙江' and …`` or ``province in ['浙江', '江苏']``: most rules are false for a
# lead at their first comparison. The guard is that comparison as a set of texts, so the
# caller can skip a rule with one set lookup instead of an evaluation (:func:`excludes`).


def _text_literals(node) -> frozenset | None:
    if isinstance(node, ast.Constant) and type(node.value) is str:
        return frozenset([node.value])
    if isinstance(node, (ast.List, ast.Tuple)) and all(
        isinstance(e, ast.Constant) and type(e.value) is str for e in node.elts
    ):
        return frozenset(e.value for e in node.elts)
    return None


def _guard(node) -> tuple[str, frozenset] | None:
    """For ``name == 'text'``, ``'text' == name``, ``name in ['a', 'b']`` or an ``and``
    that starts with one of them: ``(name, the texts)``."""
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
        # ``a and b`` is ``a`` when ``a`` is false: the rest is never evaluated.
        return _guard(node.values[0])
    if not isinstance(node, ast.Compare) or len(node.ops) != 1:
        return None
    op, left, right = node.ops[0], node.left, node.comparators[0]
    if isinstance(op, ast.Eq):
        if isinstance(left, ast.Constant) and isinstance(right, ast.Name):
            left, right = right, left
        if isinstance(left, ast.Name) and isinstance(right, ast.Constant):
            texts = _text_literals(right)
            return (left.id, texts) if texts is not None else None
        return None
    if isinstance(op, ast.In) and isinstance(left, ast.Name) and isinstance(right, ast.List):
        texts = _text_literals(right)
        return (left.id, texts) if texts is not None else None
    return None


def excludes(expression: Expression, names: dict) -> bool:
    """True when :func:`evaluate` of ``expression`` with ``names`` (prepared variables)
    would certainly return a false value without raising: every name it reads is there
    (else evaluation reports the unknown name) and its guard's variable holds None or a
    text outside the guard's texts (``==`` between texts, or between None and a text, is
    a plain comparison: it neither raises nor differs from set membership)."""
    guard = expression.guard
    if guard is None or not expression.names <= names.keys():
        return False
    value = names[guard[0]]
    if value is None:
        return True
    return type(value) is str and value not in guard[1]


# --- the fast path ----------------------------------------------------------------------
# Routing and automation conditions are nearly always ``region == '华东' and industry in
# ['software', 'retail']``. Walking such a tree through simpleeval costs tens of
# microseconds per rule; the same logic as nested closures costs about one. The closures
# do exactly what the evaluator does for these nodes (the operators are simpleeval's own;
# float literals become Decimals), so results and errors are the same; any other node
# keeps the general evaluator.
_FAST_COMPARE = {
    ast.Eq: simpleeval.DEFAULT_OPERATORS[ast.Eq],
    ast.NotEq: simpleeval.DEFAULT_OPERATORS[ast.NotEq],
    ast.Lt: simpleeval.DEFAULT_OPERATORS[ast.Lt],
    ast.LtE: simpleeval.DEFAULT_OPERATORS[ast.LtE],
    ast.Gt: simpleeval.DEFAULT_OPERATORS[ast.Gt],
    ast.GtE: simpleeval.DEFAULT_OPERATORS[ast.GtE],
    ast.In: simpleeval.DEFAULT_OPERATORS[ast.In],
    ast.NotIn: simpleeval.DEFAULT_OPERATORS[ast.NotIn],
}


def _fast_literal(node):
    """``(True, value)`` for a literal the fast path can hold, else ``(False, None)``."""
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, float):
            return True, Decimal(repr(value))
        if value is None or isinstance(value, (bool, int, str)):
            return True, value
        return False, None
    if isinstance(node, (ast.List, ast.Tuple)):
        items = []
        for element in node.elts:
            ok, value = _fast_literal(element)
            if not ok:
                return False, None
            items.append(value)
        return True, (items if isinstance(node, ast.List) else tuple(items))
    return False, None


def _fast(node):
    """A closure ``f(names)`` equivalent to evaluating ``node``, or ``None``."""
    if isinstance(node, ast.Name):
        key = node.id
        return lambda names: names[key]
    ok, value = _fast_literal(node)
    if ok:
        if isinstance(value, list):  # a fresh list each time, as the evaluator builds one
            return lambda names: list(value)
        return lambda names: value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _fast(node.operand)
        return None if inner is None else (lambda names: not inner(names))
    if isinstance(node, ast.BoolOp):
        parts = [_fast(v) for v in node.values]
        if any(p is None for p in parts):
            return None
        if isinstance(node.op, ast.And):

            def all_of(names):
                result = False
                for part in parts:
                    result = part(names)
                    if not result:
                        break
                return result

            return all_of

        def any_of(names):
            result = False
            for part in parts:
                result = part(names)
                if result:
                    break
            return result

        return any_of
    if isinstance(node, ast.Compare):
        left = _fast(node.left)
        ops = [_FAST_COMPARE.get(type(o)) for o in node.ops]
        rights = [_fast(c) for c in node.comparators]
        if left is None or None in ops or any(r is None for r in rights):
            return None
        if len(ops) == 1:
            operator, right = ops[0], rights[0]
            return lambda names: operator(left(names), right(names))
        pairs = list(zip(ops, rights, strict=True))

        def chain(names):
            current = left(names)
            result = True
            for operator, right in pairs:
                if not result:
                    break
                following = right(names)
                result = operator(current, following)
                current = following
            return result

        return chain
    return None


def _safe_power(a, b):
    if abs(b) > MAX_POWER_EXPONENT:
        raise ExpressionError(
            _("The exponent %(b)s is too large (at most %(max)d).")
            % {"b": b, "max": MAX_POWER_EXPONENT}
        )
    if _is_int(a) and _is_int(b) and b > 0 and abs(a) > 1:
        # digits of a**b ≈ b·log10|a|; repeated squaring ((x**2)**2)**2… would otherwise
        # double the size at every step.
        if b * (abs(a).bit_length() - 1) * 0.30103 > MAX_INT_DIGITS:
            raise ExpressionError(_("The power result would be too large."))
    if _is_int(a) and _is_int(b) and b < 0:
        return Decimal(a) ** b  # exact like "/", not a binary float
    return a**b


def _size(value, limit: int = MAX_STRING_LENGTH) -> int:
    """Length of a text or list counting nested lists, stopping early past ``limit``."""
    if isinstance(value, str):
        return len(value)
    if not isinstance(value, (list, tuple)):
        return 1
    total = len(value)
    for item in value:
        if total > limit:
            break
        if isinstance(item, (str, list, tuple)):
            total += _size(item, limit)
    return total


def _safe_mult(a, b):
    for seq, n in ((a, b), (b, a)):
        if isinstance(seq, (str, list, tuple)) and isinstance(n, int):
            # nested sizes count: [[1]*9000]*9000 is 81 million items to compare or print
            if n > 0 and _size(seq) * n > MAX_STRING_LENGTH:
                raise ExpressionError(_("The text result would be too long."))
    return a * b


def _safe_mod(a, b):
    if isinstance(a, (str, bytes)):
        # ``'%999999999s' % x`` builds a gigabyte string; formulas need no text formatting.
        raise ExpressionError(_("“%” is only for numbers (the remainder of a division)."))
    return a % b


def _safe_add(a, b):
    if isinstance(a, (str, list, tuple)) and isinstance(b, (str, list, tuple)):
        if len(a) + len(b) > MAX_STRING_LENGTH:
            raise ExpressionError(_("The text result would be too long."))
    return a + b


class _Evaluator(simpleeval.SimpleEval):
    def __init__(self, names):
        operators = dict(simpleeval.DEFAULT_OPERATORS)
        operators[ast.Pow] = _safe_power
        operators[ast.Mult] = _safe_mult
        operators[ast.Add] = _safe_add
        operators[ast.Mod] = _safe_mod
        operators[ast.Div] = _true_div
        for banned in (ast.BitOr, ast.BitAnd, ast.BitXor, ast.LShift, ast.RShift, ast.Invert):
            operators.pop(banned, None)
        super().__init__(operators=operators, functions=dict(FUNCTIONS), names=names)
        self.nodes[ast.List] = lambda node: [self._eval(x) for x in node.elts]
        self.nodes[ast.Tuple] = lambda node: tuple(self._eval(x) for x in node.elts)
        self.deadline = time.monotonic() + MAX_SECONDS

    def _eval_call(self, node):
        # if_() evaluates only the branch it returns, so if_(b == 0, 0, a / b) guards the
        # division instead of failing on it.
        if isinstance(node.func, ast.Name) and node.func.id == "if_" and len(node.args) == 3:
            condition, then, otherwise = node.args
            return self._eval(then) if self._eval(condition) else self._eval(otherwise)
        return super()._eval_call(node)

    def _eval(self, node):
        if time.monotonic() > self.deadline:
            raise ExpressionError(_("The formula took too long to evaluate."))
        return super()._eval(node)

    def _eval_constant(self, node):
        if isinstance(node.value, float):
            return Decimal(repr(node.value))
        return super()._eval_constant(node)


class Prepared(dict):
    """Variables already merged with the constants (see :func:`prepare`)."""


def prepare(variables: dict | None) -> Prepared:
    """The names an evaluation sees; prepare once to evaluate many formulas against the
    same record (routing tries up to every rule's condition on one lead)."""
    names = Prepared(CONSTANTS)
    names.update(variables or {})
    return names


def evaluate(expression: Expression | str, variables: dict[str, Any] | None = None) -> Any:
    """Evaluate a formula against ``variables``. Raises :class:`ExpressionError` with a
    message for people on any failure (unknown name, wrong types, division by zero …)."""
    if isinstance(expression, str):
        expression = compile_expression(expression)
    if isinstance(variables, Prepared):
        names = variables
    else:
        names = prepare(variables)
    missing = sorted(expression.names - names.keys())
    if missing:
        where = next(
            n for n in ast.walk(expression.tree) if isinstance(n, ast.Name) and n.id == missing[0]
        )
        raise ExpressionError(
            _("Unknown name “%(name)s”.") % {"name": missing[0]},
            position=_position(expression.source, where, expression.offset),
            name=missing[0],
        )
    ev = None
    try:
        if expression.fast is not None:
            return expression.fast(names)
        ev = _local.__dict__.pop("evaluator", None)
        if ev is None:
            ev = _Evaluator(names)
        else:  # reuse this thread's evaluator: building one costs more than most evaluations
            ev.names = names
            ev.deadline = time.monotonic() + MAX_SECONDS
        ev.expr = expression.source
        return ev._eval(expression.tree.body)
    except ExpressionError:
        raise
    except ZeroDivisionError:
        raise ExpressionError(_("Division by zero; use div(a, b, default) to guard it.")) from None
    except TypeError as exc:
        raise ExpressionError(_("Values of the wrong type: %(detail)s") % {"detail": exc}) from None
    except simpleeval.InvalidExpression as exc:
        raise ExpressionError(str(exc)) from None
    except decimal.Overflow:
        raise ExpressionError(_("The result is too large.")) from None
    except decimal.InvalidOperation:
        raise ExpressionError(
            _("Could not compute: a value is not a number or too large to round.")
        ) from None
    except (ArithmeticError, ValueError, OverflowError) as exc:
        raise ExpressionError(_("Could not compute: %(detail)s") % {"detail": exc}) from None
    finally:
        if ev is not None:
            ev.names = {}
            _local.evaluator = ev  # popped above, so a nested evaluation builds its own


def validate(source: str, allowed_names: set[str] | None = None) -> list[str]:
    """Return the problems with a formula (empty if it is usable)."""
    try:
        compile_expression(source, allowed_names)
    except ExpressionError as exc:
        return [str(exc)]
    return []

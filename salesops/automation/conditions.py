"""The condition builder: rows of "field → operator → value" compiled to the expression text
the engine runs, and that text parsed back into rows when it is one the builder writes.

A row is ``{"field": name, "op": op, "value": …}``; the rows are joined by ``and`` (all
must hold) or ``or`` (any). Each operator writes one fixed shape of text, and a text opens
in the builder only when compiling its parsed rows gives that text back exactly: anything
else (an expert's own expression) opens as text.
"""

from __future__ import annotations

import ast
import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import fields as F

JOINS = ("and", "or")
COMPARE = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
# Operators offered for each kind of field, in the order of the dropdown.
OPERATORS = {
    F.TEXT: ("eq", "ne", "contains", "startswith", "empty", "set"),
    F.NUMBER: ("eq", "ne", "lt", "le", "gt", "ge", "empty", "set"),
    F.DATE: ("ago_more", "ago_within", "ahead_within", "empty", "set"),
    F.DATETIME: ("ago_more", "ago_within", "ahead_within", "empty", "set"),
    F.BOOLEAN: ("true", "false"),
    F.CHOICE: ("eq", "ne", "in", "not_in", "empty", "set"),
    F.USER: ("eq", "ne", "in", "not_in", "empty", "set"),
    F.REFERENCE: ("eq", "ne", "in", "not_in", "empty", "set"),
    F.MULTI: ("has", "has_not"),
}
OPERATOR_LABELS = {
    "eq": gettext_lazy("is"),
    "ne": gettext_lazy("is not"),
    "lt": gettext_lazy("is less than"),
    "le": gettext_lazy("is at most"),
    "gt": gettext_lazy("is more than"),
    "ge": gettext_lazy("is at least"),
    "contains": gettext_lazy("contains"),
    "startswith": gettext_lazy("starts with"),
    "empty": gettext_lazy("is empty"),
    "set": gettext_lazy("is filled in"),
    "true": gettext_lazy("is yes"),
    "false": gettext_lazy("is no"),
    "in": gettext_lazy("is one of"),
    "not_in": gettext_lazy("is none of"),
    "has": gettext_lazy("includes"),
    "has_not": gettext_lazy("does not include"),
    "ago_more": gettext_lazy("is more than N days ago"),
    "ago_within": gettext_lazy("is within the last N days"),
    "ahead_within": gettext_lazy("is within the next N days"),
}
NO_VALUE = ("empty", "set", "true", "false")
LIST_VALUE = ("in", "not_in")
DAYS = ("ago_more", "ago_within", "ahead_within")
NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")


class RowError(ValueError):
    pass


def quote(value) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _literal(spec: dict, value) -> str:
    """A value of the field as expression text: codes and texts quoted, ids and numbers
    bare; a choice must be one of the field's values."""
    kind = spec["kind"]
    text = str(value if value is not None else "").strip()
    if text == "":
        raise RowError(_("choose or enter a value"))
    if kind in (F.USER, F.REFERENCE) and not spec.get("choices"):
        if not text.isdigit():
            raise RowError(_("choose one from the list"))
        return str(int(text))
    if kind in (F.CHOICE, F.MULTI, F.USER, F.REFERENCE):
        for choice in spec.get("choices") or ():
            if str(choice["value"]) == text:
                v = choice["value"]
                return str(v) if isinstance(v, int) else quote(v)
        raise RowError(_("“%(value)s” is not one of its values") % {"value": text})
    if kind == F.NUMBER:
        if not NUMBER_RE.match(text):
            raise RowError(_("enter a number such as 100 or 2.5"))
        return text
    return quote(text)


def _days(value) -> str:
    text = str(value if value is not None else "").strip()
    if not text.isdigit():
        raise RowError(_("enter a whole number of days"))
    return str(int(text))


def compile_row(row: dict, spec: dict) -> str:
    name, op, value = spec["name"], row.get("op"), row.get("value")
    kind = spec["kind"]
    if op not in OPERATORS.get(kind, ()):
        raise RowError(_("choose an operator"))
    if op in COMPARE:
        return f"{name} {COMPARE[op]} {_literal(spec, value)}"
    if op == "contains":
        return f"contains({name}, {_literal(spec, value)})"
    if op == "startswith":
        return f"startswith({name}, {_literal(spec, value)})"
    if op in ("empty", "set"):
        blank = "''" if kind == F.TEXT else "None"
        return f"{name} {'==' if op == 'empty' else '!='} {blank}"
    if op in ("true", "false"):
        return f"{name} == {'True' if op == 'true' else 'False'}"
    if op in LIST_VALUE:
        values = value if isinstance(value, list) else [value] if value not in (None, "") else []
        if not values:
            raise RowError(_("choose at least one value"))
        items = ", ".join(_literal(spec, v) for v in values)
        return f"{name} {'in' if op == 'in' else 'not in'} [{items}]"
    if op in ("has", "has_not"):
        return f"{_literal(spec, value)} {'in' if op == 'has' else 'not in'} {name}"
    days = _days(value)
    if op == "ago_more":
        return f"({name} != None and days_between({name}, today) > {days})"
    if op == "ago_within":
        return f"({name} != None and 0 <= days_between({name}, today) <= {days})"
    return f"({name} != None and 0 <= days_between(today, {name}) <= {days})"


def compile_rows(rows: list, join: str, field_list: list[dict]) -> tuple[str, list[str]]:
    """The expression text of the rows, and a message per row that cannot be compiled
    ("Row 2 (Result): choose a value")."""
    specs = {f["name"]: f for f in field_list}
    parts, problems = [], []
    for index, row in enumerate(rows or [], start=1):
        if not isinstance(row, dict):
            problems.append(_("Row %(n)d: not a condition.") % {"n": index})
            continue
        spec = specs.get(row.get("field"))
        if spec is None:
            problems.append(_("Row %(n)d: choose a field.") % {"n": index})
            continue
        try:
            parts.append(compile_row(row, spec))
        except RowError as exc:
            problems.append(
                _("Row %(n)d (%(field)s): %(problem)s.")
                % {"n": index, "field": spec["label"], "problem": exc}
            )
    joiner = " or " if join == "or" else " and "
    return joiner.join(parts), problems


# --- parse back ---------------------------------------------------------------------------
def _value(node):
    if isinstance(node, ast.Constant):
        return node.value
    raise RowError("not a literal")


def _name(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    raise RowError("not a name")


def _call(node, func: str) -> list:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == func:
        return node.args
    raise RowError("not a call")


OPS_BY_NODE = {ast.Eq: "eq", ast.NotEq: "ne", ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt"}
OPS_BY_NODE[ast.GtE] = "ge"


def _row(node) -> dict:
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And) and len(node.values) == 2:
        guard, test = node.values
        name = _name(guard.left)
        if isinstance(test.left, ast.Call):  # days_between(x, today) > N
            args = _call(test.left, "days_between")
            if _name(args[0]) == name and _name(args[1]) == "today":
                return {"field": name, "op": "ago_more", "value": str(_value(test.comparators[0]))}
        args = _call(test.comparators[0], "days_between")
        op = "ago_within" if _name(args[0]) == name else "ahead_within"
        return {"field": name, "op": op, "value": str(_value(test.comparators[1]))}
    if isinstance(node, ast.Call):
        func = _name(node.func)
        if func in ("contains", "startswith") and len(node.args) == 2:
            return {"field": _name(node.args[0]), "op": func, "value": _value(node.args[1])}
        raise RowError("unknown call")
    if not isinstance(node, ast.Compare) or len(node.ops) != 1:
        raise RowError("not a comparison")
    left, op, right = node.left, type(node.ops[0]), node.comparators[0]
    if op in (ast.In, ast.NotIn):
        if isinstance(right, ast.Name):  # 'x' in tags
            value = _value(left)
            return {"field": right.id, "op": "has" if op is ast.In else "has_not", "value": value}
        values = [_value(e) for e in getattr(right, "elts", None) or []]
        return {"field": _name(left), "op": "in" if op is ast.In else "not_in", "value": values}
    name, value = _name(left), _value(right)
    if op in (ast.Eq, ast.NotEq) and value in (None, "") and not isinstance(value, bool):
        return {"field": name, "op": "empty" if op is ast.Eq else "set", "value": ""}
    if op is ast.Eq and isinstance(value, bool):
        return {"field": name, "op": "true" if value else "false", "value": ""}
    if op not in OPS_BY_NODE:
        raise RowError("unknown operator")
    return {"field": name, "op": OPS_BY_NODE[op], "value": value}


def parse_rows(text: str, field_list: list[dict]) -> tuple[list[dict], str] | None:
    """``(rows, join)`` for a condition the builder could have written, else ``None``."""
    text = (text or "").strip()
    if not text:
        return [], "and"
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
    join, nodes = "and", [tree]
    if isinstance(tree, ast.BoolOp) and not _is_date_row(tree):
        join = "and" if isinstance(tree.op, ast.And) else "or"
        nodes = tree.values
    try:
        rows = [_row(node) for node in nodes]
    except (RowError, AttributeError, IndexError, TypeError):
        return None
    for row in rows:
        value = row["value"]
        if isinstance(value, list):
            row["value"] = [str(v) for v in value]
        elif not isinstance(value, str):
            row["value"] = str(value)
    compiled, problems = compile_rows(rows, join, field_list)
    if problems or compiled != text:
        return None
    return rows, join


def _is_date_row(node) -> bool:
    try:
        return _row(node)["op"] in DAYS
    except (RowError, AttributeError, IndexError, TypeError):
        return False


def operator_catalogue() -> dict:
    """Operators per kind of field, labelled, for the builder."""
    return {
        kind: [{"op": op, "label": str(OPERATOR_LABELS[op])} for op in ops]
        for kind, ops in OPERATORS.items()
    }

"""The one safe expression evaluator: what formulas can do, and what they are refused."""

from decimal import Decimal

import pytest

from salesops.core.expressions import (
    MAX_SOURCE_LENGTH,
    ExpressionError,
    compile_expression,
    evaluate,
    validate,
)

VARS = {"x": 5, "y": 2, "amount": Decimal("1234.56"), "stage": "won", "tags": ["vip", "east"]}


# --- formulas that work -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("x - y", 3),
        ("x // y", 2),
        ("x % y", 1),
        ("-x + +y", -3),
        ("x ** 2", 25),
        ("x > y", True),
        ("x >= 5 and y < 2", False),
        ("x == 5 or y == 5", True),
        ("not x", False),
        ("1 < x < 10", True),
        ("stage == 'won'", True),
        ("'vip' in tags", True),
        ("'west' not in tags", True),
        ("x if x > y else y", 5),
        ("if_(x > 3, 'big', 'small')", "big"),
        ("clamp(x, 0, 3)", 3),
        ("clamp(-x, 0, 3)", 0),
        ("min(x, y, 7)", 2),
        ("max(x, y, 7)", 7),
        ("abs(-x)", 5),
        ("round(2.675, 2)", Decimal("2.68")),
        ("round(2.5)", Decimal("3")),
        ("coalesce(None, '', x)", 5),
        ("div(x, 0, -1)", -1),
        ("len(tags)", 2),
        ("lower('ABC')", "abc"),
        ("contains(stage, 'wo')", True),
        ("startswith(stage, 'w')", True),
        ("true and not false", True),
    ],
)
def test_valid_formulas_compute(source, expected):
    result = evaluate(source, VARS)
    assert result == expected
    assert type(result) is type(expected)


def test_decimal_literals_are_exact():
    assert evaluate("0.1 + 0.2 == 0.3") is True
    assert evaluate("0.1 * 3") == Decimal("0.3")


def test_money_times_a_rate_stays_decimal():
    result = evaluate("amount * 0.15", VARS)
    assert isinstance(result, Decimal)
    assert result == Decimal("185.1840")
    assert evaluate("round(amount * 0.15, 2)", VARS) == Decimal("185.18")


def test_dividing_whole_numbers_gives_an_exact_decimal():
    # 7 / 2 used to give a float, which then could not be multiplied by a Decimal literal
    assert evaluate("7 / 2") == Decimal("3.5")
    assert evaluate("7 / 2 * 0.5 == 1.75") is True
    assert evaluate("x / y + 0.1", VARS) == Decimal("2.6")
    assert evaluate("div(1, 10) == 0.1") is True
    assert evaluate("2 ** -2 * 0.5") == Decimal("0.125")


def test_if_only_evaluates_the_branch_it_returns():
    # the usual guard: a formula for a ratio that may have no denominator
    assert evaluate("if_(y == 0, 0, x / y)", {"x": 5, "y": 0}) == 0
    assert evaluate("x / y if y else 0", {"x": 5, "y": 0}) == 0


def test_a_compiled_formula_lists_its_variables_and_evaluates_many_times():
    expression = compile_expression("if_(won > target, bonus * 2, bonus)")
    assert expression.names == {"won", "target", "bonus"}
    assert expression.evaluate({"won": 3, "target": 2, "bonus": Decimal("100")}) == 200
    assert expression.evaluate({"won": 1, "target": 2, "bonus": Decimal("100")}) == 100


def test_validate_returns_no_problems_for_a_good_formula():
    assert validate("amount * 0.15 + x", allowed_names={"amount", "x"}) == []


# --- errors for people -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "position"),
    [
        ("1 +", 4),  # Python reports offset 0 at the end of input; we point past the end
        ("x + (", 5),
        ("1 2", 3),
        ("  1 +", 6),  # positions count what the person typed, leading spaces included
    ],
)
def test_syntax_errors_name_the_position(source, position):
    with pytest.raises(ExpressionError) as exc:
        compile_expression(source)
    assert exc.value.message.startswith("Syntax error")
    assert exc.value.position == position
    assert f"(position {position})" in str(exc.value)


def test_unknown_names_are_reported_with_their_position():
    problems = validate("amount * rate", allowed_names={"amount"})
    assert problems == ["Unknown name “rate”. (position 10)"]
    with pytest.raises(ExpressionError) as exc:
        compile_expression("  amount * rate", allowed_names={"amount"})
    assert (exc.value.name, exc.value.position) == ("rate", 12)


def test_a_missing_variable_at_evaluation_is_named():
    with pytest.raises(ExpressionError) as exc:
        evaluate("x + missing", {"x": 1})
    assert exc.value.name == "missing"
    assert exc.value.position == 5


def test_empty_formula_is_refused():
    assert validate("   ") == ["The formula is empty."]


def test_division_by_zero_suggests_div():
    with pytest.raises(ExpressionError, match=r"Division by zero; use div\(a, b, default\)"):
        evaluate("x / (y - 2)", VARS)


def test_wrong_types_are_explained():
    with pytest.raises(ExpressionError, match="wrong type"):
        evaluate("stage + 1", VARS)


def test_clamp_with_crossed_bounds_is_explained():
    with pytest.raises(ExpressionError, match="lower bound is above the upper bound"):
        evaluate("clamp(x, 10, 0)", VARS)


def test_decimal_of_text_that_is_not_a_number_is_explained():
    with pytest.raises(ExpressionError, match="“abc” is not a number"):
        evaluate("decimal('abc')")


# --- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("().__class__", "Attribute access"),
        ("x.__class__.__bases__", "Attribute access"),
        ("stage.upper()", "Attribute access"),
        ("'{}'.format(x)", "Attribute access"),
        ("__import__('os')", "Unknown function “__import__”"),
        ("__builtins__", "Names starting with “_”"),
        ("_secret + 1", "Names starting with “_”"),
        ("import os", "Syntax error"),
        ("lambda: 1", "“Lambda” is not allowed"),
        ("[a for a in tags]", "“ListComp” is not allowed"),
        ("{a for a in tags}", "“SetComp” is not allowed"),
        ("(a for a in tags)", "“GeneratorExp” is not allowed"),
        ("{'a': 1}", "“Dict” is not allowed"),
        ("f'{x}'", "“JoinedStr” is not allowed"),
        ("f'{x.__class__}'", "“JoinedStr” is not allowed"),
        ("tags[0]", "“Subscript” is not allowed"),
        ("stage[::-1]", "“Subscript” is not allowed"),
        ("(y := 1)", "“NamedExpr” is not allowed"),
        ("x if (y := 2) else 0", "“NamedExpr” is not allowed"),
        ("open('/etc/passwd')", "Unknown function “open”"),
        ("getattr(x, 'real')", "Unknown function “getattr”"),
        ("type(x)", "Unknown function “type”"),
        ("compile('1', 's', 'single')", "Unknown function “compile”"),
        ("round(x, ndigits=2)", "Keyword arguments are not supported"),
        ("min(*tags)", "“Starred” is not allowed"),
        ("b'x'", "This kind of literal is not allowed"),
        ("1j", "This kind of literal is not allowed"),
        ("...", "This kind of literal is not allowed"),
        ("1 << 3", "“LShift” is not allowed"),
        ("~x", "“Invert” is not allowed"),
    ],
)
def test_dangerous_syntax_is_refused_before_evaluation(source, message):
    with pytest.raises(ExpressionError, match=message):
        compile_expression(source)
    assert validate(source) != []


def test_unknown_function_lists_the_available_ones():
    with pytest.raises(ExpressionError) as exc:
        compile_expression("sum(tags)")
    assert exc.value.name == "sum"
    assert "Available: abs, clamp" in exc.value.message


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("9**9**9", "exponent 387420489 is too large"),
        ("2**1000000", "exponent 1000000 is too large"),
        ("(10**12)**100", "power result would be too large"),
        ("((((((10**90)**2)**2)**2)**2)**2)**2", "power result would be too large"),
        ("'a' * 10**9", "text result would be too long"),
        ("'a' * 10000 * 10000", "text result would be too long"),
        ("('a' * 9000) + ('a' * 9000)", "text result would be too long"),
        ("[[1] * 9000] * 9000", "result would be too long"),
        ("'%999999999s' % 'a'", "“%” is only for numbers"),
        ("'%s' % x", "“%” is only for numbers"),
        ("str([[1] * 9000] * 1)", "not a list"),
        ("round(x, -100000000)", "number of places must be between"),
        ("int(decimal('1e999999999'))", "too large"),
        ("decimal('1e999999999') * decimal('1e999999999')", "too large"),
        ("int('9' * 5000)", "Could not compute"),
    ],
)
def test_resource_exhaustion_is_refused_quickly(source, message):
    # each of these would run for minutes or exhaust memory if it were computed
    with pytest.raises(ExpressionError, match=message):
        evaluate(source, VARS)


def test_repeated_concatenation_is_bounded():
    source = "+".join(["'" + "a" * 90 + "'"] * 20)  # under the source limit, 1,800 characters
    assert len(evaluate(source)) == 1800
    doubled = "(" + source + ")*6"
    with pytest.raises(ExpressionError, match="text result would be too long"):
        evaluate(doubled)


def test_too_long_source_is_refused():
    source = "x" + "+x" * MAX_SOURCE_LENGTH
    with pytest.raises(ExpressionError, match="too long"):
        compile_expression(source)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("(" * 300 + "1" + ")" * 300, "Syntax error: too many nested parentheses"),
        ("-" * 1000 + "1", "too complex"),
        ("not " * 450 + "x", "too complex"),
        ("+".join(["1"] * 450), "too complex"),
    ],
)
def test_deep_or_large_formulas_are_refused(source, message):
    assert len(source) <= MAX_SOURCE_LENGTH
    with pytest.raises(ExpressionError, match=message):
        compile_expression(source)


def test_functions_passed_as_variables_cannot_be_called():
    # a caller handing an object in must not open a path to its methods
    with pytest.raises(ExpressionError, match="Unknown function “danger”"):
        evaluate("danger()", {"danger": lambda: "boom"})


# --- the fast path for plain conditions -------------------------------------------------

FAST_CONDITIONS = [
    "stage == 'won'",
    "stage != 'won' or x > 3",
    "x >= 5 and y < 3 and stage in ['won', 'lost']",
    "not (stage in ('won', 'lost'))",
    "stage not in ['open'] and 1 < x <= 5",
    "x == 5.0",
    "amount > 1000.5",
    "'vip' in tags and x",
    "y or stage",
    "x and 0",
    "true and stage == 'won'",
    "None == x",
]


def _slow(expression, variables):
    """The same expression forced through the general evaluator."""
    from dataclasses import replace

    return evaluate(replace(expression, fast=None), variables)


@pytest.mark.parametrize("source", FAST_CONDITIONS)
def test_plain_conditions_take_the_fast_path_with_the_evaluators_results(source):
    expression = compile_expression(source)
    assert expression.fast is not None
    for variables in (VARS, {**VARS, "x": 0, "stage": "lost", "tags": []}):
        assert evaluate(expression, variables) == _slow(expression, variables)
        assert type(evaluate(expression, variables)) is type(_slow(expression, variables))


@pytest.mark.parametrize("source", ["x + 1 > 3", "len(tags) > 1", "if_(x, 1, 2) == 1"])
def test_other_formulas_keep_the_general_evaluator(source):
    assert compile_expression(source).fast is None


def test_fast_path_reports_type_errors_and_unknown_names_like_the_evaluator():
    expression = compile_expression("stage > 3")
    assert expression.fast is not None
    with pytest.raises(ExpressionError, match="wrong type"):
        evaluate(expression, VARS)
    with pytest.raises(ExpressionError, match="Unknown name"):
        evaluate(compile_expression("region == 'east'"), VARS)


# --- the guard: a condition known false at its first comparison ---------------------------

GUARDED = [
    ("province == '浙江' and industry == 'software'", ("province", {"浙江"})),
    ("'浙江' == province and x > 100", ("province", {"浙江"})),
    ("province in ['浙江', '江苏']", ("province", {"浙江", "江苏"})),
    ("province in ['浙江'] and stage > 3", ("province", {"浙江"})),
]


@pytest.mark.parametrize(("source", "guard"), GUARDED)
def test_a_condition_starting_with_a_text_comparison_has_a_guard(source, guard):
    expression = compile_expression(source)
    assert expression.guard == (guard[0], frozenset(guard[1]))


@pytest.mark.parametrize(
    "source",
    [
        "province != '浙江'",
        "x > 3 and province == '浙江'",
        "province == '浙江' or x > 3",
        "province in ['浙江', 3]",
        "province == 3",
        "not province == '浙江'",
        "province in tags",
        "'浙' in province",
    ],
)
def test_other_conditions_have_no_guard(source):
    assert compile_expression(source).guard is None


@pytest.mark.parametrize(("source", "_guard"), GUARDED)
def test_excluding_by_the_guard_is_what_evaluating_says(source, _guard):
    """Whenever the guard excludes a condition, evaluating it gives a false value without
    an error; when a name is missing or the value is not a text, the guard says nothing
    (evaluation reports the problem: ``stage > 3`` with a text stage is an error)."""
    from salesops.core.expressions import excludes, prepare

    expression = compile_expression(source)
    base = {"industry": "software", "x": 500, "stage": 5}
    values = ["浙江", "江苏", "广东", "", None, 3, Decimal("1"), ["浙江"], "浙江 "]
    for value in values:
        names = prepare({**base, "province": value})
        if excludes(expression, names):
            assert not evaluate(expression, names), value
        try:
            result = evaluate(expression, names)
        except ExpressionError:
            assert not excludes(expression, names), value
        else:
            if result:
                assert not excludes(expression, names), value
    missing = prepare({"province": "广东"})  # industry, x, stage unknown
    assert not excludes(expression, missing) or not (expression.names - {"province"})
    with_text_stage = prepare({**base, "province": "浙江", "stage": "won"})
    assert not excludes(expression, with_text_stage)

"""Property tests for formulas: any text compiles or fails cleanly; arithmetic meets a reference."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from variosync.clean.expr import FUNCTIONS, compile_expression
from variosync.errors import UsageError

from .test_expr import FRAME, SCHEMA

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def compiles_or_refuses(text: str) -> pl.Expr | None:
    """The compiled expression, or None when the text was refused with a UsageError."""
    try:
        expr = compile_expression(text, SCHEMA)
    except UsageError as error:
        where = re.search(r" at position (\d+)$", error.message)
        if where:  # every message that points somewhere points inside the text (or at its end)
            assert 0 <= int(where.group(1)) <= len(text), error.message
        else:
            assert error.message.startswith("expression is "), error.message
        return None
    assert isinstance(expr, pl.Expr)
    return expr


@FAST
@given(st.text(max_size=120))
def test_any_text_compiles_or_raises_usage_error(text: str) -> None:
    compiles_or_refuses(text)


@FAST
@given(st.text(alphabet="()-+*/%<>=!,.`'\" 1e0notandor", max_size=120))
def test_punctuation_soup_compiles_or_raises_usage_error(text: str) -> None:
    compiles_or_refuses(text)


LEAVES = [
    "close", "volume", "count", "`air temp`", "raw", "name", "up", "ts", "series_id", "min",
    "0", "1", "2.5", ".5", "1e-3", "true", "false", "'a'", "'2024-01-02'", "nope",
]  # fmt: skip
OPERATORS = ["+", "-", "*", "/", "%", "**", "==", "!=", "<", ">=", "and", "or"]


def _formula(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(OPERATORS), children).map(" ".join)
    unary = st.tuples(st.sampled_from(["-", "not ", "+"]), children).map("".join)
    grouped = children.map(lambda text: f"({text})")
    call = st.tuples(
        st.sampled_from([*FUNCTIONS, "nope"]), st.lists(children, min_size=0, max_size=3)
    ).map(lambda parts: f"{parts[0]}({', '.join(parts[1])})")
    return binary | unary | grouped | call


FORMULAS = st.recursive(st.sampled_from(LEAVES), _formula, max_leaves=10)


@FAST
@given(FORMULAS)
def test_well_formed_formulas_either_refuse_or_evaluate_cleanly(text: str) -> None:
    """The type checks are sound: what compiles runs, and a float result holds no inf or NaN."""
    expr = compiles_or_refuses(text)
    if expr is None:
        return
    out = FRAME.with_columns(expr.alias("out"))["out"]
    if out.dtype == pl.Float64:
        assert not (out.is_nan() | out.is_infinite()).any(), out.to_list()


# Arithmetic trees over literals: ("lit", value) | ("neg", tree) | (op, left, right).
Tree = tuple[Any, ...]
PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "%": 2, "neg": 3, "**": 4, "lit": 5}
literals = st.one_of(
    st.integers(min_value=0, max_value=20),
    st.sampled_from([0.5, 0.25, 1.5, 2.75, 0.1, 3.0, 1e-3]),
).map(lambda value: ("lit", value))


def _extend(children: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
    binary = st.tuples(st.sampled_from(["+", "-", "*", "/", "%", "**"]), children, children)
    return binary | children.map(lambda child: ("neg", child))


TREES = st.recursive(literals, _extend, max_leaves=8)


def render(tree: Tree) -> str:
    """The tree as text with only the parentheses the precedence rules require."""
    kind = tree[0]
    if kind == "lit":
        return repr(tree[1])
    if kind == "neg":
        return "-" + _wrap(tree[1], PRECEDENCE[tree[1][0]] < PRECEDENCE["neg"])
    own, left, right = PRECEDENCE[kind], PRECEDENCE[tree[1][0]], PRECEDENCE[tree[2][0]]
    if kind == "**":  # right-associative; its right operand may carry a unary minus
        return f"{_wrap(tree[1], left <= own)} ** {_wrap(tree[2], right < PRECEDENCE['neg'])}"
    return f"{_wrap(tree[1], left < own)} {kind} {_wrap(tree[2], right <= own)}"


def _wrap(tree: Tree, parens: bool) -> str:
    return f"({render(tree)})" if parens else render(tree)


def reference(tree: Tree) -> int | float | None:
    """The value the formula must have: int stays int except for / and **; non-finite → None."""
    kind = tree[0]
    if kind == "lit":
        literal: int | float = tree[1]
        return literal
    if kind == "neg":
        value = reference(tree[1])
        return None if value is None else -value
    a, b = reference(tree[1]), reference(tree[2])
    if a is None or b is None:
        return None
    if isinstance(a, int) and isinstance(b, int) and kind in "+-*%":
        if kind == "%":
            return None if b == 0 else a % b  # floored, as polars does
        return a + b if kind == "+" else a - b if kind == "-" else a * b
    x, y = float(a), float(b)
    try:
        if kind == "**":
            result = math.pow(x, y)
        elif kind == "/":
            result = x / y
        elif kind == "%":
            result = x - y * math.floor(x / y)  # polars' float modulo
        else:
            result = x + y if kind == "+" else x - y if kind == "-" else x * y
    except (ZeroDivisionError, OverflowError, ValueError):
        return None  # x / 0, overflow, a negative number to a fractional power: null
    return result if math.isfinite(result) else None


ONE_ROW = pl.DataFrame(
    {"series_id": ["s"], "ts": [datetime(2024, 1, 1, tzinfo=UTC)]},
    schema_overrides={"ts": pl.Datetime("us", "UTC")},
)


@FAST
@given(TREES)
def test_arithmetic_matches_a_reference(tree: Tree) -> None:
    text = render(tree)
    expected = reference(tree)
    (actual,) = ONE_ROW.select(compile_expression(text, ONE_ROW.schema).alias("v"))["v"]
    if expected is None or actual is None:
        assert actual is None and expected is None, (text, actual, expected)
    elif isinstance(expected, int):
        assert actual == expected and isinstance(actual, int), (text, actual, expected)
    else:
        assert math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-12), (text, actual)

"""Derived-field formulas: values over a two-series frame, result types, and every error."""

from __future__ import annotations

import inspect
import math
import sys
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pytest

from variosync.clean.expr import FUNCTIONS, compile_expression
from variosync.errors import UsageError

NAN, INF = float("nan"), float("inf")
LN2, LN_QUARTER = math.log(2), math.log(0.25)

# Series a then series b, three days each, sorted by (series_id, ts) like every canonical frame.
FRAME = pl.DataFrame(
    {
        "series_id": ["a", "a", "a", "b", "b", "b"],
        "ts": [datetime(2024, 1, day, tzinfo=UTC) for day in (1, 2, 3, 1, 2, 3)],
        "open": [1.0, 2.0, 4.0, 10.0, 5.0, 0.0],
        "close": [2.0, 4.0, 1.0, 5.0, 0.0, 2.0],
        "volume": [10, 0, 3, 7, 2, 5],
        "count": pl.Series([200, 100, 1, 2, 3, 4], dtype=pl.UInt8),
        "air temp": [1.5, None, 2.5, -0.5, 3.0, None],
        "raw": [1.0, NAN, INF, -INF, 2.0, None],
        "name": ["x", "y", "z", "u", "v", "w"],
        "up": [True, False, True, None, False, True],
        "min": [6, 5, 4, 3, 2, 1],
    },
    schema_overrides={"ts": pl.Datetime("us", "UTC")},
)
SCHEMA = FRAME.schema


def evaluate(text: str, frame: pl.DataFrame = FRAME) -> pl.Series:
    """The formula's values, one per row (literals broadcast to the frame's length)."""
    return frame.with_columns(compile_expression(text, frame.schema).alias("out"))["out"]


def same(actual: list[Any], expected: list[Any]) -> bool:
    """Equal lists, floats compared with a relative tolerance; None only matches None."""
    if len(actual) != len(expected):
        return False
    for got, want in zip(actual, expected, strict=True):
        if isinstance(want, float) and isinstance(got, float):
            if not math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12):
                return False
        elif got != want or type(got) is not type(want):
            return False
    return True


def rows(value: Any) -> list[Any]:
    return [value] * FRAME.height


VALUES = [
    # arithmetic and precedence
    ("close - open", [1.0, 2.0, -3.0, -5.0, -5.0, 2.0]),
    ("(close + open) / 2", [1.5, 3.0, 2.5, 7.5, 2.5, 1.0]),
    ("1 + 2 * 3", rows(7)),
    ("(1 + 2) * 3", rows(9)),
    ("10 - 4 - 3", rows(3)),
    ("2 * 3 % 4", rows(2)),
    ("8 / 4 / 2", rows(1.0)),
    ("-2**2", rows(-4.0)),
    ("(-2)**2", rows(4.0)),
    ("2**3**2", rows(512.0)),
    ("(2**3)**2", rows(64.0)),
    ("2**-1", rows(0.5)),
    ("- -3", rows(3)),
    ("+close", [2.0, 4.0, 1.0, 5.0, 0.0, 2.0]),
    ("-close * 2", [-4.0, -8.0, -2.0, -10.0, -0.0, -4.0]),
    (".5 + 1e-3 + 2.", rows(2.501)),
    ("1E2", rows(100.0)),
    ("7 % 3", rows(1)),
    ("-7 % 3", rows(2)),
    ("7 % -3", rows(-2)),
    ("7.5 % 2", rows(1.5)),
    # integer fields: exact until division is involved; small unsigned types do not wrap
    ("volume + 1", [11, 1, 4, 8, 3, 6]),
    ("volume / 4", [2.5, 0.0, 0.75, 1.75, 0.5, 1.25]),
    ("volume % 4", [2, 0, 3, 3, 2, 1]),
    ("count + count", [400, 200, 2, 4, 6, 8]),
    ("volume * 0.5", [5.0, 0.0, 1.5, 3.5, 1.0, 2.5]),
    # non-finite results become null
    ("close / open", [2.0, 2.0, 0.25, 0.5, 0.0, None]),
    ("close / 0", rows(None)),
    ("volume / 0", rows(None)),
    ("volume % 0", rows(None)),
    ("close % 0", rows(None)),
    ("log(close - 1)", [0.0, math.log(3), None, math.log(4), None, 0.0]),
    ("log(0) + 1", rows(None)),
    ("sqrt(-1)", rows(None)),
    ("1e308 * 10", rows(None)),
    ("1 / (1e308 * 10)", rows(None)),
    ("(-8) ** (1 / 3)", rows(None)),
    ("raw", [1.0, None, None, None, 2.0, None]),
    ("raw * 0", [0.0, None, None, None, 0.0, None]),
    # math functions
    ("abs(close - open)", [1.0, 2.0, 3.0, 5.0, 5.0, 2.0]),
    ("abs(-3)", rows(3)),
    ("sqrt(16)", rows(4.0)),
    ("exp(0)", rows(1.0)),
    ("log(exp(2))", rows(2.0)),
    ("log(8, 2)", rows(3.0)),
    ("log(8, 1)", rows(None)),
    ("log10(1000)", rows(3.0)),
    ("log2(volume)", [math.log2(10), None, math.log2(3), math.log2(7), 1.0, math.log2(5)]),
    ("round(close / 3, 2)", [0.67, 1.33, 0.33, 1.67, 0.0, 0.67]),
    ("round(2.5)", rows(2.0)),
    ("round(3.5)", rows(4.0)),
    ("round(volume, 3)", [10, 0, 3, 7, 2, 5]),
    ("floor(-1.5)", rows(-2.0)),
    ("ceil(1.2)", rows(2.0)),
    ("floor(volume)", [10, 0, 3, 7, 2, 5]),
    ("min(close, open)", [1.0, 2.0, 1.0, 5.0, 0.0, 0.0]),
    ("max(close, open, 3)", [3.0, 4.0, 4.0, 10.0, 5.0, 3.0]),
    ("min(volume, 5)", [5, 0, 3, 5, 2, 5]),
    ("max(`air temp`, 0)", [1.5, 0.0, 2.5, 0.0, 3.0, 0.0]),
    # other rows: per series, null where the series has no such row
    ("prev(close)", [None, 2.0, 4.0, None, 5.0, 0.0]),
    ("prev(close, 2)", [None, None, 2.0, None, None, 5.0]),
    ("prev(prev(close))", [None, None, 2.0, None, None, 5.0]),
    ("next(close)", [4.0, 1.0, None, 0.0, 2.0, None]),
    ("next(close, 3)", rows(None)),
    ("diff(close)", [None, 2.0, -3.0, None, -5.0, 2.0]),
    ("diff(volume, 2)", [None, None, -7, None, None, -2]),
    ("pct_change(close)", [None, 1.0, -0.75, None, -1.0, None]),
    ("pct_change(volume)", [None, -1.0, None, None, 2 / 7 - 1, 1.5]),
    ("log(close / prev(close))", [None, LN2, LN_QUARTER, None, None, None]),
    ("prev(name)", [None, "x", "y", None, "u", "v"]),
    ("ts == prev(ts)", [None, False, False, None, False, False]),
    # comparisons and logic
    ("close > open", [True, True, False, False, False, True]),
    ("close >= 2 and open < 5", [True, True, False, False, False, True]),
    ("not close > 1 or volume == 0", [False, True, True, False, True, False]),
    ("true and not false", rows(True)),
    ("true or false and false", rows(True)),
    ("(true or false) and false", rows(False)),
    ("not true == false", rows(True)),
    ("not not true and false", rows(False)),
    ("true and not false or false", rows(True)),
    ("(1 < 2) == true", rows(True)),
    ("1 + 2 < 2 * 2", rows(True)),
    ("2 * -3 + 1", rows(-5)),
    ("2 ** -1 ** 2", rows(0.5)),
    ("-3 ** 2 * 2", rows(-18.0)),
    ("6 / 2 * 3", rows(9.0)),
    ("1 - 2 + 3 - 4", rows(-2)),
    ("2 * 3 + 4 * 5 - 6 / 3", rows(24.0)),
    ("up and true", [True, False, True, None, False, True]),
    ("volume == 3.0", [False, False, True, False, False, False]),
    ("1 + 1 == 2", rows(True)),
    ("series_id == 'b'", [False, False, False, True, True, True]),
    ('name != "x"', [False, True, True, True, True, True]),
    ("name < 'v'", [False, False, False, True, False, False]),
    ("'it''s' == \"it's\"", rows(True)),
    ("ts >= '2024-01-02'", [False, True, True, False, True, True]),
    ("ts < '2024-01-02T00:00:00+01:00'", [True, False, False, True, False, False]),
    # if, is_null, coalesce
    ("if(close > open, 'up', 'down')", ["up", "up", "down", "down", "down", "up"]),
    ("if(volume > 2, volume, 0.5)", [10.0, 0.5, 3.0, 7.0, 0.5, 5.0]),
    ("if(up, 1, 2)", [1, 2, 1, 2, 2, 1]),
    ("is_null(`air temp`)", [False, True, False, False, False, True]),
    ("is_null(close / open)", [False, False, False, False, False, True]),
    ("coalesce(`air temp`, 0)", [1.5, 0.0, 2.5, -0.5, 3.0, 0.0]),
    ("coalesce(close / open, prev(close), -1)", [2.0, 2.0, 0.25, 0.5, 0.0, 0.0]),
    # names: quoted, keyword-like and function-like
    ("`air temp` * 2", [3.0, None, 5.0, -1.0, 6.0, None]),
    ("`close` + `open`", [3.0, 6.0, 5.0, 15.0, 5.0, 2.0]),
    ("min + 1", [7, 6, 5, 4, 3, 2]),
    ("min(min, 3)", [3, 3, 3, 3, 2, 1]),
    ("  close\t-\nopen  ", [1.0, 2.0, -3.0, -5.0, -5.0, 2.0]),
]


@pytest.mark.parametrize(("text", "expected"), VALUES, ids=[text for text, _ in VALUES])
def test_values(text: str, expected: list[Any]) -> None:
    actual = evaluate(text).to_list()
    assert same(actual, expected), actual


DTYPES = [
    ("volume + 1", pl.Int64),
    ("-volume", pl.Int64),
    ("count * 2", pl.Int64),
    ("volume / 1", pl.Float64),
    ("volume % 2", pl.Int64),
    ("volume ** 2", pl.Float64),
    ("diff(volume)", pl.Int64),
    ("pct_change(volume)", pl.Float64),
    ("round(volume)", pl.Int64),
    ("sqrt(volume)", pl.Float64),
    ("max(volume, 1)", pl.Int64),
    ("max(volume, 1.0)", pl.Float64),
    ("close > 1", pl.Boolean),
    ("is_null(close)", pl.Boolean),
    ("if(true, 'a', 'b')", pl.String),
    ("prev(ts)", pl.Datetime("us", "UTC")),
]


@pytest.mark.parametrize(("text", "dtype"), DTYPES, ids=[text for text, _ in DTYPES])
def test_result_types(text: str, dtype: pl.DataType) -> None:
    assert evaluate(text).dtype == dtype


def test_no_value_crosses_a_series_boundary() -> None:
    """Reordering the series moves each series' values with it: nothing is read across."""
    swapped = pl.concat([FRAME.filter(pl.col("series_id") == s) for s in ("b", "a")])
    for text in ("prev(close)", "next(close)", "diff(close)", "pct_change(close)"):
        out = swapped.with_columns(evaluate(text, swapped).alias("out"))
        assert out.sort("series_id", "ts")["out"].to_list() == evaluate(text).to_list(), text


def test_nesting_up_to_the_limit_compiles() -> None:
    assert evaluate("(" * 50 + "close" + ")" * 50).to_list() == FRAME["close"].to_list()
    assert same(evaluate("abs(" * 49 + "-1" + ")" * 49).to_list(), rows(1))


NESTABLE = [
    "abs({})", "sqrt({})", "exp({})", "log({})", "log({}, 2)", "log10({})", "log2({})",
    "round({}, 2)", "floor({})", "ceil({})", "min({}, 1)", "max(1, {})", "prev({})", "next({})",
    "diff({})", "pct_change({})", "if(close > 1, {}, 0)", "if(is_null({}), 1, 2)",
    "coalesce({}, 0)", "-{}", "({} + close) / 2 % 3", "2 ** {}",
]  # fmt: skip


@pytest.mark.timeout(20)
@pytest.mark.parametrize("template", NESTABLE)
def test_nested_functions_stay_linear(template: str) -> None:
    """Each level names its argument once, so 24 levels do not build 2**24 copies of it."""
    text = "close"
    for _ in range(24):
        text = template.format(text)
    assert len(evaluate(text)) == FRAME.height


def test_deepest_formula_leaves_most_of_the_stack_free() -> None:
    """50 levels of calls fit in 400 frames above the caller, so no RecursionError in practice."""
    text = "abs(" * 50 + "close" + ")" * 50
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + 400)
    try:
        compile_expression(text, SCHEMA)
    finally:
        sys.setrecursionlimit(limit)


def test_long_flat_formula_compiles() -> None:
    """A long run of + is flat, not nested, so it stays within the length limit only."""
    text = "1" + " + 1" * 249
    assert len(text) <= 1000
    assert evaluate(text).to_list() == rows(250)


def test_function_names_are_declared_once() -> None:
    assert {"prev", "next", "diff", "pct_change", "if", "coalesce", "log"} <= set(FUNCTIONS)


ERRORS = [
    ("", "expression is empty"),
    (" \t\n", "expression is empty"),
    ("1" * 1001, "too long (1001 characters; the limit is 1000)"),
    ("(" * 5000, "too long"),
    ("close - ", "expression 'close - ': expected a value at position 8"),
    ("close +* open", "expected a value, found '*' at position 7"),
    ("close < < 1", "expected a value, found '<' at position 8"),
    ("(close", "expected ')' to close '(' from position 0, found the end at position 6"),
    ("abs(close", "expected ')' to close '(' from position 3"),
    ("min(close open)", "expected ')' to close '(' from position 3, found 'open' at position 10"),
    ("close)", "unexpected ')' at position 5"),
    ("close open", "unexpected 'open' at position 6"),
    ("()", "expected a value, found ')' at position 1"),
    ("f(,)", "expected a value, found ',' at position 2"),
    ("1.2.3", "unexpected '.3' at position 3"),
    ("close = 1", "unexpected '=' at position 6"),
    ("close & open", "unexpected '&' at position 6"),
    ("close ^ 2", "unexpected '^' at position 6"),
    ("café", "unexpected character 'é' at position 3"),
    ("a\x00", "unexpected character '\\x00' at position 1"),
    ("`air temp", "unterminated `quoted name` at position 0"),
    ("'abc", "unterminated string at position 0"),
    ("``", "empty `quoted name` at position 0"),
    ("1e999", "number 1e999 is too large at position 0"),
    ("1 < 2 < 3", "comparisons cannot be chained at position 6"),
    ("1 < 2 == true", "comparisons cannot be chained at position 6"),
    ("1 + not true", "expected a value, found 'not' at position 4"),
    ("-not true", "expected a value, found 'not' at position 1"),
    ("true not false", "unexpected 'not' at position 5"),
    ("clsoe", "unknown field 'clsoe' at position 0"),
    ("`air tmp` + 1", "unknown field 'air tmp' at position 0"),
    ("and", "expected a value, found 'and' at position 0"),
    ("foo(1)", "unknown function 'foo' at position 0"),
    ("close(1)", "'close' is not a function at position 0"),
    ("log()", "log() takes 1 or 2 arguments, got 0 at position 0"),
    ("abs(1, 2)", "abs() takes 1 argument, got 2"),
    ("if(true, 1)", "if() takes 3 arguments, got 2"),
    ("min(close)", "min() takes at least 2 arguments, got 1"),
    ("coalesce(close)", "coalesce() takes at least 2 arguments, got 1"),
    ("name * 2", "'*' needs numbers, not field 'name' (String) at position 0"),
    ("2 * name", "'*' needs numbers, not field 'name' (String) at position 4"),
    ("-name", "'-' needs numbers, not field 'name' (String) at position 1"),
    ("name ** 2", "'**' needs numbers, not field 'name' (String)"),
    ("up + 1", "'+' needs numbers, not field 'up' (Boolean)"),
    ("(close > 1) * 2", "'*' needs numbers, not 'close > 1' (Boolean) at position 1"),
    ("sqrt(name)", "sqrt() needs numbers, not field 'name' (String) at position 5"),
    ("min(close, name)", "min() needs numbers, not field 'name' (String)"),
    ("ts + 1", "'+' needs numbers, not field 'ts' (Datetime(time_unit='us', time_zone='UTC'))"),
    ("ts - prev(ts)", "'-' needs numbers, not field 'ts'"),
    ("diff(ts)", "diff() needs numbers, not field 'ts'"),
    ("pct_change(name)", "pct_change() needs numbers, not field 'name'"),
    ("close and true", "'and' needs true/false values, not field 'close' (Float64)"),
    ("true or 1", "'or' needs true/false values, not '1' (Int64) at position 8"),
    ("not close", "'not' needs true/false values, not field 'close' (Float64)"),
    ("if(close, 1, 2)", "if() needs true/false values, not field 'close' (Float64)"),
    ("if(up, 1, 'a')", "if() needs values of one type: '1' is Int64 but \"'a'\" is String"),
    ("coalesce(name, 1)", "coalesce() needs values of one type: field 'name' is String"),
    ("name > 1", "cannot compare field 'name' (String) with '1' (Int64) at position 5"),
    ("up == 1", "cannot compare field 'up' (Boolean) with '1' (Int64)"),
    ("ts > 1", "cannot compare field 'ts'"),
    ("ts > 'soon'", "'soon' is not an ISO date or time at position 5"),
    ("prev(close, 0)", "n of prev() must be an integer literal of at least 1 at position 12"),
    ("next(close, 1.5)", "n of next() must be an integer literal of at least 1"),
    ("diff(close, -1)", "n of diff() must be an integer literal of at least 1"),
    ("pct_change(close, volume)", "n of pct_change() must be an integer literal of at least 1"),
    ("round(close, 101)", "digits of round() must be an integer literal from 0 to 100"),
    ("round(volume, -1)", "digits of round() must be an integer literal from 0 to 100"),
    ("(" * 51 + "1" + ")" * 51, "nesting deeper than 50 levels at position 50"),
    ("-" * 60 + "1", "nesting deeper than 50 levels"),
    ("not " * 60 + "true", "nesting deeper than 50 levels"),
    ("2**" * 60 + "2", "nesting deeper than 50 levels"),
    ("abs(" * 60 + "1" + ")" * 60, "nesting deeper than 50 levels"),
    ("(" * 900, "nesting deeper than 50 levels"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS, ids=[text[:40] for text, _ in ERRORS])
def test_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        compile_expression(text, SCHEMA)
    assert message in caught.value.message


HINTS = [
    ("clsoe", "did you mean 'close'?"),
    ("clsoe", "fields: series_id, ts, open, close, volume, count, air temp"),
    ("`air tmp`", "did you mean 'air temp'?"),
    ("log", "log is a function: log(x) or log(x, base)"),
    ("foo(1)", "functions: abs, sqrt, exp, log"),
    ("flor(1)", "did you mean floor()?"),
    ("close(1)", "close is a field"),
    ("1 < 2 < 3", "a < b and b < c"),
    ("log(1, 2, 3)", "usage: log(x) or log(x, base)"),
    ("1 = 2", "write '==' instead"),
    ("2 ^ 3", "write '**' instead"),
    ("café", "backticks"),
    ("(" * 51 + "1" + ")" * 51, "split the formula"),
]


@pytest.mark.parametrize(("text", "hint"), HINTS, ids=[text[:40] for text, _ in HINTS])
def test_hints(text: str, hint: str) -> None:
    with pytest.raises(UsageError) as caught:
        compile_expression(text, SCHEMA)
    assert hint in (caught.value.hint or "")


def test_long_formulas_are_shortened_in_messages() -> None:
    with pytest.raises(UsageError) as caught:
        compile_expression("close + " * 20 + "nope", SCHEMA)
    assert "..." in caught.value.message
    assert len(caught.value.message) < 150


def test_text_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(UsageError, match="must be text"):
        compile_expression(5, SCHEMA)  # type: ignore[arg-type]

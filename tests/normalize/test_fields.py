"""Field typing: numbers in strings, decimal commas, null tokens, typed inputs, reject reasons."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from variosync.model import Kind

from .conftest import Run, make_plan

TIMES = ["2024-01-15", "2024-01-16", "2024-01-17"]


@pytest.mark.parametrize(
    ("values", "dtype", "expected"),
    [
        (["1", "2", "3"], pl.Int64, [1, 2, 3]),
        (["1.5", "+2", "-3e2"], pl.Float64, [1.5, 2.0, -300.0]),
        ([" 7 ", ".5", "5."], pl.Float64, [7.0, 0.5, 5.0]),
        (["1", "2", "99999999999999999999"], pl.Float64, [1.0, 2.0, 1e20]),
        (["rain", "sun", "fog"], pl.String, ["rain", "sun", "fog"]),
        (["1", "NA", "3"], pl.Int64, [1, None, 3]),
    ],
)
def test_string_columns_are_typed_on_the_sample(
    run: Run, values: list[str], dtype: pl.DataType, expected: list[object]
) -> None:
    valid, rejects = run({"date": TIMES, "x": values})
    assert rejects.is_empty()
    assert valid.schema["x"] == dtype
    assert valid["x"].to_list() == expected


@pytest.mark.parametrize("token", ["NA", "N/A", "null", "NaN", "-", "", None, "n/a", "NULL"])
def test_null_tokens_become_nulls_and_keep_the_row(run: Run, token: str | None) -> None:
    valid, rejects = run({"date": TIMES, "x": ["1.5", token, "2.5"], "w": ["a", token, "c"]})
    assert rejects.is_empty()
    assert valid["x"].to_list() == [1.5, None, 2.5]
    assert valid["w"].to_list() == ["a", None, "c"]


def test_decimal_comma(run: Run) -> None:
    frame = {"date": TIMES, "x": ["1,5", "-2,25", "3"], "n": ["1", "2", "3"]}
    valid, rejects = run(frame, {"decimal_comma": True})
    assert rejects.is_empty()
    assert valid["x"].to_list() == [1.5, -2.25, 3.0]
    assert valid["n"].to_list() == [1, 2, 3]


def test_mostly_numeric_column_rejects_the_odd_cell(run: Run) -> None:
    values = [str(i) + ".5" for i in range(19)] + ["abc"]
    times = [f"2024-01-{d:02d}" for d in range(1, 21)]
    valid, rejects = run({"date": times, "x": values})
    assert valid.height == 19
    assert rejects.rows() == [(20, "x", "'abc' is not a number")]


def test_bad_cell_row_numbers_count_across_batches() -> None:
    from variosync.normalize import apply_plan

    first = pl.DataFrame({"date": TIMES, "x": ["1", "2", "3"]})
    second = pl.DataFrame({"date": TIMES, "x": ["4", "abc", "1.5"]})
    plan = make_plan(first)
    _, rejects = apply_plan(plan, second, row_offset=1000)
    assert rejects.rows() == [
        (1002, "x", "'abc' is not a number"),
        (1003, "x", "'1.5' is not an integer"),
    ]


@pytest.mark.parametrize(
    ("series", "dtype", "expected"),
    [
        (pl.Series("x", [1, 2, 3], pl.UInt32), pl.Int64, [1, 2, 3]),
        (pl.Series("x", [1, 2, 3], pl.Int8), pl.Int64, [1, 2, 3]),
        (pl.Series("x", [1.5, float("nan"), 3.0], pl.Float32), pl.Float64, [1.5, None, 3.0]),
        (pl.Series("x", [Decimal("1.25"), None, Decimal("3")]), pl.Float64, [1.25, None, 3.0]),
        (pl.Series("x", [True, False, None]), pl.Boolean, [True, False, None]),
        (pl.Series("x", ["a", "b", None], pl.Categorical), pl.String, ["a", "b", None]),
        (pl.Series("x", [[1, 2], [3], None]), pl.String, ["[1,2]", "[3]", None]),
    ],
)
def test_typed_columns(
    run: Run, series: pl.Series, dtype: pl.DataType, expected: list[object]
) -> None:
    valid, _ = run(pl.DataFrame([pl.Series("date", TIMES), series]))
    assert valid.schema["x"] == dtype
    assert valid["x"].to_list() == expected


def test_ohlcv_fields_are_forced_numeric(run: Run) -> None:
    frame = {"date": TIMES, "open": ["1", "x", "1"], "high": ["2", "2", "2"], "low": ["1"] * 3}
    frame["close"] = ["y", "z", "w"]
    plan = make_plan(pl.DataFrame(frame), kind=Kind.OHLCV)
    assert plan.schema["close"] == pl.Float64


def test_plan_schema_is_canonical() -> None:
    plan = make_plan(pl.DataFrame({"date": TIMES, "x": ["1", "2", "3"], "w": ["a", "b", "c"]}))
    assert list(plan.schema.items()) == [
        ("series_id", pl.String()),
        ("ts", pl.Datetime("us", "UTC")),
        ("x", pl.Int64()),
        ("w", pl.String()),
    ]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["true", "false", "true"], [True, False, True]),
        (["True", "False", "TRUE"], [True, False, True]),
        ([" FALSE ", "tRuE", "false"], [False, True, False]),
        (["true", "NA", ""], [True, None, None]),
        (["true", None, "false"], [True, None, False]),
    ],
)
def test_true_false_text_becomes_boolean(
    run: Run, values: list[str | None], expected: list[bool | None]
) -> None:
    valid, rejects = run({"date": TIMES, "x": values})
    assert rejects.is_empty()
    assert valid.schema["x"] == pl.Boolean
    assert valid["x"].to_list() == expected


@pytest.mark.parametrize(
    "values",
    [
        ["yes", "no", "yes"],
        ["t", "f", "t"],
        ["true", "false", "maybe"],
        ["NA", "NA", "NA"],
    ],
)
def test_other_flags_stay_text(run: Run, values: list[str]) -> None:
    valid, _ = run({"date": TIMES, "x": values})
    assert valid.schema["x"] == pl.String


def test_one_and_zero_stay_numbers(run: Run) -> None:
    valid, _ = run({"date": TIMES, "x": ["1", "0", "1"]})
    assert valid.schema["x"] == pl.Int64


def test_a_later_non_boolean_rejects_its_row() -> None:
    from variosync.normalize import apply_plan

    first = pl.DataFrame({"date": TIMES, "x": ["true", "false", "True"]})
    second = pl.DataFrame({"date": TIMES, "x": ["FALSE", "maybe", "yes"]})
    plan = make_plan(first)
    assert plan.schema["x"] == pl.Boolean
    valid, rejects = apply_plan(plan, second, row_offset=3)
    assert valid["x"].to_list() == [False]
    assert rejects.rows() == [
        (5, "x", "'maybe' is not true/false"),
        (6, "x", "'yes' is not true/false"),
    ]


def test_ohlcv_fields_stay_numeric_even_if_they_read_true_false() -> None:
    frame = {"date": TIMES, "open": ["1"] * 3, "high": ["2"] * 3, "low": ["1"] * 3}
    frame["close"] = ["true", "false", "true"]
    plan = make_plan(pl.DataFrame(frame), kind=Kind.OHLCV)
    assert plan.schema["close"] == pl.Float64

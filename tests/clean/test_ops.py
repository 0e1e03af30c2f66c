"""Each operation on a small two-series frame: what it returns and what its report counts."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from tests.clean.conftest import at, frame
from variosync.clean.recipe import parse_recipe
from variosync.clean.run import apply_recipe
from variosync.errors import UsageError

F = {"x": pl.Float64, "n": pl.Int64}
BASE = frame(
    [
        ("a", 0, 1.0, 1),
        ("a", 1, None, 2),
        ("a", 2, None, None),
        ("a", 3, 4.0, 4),
        ("a", 4, 100.0, 5),
        ("b", 0, None, 10),
        ("b", 1, 7.0, 11),
        ("b", 3, 9.0, 13),
    ],
    F,
)


def run(step: dict[str, Any], data: pl.DataFrame = BASE) -> tuple[pl.DataFrame, dict[str, Any]]:
    out, reports = apply_recipe(data, parse_recipe([step]))
    return out, reports[0].to_dict()


def col(out: pl.DataFrame, name: str, series: str | None = None) -> list[Any]:
    if series is not None:
        out = out.filter(pl.col("series_id") == series)
    return out.get_column(name).to_list()


@pytest.mark.parametrize(
    ("step", "series", "expected", "report"),
    [
        (
            {"op": "fill_nulls", "method": "previous", "fields": ["x"]},
            None,
            [1.0, 1.0, 1.0, 4.0, 100.0, None, 7.0, 9.0],
            {"values_filled": 2},
        ),
        (
            {"op": "fill_nulls", "method": "next", "fields": "x"},
            None,
            [1.0, 4.0, 4.0, 4.0, 100.0, 7.0, 7.0, 9.0],
            {"values_filled": 3},
        ),
        (
            {"op": "fill_nulls", "method": "linear", "fields": ["x"]},
            "a",
            [1.0, 2.0, 3.0, 4.0, 100.0],
            {"values_filled": 2},
        ),
        (
            {"op": "fill_nulls", "method": "mean", "fields": ["x"]},
            "b",
            [8.0, 7.0, 9.0],
            {"values_filled": 3},
        ),
        (
            {"op": "fill_nulls", "method": "constant", "value": 0, "fields": ["x"]},
            None,
            [1.0, 0.0, 0.0, 4.0, 100.0, 0.0, 7.0, 9.0],
            {"values_filled": 3},
        ),
        (
            {"op": "fill_nulls", "method": "previous", "fields": ["x"], "max_gap": 1},
            "a",
            [1.0, None, None, 4.0, 100.0],
            {"values_filled": 0},
        ),
        (
            {"op": "clip", "fields": ["x"], "upper": 10},
            "a",
            [1.0, None, None, 4.0, 10.0],
            {"values_changed": 1},
        ),
        (
            {"op": "round", "fields": ["x"], "decimals": -1},
            "b",
            [None, 10.0, 10.0],
            {"values_changed": 4},
        ),
        (
            {"op": "diff", "field": "n"},
            "a",
            [None, 1, None, None, 1],
            {"fields_added": ["n_diff"]},
        ),
        (
            {"op": "returns", "field": "x"},
            "b",
            [None, None, 9.0 / 7.0 - 1],
            {"fields_added": ["x_return"]},
        ),
        (
            {"op": "rolling", "field": "n", "stat": "sum", "window": 2},
            "b",
            [10.0, 21.0, 24.0],
            {"fields_added": ["n_rolling_sum"]},
        ),
        (
            {"op": "rolling", "field": "n", "stat": "mean", "window": "2m"},
            "b",
            [10.0, 10.5, 13.0],
            {},
        ),
        (
            {"op": "scale", "method": "minmax", "fields": ["n"]},
            "b",
            [0.0, 1.0 / 3.0, 1.0],
            {"values_changed": 7},
        ),
        (
            {"op": "derive", "name": "y", "expr": "n * 2 + 1"},
            "b",
            [21, 23, 27],
            {"fields_added": ["y"]},
        ),
        (
            {"op": "convert", "fields": ["n"], "to": "string"},
            "b",
            ["10", "11", "13"],
            {"values_changed": 7},
        ),
    ],
)
def test_value_operations(
    step: dict[str, Any], series: str | None, expected: list[Any], report: dict[str, Any]
) -> None:
    out, got = run(step)
    name = {"diff": "n_diff", "returns": "x_return", "derive": "y"}.get(step["op"], "x")
    if step["op"] in ("rolling", "scale", "convert"):
        name = got["fields_added"][0] if got["fields_added"] else "n"
    values = col(out, name, series)
    assert len(values) == len(expected)
    for value, want in zip(values, expected, strict=True):
        assert value == (pytest.approx(want) if isinstance(want, float) else want)
    for key, value in report.items():
        assert got[key] == value, key


@pytest.mark.parametrize(
    ("step", "rows_after", "kept"),
    [
        ({"op": "drop_nulls"}, 5, None),
        ({"op": "drop_nulls", "fields": ["x"], "how": "all"}, 5, None),
        ({"op": "drop_nulls", "fields": ["x", "n"], "how": "all"}, 7, None),
        (
            {"op": "filter", "where": [{"field": "x", "cmp": ">", "value": 5}]},
            3,
            [("a", 4), ("b", 1), ("b", 3)],
        ),
        ({"op": "filter", "where": [{"field": "x", "cmp": "is_null"}], "keep": False}, 5, None),
        ({"op": "filter", "series_in": ["b"]}, 3, None),
        ({"op": "filter", "start": "2024-01-01T00:02:00Z", "end": "2024-01-01T00:04:00"}, 3, None),
        ({"op": "filter", "where": [{"field": "n", "cmp": "in", "value": [1, 13]}]}, 2, None),
    ],
)
def test_row_operations(step: dict[str, Any], rows_after: int, kept: list[Any] | None) -> None:
    out, got = run(step)
    assert out.height == rows_after
    assert got["rows_removed"] == BASE.height - rows_after
    if kept is not None:
        keys = [(s, t) for s, t in out.select("series_id", "ts").iter_rows()]
        assert keys == [(s, at(m)) for s, m in kept]


def test_fill_gaps_inserts_missing_grid_points_per_series() -> None:
    out, got = run({"op": "fill_gaps", "every": "1m", "method": "previous"})
    assert col(out, "ts", "b") == [at(0), at(1), at(2), at(3)]
    assert col(out, "x", "b") == [None, 7.0, 7.0, 9.0]
    assert col(out, "n", "b") == [10, 11, 11, 13]
    assert got["rows_added"] == 1
    assert out.height == BASE.height + 1


def test_fill_gaps_infers_each_series_step() -> None:
    data = frame(
        [("a", m, 1.0) for m in (0, 10, 20, 50)] + [("b", m, 2.0) for m in (0, 1, 3)],
        {"x": pl.Float64},
    )
    out, _ = run({"op": "fill_gaps"}, data)
    assert col(out, "ts", "a") == [at(m) for m in (0, 10, 20, 30, 40, 50)]
    assert col(out, "x", "a") == [1.0, 1.0, 1.0, None, None, 1.0]
    assert col(out, "ts", "b") == [at(m) for m in (0, 1, 2, 3)]


def test_resample_aggregates_each_series() -> None:
    out, got = run({"op": "resample", "every": "2m", "agg": {"n": "sum"}})
    assert out.select("series_id", "ts").rows() == [
        ("a", at(0)),
        ("a", at(2)),
        ("a", at(4)),
        ("b", at(0)),
        ("b", at(2)),
    ]
    assert col(out, "n") == [3, 4, 5, 21, 13]
    assert col(out, "x") == [1.0, 4.0, 100.0, 7.0, 9.0]
    assert (got["rows_before"], got["rows_after"]) == (8, 5)


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ({"op": "shift_time", "by": "-30s"}, [at(-0.5), at(0.5), at(2.5)]),
        ({"op": "round_time", "every": "2m"}, [at(0), at(0), at(2)]),
        ({"op": "round_time", "every": "2m", "mode": "ceil"}, [at(0), at(2), at(4)]),
        ({"op": "assume_timezone", "zone": "Europe/Berlin"}, [at(-60), at(-59), at(-57)]),
    ],
)
def test_timestamp_operations(step: dict[str, Any], expected: list[Any]) -> None:
    data = BASE.filter(pl.col("series_id") == "b")
    if step["op"] == "round_time":
        out, _ = apply_recipe(data, parse_recipe([step, {"op": "drop_duplicates"}]))
        expected = list(dict.fromkeys(expected))
    else:
        out, got = run(step, data)
        assert got["timestamps_changed"] == 3
    assert col(out, "ts") == expected


def test_drop_duplicates_after_rounding_keeps_first_or_last() -> None:
    data = BASE.filter(pl.col("series_id") == "b")
    for keep, value in (("first", None), ("last", 7.0)):
        steps = [{"op": "round_time", "every": "2m"}, {"op": "drop_duplicates", "keep": keep}]
        out, reports = apply_recipe(data, parse_recipe(steps))
        assert col(out, "x")[0] == value
        assert reports[1].rows_removed == 1


SPIKY = frame(
    [("a", m, float(v)) for m, v in enumerate([10, 11, 9, 10, 12, 10, 95, 11, 10, 9, 10, 11])]
    + [("b", m, float(v)) for m, v in enumerate([90, 91, 89, 90, 92, 90, 91, 89, 90, 91, 90, 92])],
    {"x": pl.Float64},
)


@pytest.mark.parametrize("method", ["iqr", "zscore", "mad"])
@pytest.mark.parametrize(
    ("action", "check"),
    [
        ("flag", lambda out: col(out, "x_outlier", "a")[6] is True),
        ("remove", lambda out: out.height == SPIKY.height - 1),
        ("null", lambda out: col(out, "x", "a")[6] is None),
        ("clip", lambda out: 10 < col(out, "x", "a")[6] < 95),
    ],
)
def test_outliers_are_found_within_each_series(method: str, action: str, check: Any) -> None:
    # Series b sits around 90: pooled with a, its values would hide a's spike of 95.
    step: dict[str, Any] = {"op": "outliers", "method": method, "action": action}
    if method == "zscore":
        step["threshold"] = 2.5  # one spike in 12 points cannot reach |z| > 3
    out, got = run(step, SPIKY)
    assert check(out)
    assert got["flagged"] == 1
    if action == "flag":
        assert col(out, "x_outlier", "b") == [False] * 12


def test_rename_drop_and_convert() -> None:
    steps = [
        {"op": "rename", "fields": {"x": "temp"}},
        {"op": "drop_fields", "fields": ["n"]},
        {"op": "convert", "fields": ["temp"], "to": "int", "on_error": "null"},
    ]
    out, reports = apply_recipe(BASE, parse_recipe(steps))
    assert out.columns == ["series_id", "ts", "temp"]
    assert out.schema["temp"] == pl.Int64
    assert reports[0].fields_added == ("temp",) and reports[0].fields_removed == ("x",)


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (
            [{"op": "fill_nulls", "method": "mean", "fields": ["y"]}],
            "step 1 (fill_nulls): unknown field 'y'",
        ),
        ([{"op": "rename", "fields": {"x": "n"}}], "already exists"),
        (
            [
                {"op": "clip", "fields": ["x"], "upper": 3.5},
                {"op": "convert", "fields": "x", "to": "int"},
            ],
            "step 2 (convert): 4 value(s) of field 'x' are not a valid int",
        ),
        ([{"op": "derive", "name": "s", "expr": "sqrt("}], "step 1 (derive)"),
        (
            [
                {"op": "convert", "fields": ["n"], "to": "string"},
                {"op": "clip", "fields": ["n"], "lower": 0},
            ],
            "step 2 (clip): field 'n' holds String",
        ),
        (
            [{"op": "fill_nulls", "method": "constant", "value": "zero", "fields": ["x"]}],
            "cannot fill",
        ),
        ([{"op": "filter", "where": [{"field": "x", "cmp": ">", "value": "5"}]}], "compares"),
        ([{"op": "fill_gaps", "every": "1mo"}], "no fixed length"),
    ],
)
def test_errors_name_the_step_and_the_problem(steps: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        apply_recipe(BASE, parse_recipe(steps))

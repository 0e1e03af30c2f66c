"""Per-field contents: nulls, summary statistics, constant runs and OHLC violations."""

from __future__ import annotations

import math

import polars as pl
import pytest

from tests.quality.frames import at, combine, regular, series_frame
from variosync.model import Kind
from variosync.quality import (
    BooleanStats,
    ConstantRun,
    FieldKind,
    NumericStats,
    ProfileOptions,
    TextStats,
    profile_frame,
)


def test_nulls_are_counted_per_field() -> None:
    frame = regular(
        "a",
        5,
        x=[1.0, None, None, 4.0, 5.0],
        n=[1, 2, None, 4, 5],
        s=[None, "u", "v", None, None],
        b=[True, None, False, True, None],
    )
    series = profile_frame(frame, Kind.GENERIC).series[0]
    assert {f.name: (f.nulls, f.count) for f in series.fields} == {
        "x": (2, 3),
        "n": (1, 4),
        "s": (3, 2),
        "b": (2, 3),
    }


def test_numeric_summary() -> None:
    values = [4.0, 1.0, 3.0, 2.0, None, 10.0]
    series = profile_frame(regular("a", 6, x=values), Kind.GENERIC).series[0]
    field = series.fields[0]
    assert field.kind == FieldKind.NUMERIC
    stats = field.numeric
    assert stats is not None
    present = pl.Series([v for v in values if v is not None])
    assert stats == NumericStats(
        count=5,
        mean=present.mean(),
        std=present.std(),
        min=1.0,
        p25=2.0,
        median=3.0,
        p75=4.0,
        max=10.0,
    )
    assert (field.text, field.boolean) == (None, None)


def test_integers_are_summarised_as_numbers() -> None:
    series = profile_frame(regular("a", 4, n=[1, 2, 3, 4]), Kind.GENERIC).series[0]
    stats = series.fields[0].numeric
    assert stats is not None
    assert (stats.count, stats.mean, stats.min, stats.max, stats.median) == (4, 2.5, 1.0, 4.0, 2.5)


def test_nan_and_infinities_are_counted_apart_from_values() -> None:
    frame = regular("a", 5, x=[1.0, math.nan, math.inf, -math.inf, 3.0])
    field = profile_frame(frame, Kind.GENERIC).series[0].fields[0]
    assert (field.nulls, field.non_finite, field.count) == (0, 3, 2)
    assert field.numeric is not None
    assert (field.numeric.mean, field.numeric.max) == (2.0, 3.0)


def test_text_summary_breaks_ties_by_smallest_value() -> None:
    frame = regular("a", 7, s=["b", "a", "c", "b", None, "a", "c"])
    field = profile_frame(frame, Kind.GENERIC).series[0].fields[0]
    assert field.kind == FieldKind.TEXT
    assert field.text == TextStats(count=6, distinct=3, most_common="a", most_common_count=2)


def test_boolean_summary() -> None:
    frame = regular("a", 5, b=[True, False, True, None, True])
    field = profile_frame(frame, Kind.GENERIC).series[0].fields[0]
    assert field.kind == FieldKind.BOOLEAN
    assert field.boolean == BooleanStats(count=4, true_count=3)


@pytest.mark.parametrize(
    ("values", "stats"),
    [
        (
            pl.Series([None] * 4, dtype=pl.Float64),
            NumericStats(0, None, None, None, None, None, None, None),
        ),
        (pl.Series([0.1] * 4), NumericStats(4, 0.1, 0.0, 0.1, 0.1, 0.1, 0.1, 0.1)),
        (pl.Series([7.0]), NumericStats(1, 7.0, None, 7.0, 7.0, 7.0, 7.0, 7.0)),
    ],
    ids=["all-null", "constant", "one-value"],
)
def test_degenerate_numeric_fields(values: pl.Series, stats: NumericStats) -> None:
    frame = regular("a", values.len(), x=values)
    profile = profile_frame(frame, Kind.GENERIC)
    field = profile.series[0].fields[0]
    assert field.numeric == stats
    assert field.outliers is not None
    assert field.outliers.counts() == {"iqr": 0, "zscore": 0, "mad": 0}
    summary = profile.fields[0]
    assert (summary.count, summary.mean, summary.std) == (stats.count, stats.mean, stats.std)


def test_all_null_text_and_boolean_fields() -> None:
    frame = regular(
        "a", 3, s=pl.Series([None] * 3, dtype=pl.String), b=pl.Series([None] * 3, dtype=pl.Boolean)
    )
    text, boolean = profile_frame(frame, Kind.GENERIC).series[0].fields
    assert text.text == TextStats(0, 0, None, 0)
    assert boolean.boolean == BooleanStats(0, 0)
    assert (text.nulls, boolean.nulls) == (3, 3)


@pytest.mark.parametrize(
    ("values", "runs", "longest"),
    [
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 0, None),
        ([5.0] * 6, 1, (0, 5, 6, 5.0)),
        # a null ends a run; the longest is the earliest of equals
        ([1.0, 1.0, 1.0, None, 1.0, 1.0, 1.0, 2.0, 2.0], 2, (0, 2, 3, 1.0)),
        ([3.0, 2.0, 2.0, 2.0, 2.0, 9.0, 9.0, 9.0], 2, (1, 4, 4, 2.0)),
        ([4.0, 4.0, 5.0, 4.0, 4.0], 0, None),
        ([None, None, None, None], 0, None),  # nulls are no run
        (["on", "on", "on", "off"], 1, (0, 2, 3, "on")),
        ([True, True, True, True], 1, (0, 3, 4, True)),
        ([7, 7, 7, 8], 1, (0, 2, 3, 7)),  # integers keep their type
    ],
)
def test_constant_runs(
    values: list[object], runs: int, longest: tuple[int, int, int, object] | None
) -> None:
    frame = regular("a", len(values), step=1, x=values)
    options = ProfileOptions(min_constant_run=3)
    found = profile_frame(frame, Kind.GENERIC, options).series[0].fields[0].constant_runs
    assert found.runs == runs
    expected = None
    if longest:
        first, last, length, value = longest
        expected = ConstantRun(at(first), at(last), length, value)
    assert found.longest == expected
    if expected is not None:
        assert type(found.longest.value) is type(value)


def test_constant_runs_stop_at_the_end_of_a_series() -> None:
    frame = combine(regular("a", 2, step=1, x=[1.0, 1.0]), regular("b", 2, step=1, x=[1.0, 1.0]))
    profile = profile_frame(frame, Kind.GENERIC, ProfileOptions(min_constant_run=3))
    assert profile.totals.constant_runs == 0
    profile = profile_frame(frame, Kind.GENERIC, ProfileOptions(min_constant_run=2))
    assert [s.fields[0].constant_runs.runs for s in profile.series] == [1, 1]


OHLC_ROWS = {
    # open, high, low, close, volume
    "clean": (10.0, 12.0, 9.0, 11.0, 100.0),
    "high below close": (10.0, 10.5, 9.0, 11.0, 100.0),
    "low above open": (10.0, 12.0, 10.5, 11.0, 100.0),
    "high below low, both bad": (10.0, 9.5, 11.5, 11.0, 100.0),
    "negative volume": (10.0, 12.0, 9.0, 11.0, -5.0),
    "nulls skip rules": (None, 12.0, None, 11.0, None),
}


def test_ohlc_violations_use_the_validator_rules() -> None:
    rows = list(OHLC_ROWS.values())
    columns = zip(*rows, strict=True)
    fields = dict(zip(("open", "high", "low", "close", "volume"), columns, strict=True))
    frame = series_frame("a", list(range(len(rows))), **fields)
    profile = profile_frame(frame, Kind.OHLCV)
    expected = {
        "high < max(open, close)": 2,
        "low > min(open, close)": 2,
        "high < low": 1,
        "volume < 0": 1,
    }
    assert profile.series[0].ohlc_violations == expected
    assert profile.totals.ohlc_violations == expected
    assert profile_frame(frame, Kind.GENERIC).totals.ohlc_violations == {}


def test_ohlc_rules_need_their_columns() -> None:
    frame = regular("a", 2, close=[1.0, 2.0], volume=[-1.0, 3.0])
    assert profile_frame(frame, Kind.OHLCV).series[0].ohlc_violations == {"volume < 0": 1}

"""apply_plan end to end: rejects are data, OHLCV rules apply, batches compose."""

from __future__ import annotations

import polars as pl

from variosync.model import Kind
from variosync.normalize import apply_plan

from .conftest import Run, make_plan

BARS = {
    "Date": ["2024-01-01", "2024-01-02", "bad", "2024-01-04", "2024-01-05"],
    "Open": ["10", "10", "10", "12", "10"],
    "High": ["11", "10", "11", "11", "12"],
    "Low": ["9", "9", "9", "9", "x"],
    "Close": ["10.5", "12", "10", "10", "11"],
    "Volume": ["100", "NA", "5", "-1", "1"],
}


def test_bars_end_to_end(run: Run) -> None:
    valid, rejects = run(BARS)
    assert valid["ts"].dt.day().to_list() == [1]
    assert rejects.rows() == [
        (2, "high", "high 10.0 < max(open, close) 12.0"),
        (3, "Date", "cannot parse 'bad' as a timestamp with format %Y-%m-%d"),
        (4, "high", "high 11.0 < max(open, close) 12.0"),
        (4, "volume", "volume -1.0 < 0"),
        (5, "Low", "'x' is not a number"),
    ]
    assert rejects.schema == pl.Schema({"row": pl.Int64, "column": pl.String, "reason": pl.String})


def test_generic_kind_skips_bar_rules(run: Run) -> None:
    valid, rejects = run(BARS, kind=Kind.GENERIC)
    assert valid.height == 4
    assert valid.schema["low"] == pl.String  # 80% numbers: below the 90% bar, stays text
    assert rejects["row"].to_list() == [3]


def test_several_reasons_for_one_row_remove_it_once(run: Run) -> None:
    times = ["nope"] + [f"2024-01-{d:02d}" for d in range(2, 11)]
    frame = {"time": times, "a": ["1", "x"] + ["2"] * 8, "b": ["1", "y"] + ["3"] * 8}
    valid, rejects = run(frame)
    assert valid.height == 8
    assert rejects.rows() == [
        (1, "time", "cannot parse 'nope' as a timestamp with format %Y-%m-%d"),
        (2, "a", "'x' is not a number"),
        (2, "b", "'y' is not a number"),
    ]


def test_batches_compose_like_the_whole() -> None:
    whole = pl.DataFrame(BARS)
    plan = make_plan(whole.head(2))
    parts = [apply_plan(plan, whole.slice(0, 2), 0), apply_plan(plan, whole.slice(2), 2)]
    valid, rejects = apply_plan(plan, whole, 0)
    assert pl.concat([p[0] for p in parts]).equals(valid)
    assert pl.concat([p[1] for p in parts]).equals(rejects)


def test_empty_batch() -> None:
    frame = pl.DataFrame({"time": ["2024-01-01"], "v": ["1"]})
    plan = make_plan(frame)
    valid, rejects = apply_plan(plan, frame.clear(), 10)
    assert valid.schema == plan.schema
    assert valid.is_empty() and rejects.is_empty()

"""Properties every cleaning run keeps, over random multi-series frames."""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.clean.conftest import at
from variosync.clean.recipe import parse_recipe
from variosync.clean.run import apply_recipe

FILL_METHODS = ["previous", "next", "mean", "median", "mode", "linear", "time"]


@st.composite
def frames(draw: st.DrawFn) -> pl.DataFrame:
    """1-4 series, each with distinct sorted minutes and nullable float values."""
    rows: list[tuple[str, Any, float | None, int | None]] = []
    for index in range(draw(st.integers(1, 4))):
        minutes = sorted(draw(st.sets(st.integers(0, 300), min_size=1, max_size=25)))
        for minute in minutes:
            value = draw(st.none() | st.floats(-1e6, 1e6, allow_nan=False))
            count = draw(st.none() | st.integers(-1000, 1000))
            rows.append((f"s{index}", at(minute), value, count))
    schema = {
        "series_id": pl.String,
        "ts": pl.Datetime("us", "UTC"),
        "x": pl.Float64,
        "n": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


RECIPES = st.sampled_from(
    [[{"op": "fill_nulls", "method": m, "fields": ["x"]}] for m in FILL_METHODS]
    + [
        [{"op": "outliers", "method": "mad", "action": "clip"}],
        [{"op": "outliers", "method": "zscore", "action": "null", "threshold": 1.5}],
        [{"op": "fill_nulls", "method": "previous", "max_gap": 2}],
        [{"op": "fill_nulls", "method": "mode", "fields": ["n"]}],
        [{"op": "diff", "field": "n", "periods": 2}],
        [{"op": "drop_nulls", "how": "all"}],
        [{"op": "fill_gaps", "every": "5m", "method": "previous"}],
        [{"op": "derive", "name": "r", "expr": "pct_change(x) + next(n)"}],
        [{"op": "convert", "fields": ["n"], "to": "string"}, {"op": "sort"}],
        [{"op": "outliers", "method": "iqr", "action": "remove"}],
        [{"op": "fill_gaps", "method": "linear"}],
        [{"op": "resample", "every": "15m"}],
        [{"op": "returns", "field": "x", "log": True}],
        [{"op": "rolling", "field": "x", "window": "10m", "stat": "max"}],
        [{"op": "scale", "fields": ["x"]}],
        [{"op": "round_time", "every": "5m"}, {"op": "drop_duplicates"}],
    ]
)


@settings(max_examples=60, deadline=None)
@given(frames(), st.sampled_from(FILL_METHODS))
def test_filling_never_changes_a_value_that_was_there(data: pl.DataFrame, method: str) -> None:
    out, reports = apply_recipe(data, parse_recipe([{"op": "fill_nulls", "method": method}]))
    assert out.select("series_id", "ts").equals(data.select("series_id", "ts"))
    for name in ("x", "n"):
        before, after = data.get_column(name), out.get_column(name)
        kept = before.is_not_null()
        assert after.filter(kept).to_list() == before.filter(kept).to_list()
    assert reports[0].values_changed == 0 and reports[0].values_nulled == 0


@settings(max_examples=40, deadline=None)
@given(frames())
def test_dedupe_and_sort_are_idempotent(data: pl.DataFrame) -> None:
    shuffled = pl.concat([data, data.head(3)]).sample(fraction=1.0, shuffle=True, seed=1)
    recipe = parse_recipe([{"op": "sort"}, {"op": "drop_duplicates"}])
    once, _ = apply_recipe(shuffled, recipe)
    twice, reports = apply_recipe(once, recipe)
    assert once.equals(twice)
    assert all(r.rows_removed == 0 for r in reports)
    assert once.select("series_id", "ts").is_unique().all()


@settings(max_examples=80, deadline=None)
@given(frames(), RECIPES)
def test_series_are_cleaned_independently(data: pl.DataFrame, steps: list[dict[str, Any]]) -> None:
    # Cleaning the concatenation equals concatenating each series cleaned on its own.
    recipe = parse_recipe(steps)
    together, _ = apply_recipe(data, recipe)
    parts = [
        apply_recipe(data.filter(pl.col("series_id") == name), recipe)[0]
        for name in sorted(data.get_column("series_id").unique().to_list())
    ]
    assert together.equals(pl.concat(parts))

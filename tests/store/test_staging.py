"""Staging keeps the last row of every (series_id, ts), sorted, whatever the input order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from variosync.store import Staging

BASE = datetime(1960, 1, 1, tzinfo=UTC)

rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "Zürich", "c,d", ""]),
        st.integers(0, 30),
        st.integers(-(2**63), 2**63 - 1),
    ),
    min_size=1,
    max_size=120,
)


def _frame(part: list[tuple[str, int, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "series_id": [r[0] for r in part],
            "ts": [BASE + timedelta(hours=r[1]) for r in part],
            "v": [r[2] for r in part],
        },
        schema={"series_id": pl.String, "ts": pl.Datetime("us", "UTC"), "v": pl.Int64},
    )


def _expected(data: list[tuple[str, int, int]]) -> pl.DataFrame:
    last: dict[tuple[str, int], int] = {}
    for series, hour, value in data:
        last[(series, hour)] = value
    keys = sorted(last)
    return _frame([(s, h, last[(s, h)]) for s, h in keys])


@settings(max_examples=60, deadline=None)
@given(data=rows, cut=st.integers(1, 40), budget=st.sampled_from([0, 10**9]))
def test_last_write_wins_and_output_is_sorted(
    data: list[tuple[str, int, int]], cut: int, budget: int
) -> None:
    with Staging(budget) as staging:
        for start in range(0, len(data), cut):
            staging.add(_frame(data[start : start + cut]))
        got = pl.concat(list(staging.frames())).sort("series_id", "ts")
        assert got.equals(_expected(data))
        assert staging.rows_out == got.height
        frames = list(staging.frames())
        for frame in frames:
            assert frame.equals(frame.sort("series_id", "ts"))


def test_time_ordered_input_takes_the_fast_path_and_stays_correct() -> None:
    data = [(s, h, h * 10 + i) for h in range(20) for i, s in enumerate("cab")]
    data += [("a", 5, -1)]  # a late correction of an earlier point
    with Staging(10**9) as staging:
        staging.add(_frame(data))
        got = pl.concat(list(staging.frames()))
    assert got.equals(_expected(data))
    assert (
        got.filter(pl.col("series_id") == "a", pl.col("ts") == BASE + timedelta(hours=5)).item(
            0, "v"
        )
        == -1
    )


def test_input_already_in_key_order_keeps_the_last_duplicate() -> None:
    data = [("a", 1, 1), ("a", 1, 2), ("a", 2, 3), ("b", 0, 4), ("b", 0, 5)]
    with Staging(10**9) as staging:
        staging.add(_frame(data))
        got = pl.concat(list(staging.frames()))
    assert got.equals(_expected(data))
    assert got.get_column("v").to_list() == [2, 3, 5]

"""OHLCV validation: rule table, null handling, one removal per row."""

from __future__ import annotations

import polars as pl
import pytest

from variosync.model import Kind
from variosync.validate import REJECTS_SCHEMA, validate


def bars(
    *rows: tuple[float | None, float | None, float | None, float | None, float | None],
) -> pl.DataFrame:
    return pl.DataFrame(
        list(rows),
        schema={
            "open": pl.Float64,
            "high": pl.Float64,
            "low": pl.Float64,
            "close": pl.Float64,
            "volume": pl.Float64,
        },
        orient="row",
    )


@pytest.mark.parametrize(
    ("row", "reasons"),
    [
        ((10, 12, 9, 11, 100), []),
        ((10, 10, 10, 10, 0), []),
        ((12, 10, 9, 11, 1), [("high", "high 10.0 < max(open, close) 12.0")]),
        ((10, 12, 11, 10.5, 1), [("low", "low 11.0 > min(open, close) 10.0")]),
        ((10, 12, 9, 11, -5), [("volume", "volume -5.0 < 0")]),
        (
            (10, 8, 9, 10, 1),
            [
                ("high", "high 8.0 < max(open, close) 10.0"),
                ("high", "high 8.0 < low 9.0"),
            ],
        ),
        ((None, 12, 9, 11, None), []),
        ((None, 10, 9, 11, None), [("high", "high 10.0 < max(open, close) 11.0")]),
        ((None, None, 9, None, 1), []),
        ((10, None, None, 11, None), []),
        ((None, None, None, None, None), []),
    ],
)
def test_ohlcv_rules(row: tuple[float | None, ...], reasons: list[tuple[str, str]]) -> None:
    frame = bars(row)  # type: ignore[arg-type]
    valid, rejects = validate(frame, Kind.OHLCV, pl.Series([41]))
    assert rejects.schema == REJECTS_SCHEMA
    assert rejects.select("column", "reason").rows() == reasons
    assert rejects["row"].to_list() == [41] * len(reasons)
    assert valid.height == (0 if reasons else 1)


def test_rows_are_removed_once_and_keep_order() -> None:
    frame = bars((10, 8, 9, 10, -1), (10, 12, 9, 11, 1), (12, 10, 9, 11, 1), (1, 2, 0, 1, 3))
    valid, rejects = validate(frame, Kind.OHLCV, pl.Series([5, 6, 7, 8]))
    assert valid.rows() == [(10.0, 12.0, 9.0, 11.0, 1.0), (1.0, 2.0, 0.0, 1.0, 3.0)]
    assert rejects["row"].to_list() == [5, 5, 5, 7]


def test_integer_columns_and_partial_bars() -> None:
    frame = pl.DataFrame({"high": [5, 1], "low": [1, 2], "volume": [1, 1]})
    valid, rejects = validate(frame, Kind.OHLCV, pl.Series([1, 2]))
    assert valid.height == 1
    assert rejects.rows() == [(2, "high", "high 1.0 < low 2.0")]


def test_generic_frames_pass_untouched() -> None:
    frame = bars((12, 10, 9, 11, -1))
    valid, rejects = validate(frame, Kind.GENERIC, pl.Series([1]))
    assert valid.equals(frame)
    assert rejects.is_empty()

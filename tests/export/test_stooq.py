"""Stooq text: header, DATE/TIME digits, OHLCV layout, generic fields, the period code."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import polars as pl
import pytest

from variosync.errors import UsageError
from variosync.export.stooq import period, write_stooq
from variosync.model import SERIES, TS

from .conftest import canonical


def render(batches: list[pl.DataFrame]) -> str:
    out = io.BytesIO()
    write_stooq(batches, out)
    return out.getvalue().decode()


def bars(times: list[datetime]) -> pl.DataFrame:
    n = len(times)
    return canonical(
        {
            SERIES: ["AAPL.US"] * n,
            TS: times,
            "open": [1.5] * n,
            "high": [2.0] * n,
            "low": [1.0] * n,
            "close": [1.75] * n,
            "volume": [1000] * n,
        }
    )


def test_ohlcv_layout() -> None:
    text = render([bars([datetime(2024, 1, 15, 9, 30), datetime(2024, 1, 15, 9, 35, 7)])])
    assert text.splitlines() == [
        "<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>",
        "AAPL.US,5,20240115,093000,1.5,2.0,1.0,1.75,1000,0",
        "AAPL.US,5,20240115,093507,1.5,2.0,1.0,1.75,1000,0",
    ]


def test_ohlcv_columns_in_any_order() -> None:
    frame = bars([datetime(2024, 1, 15)])
    shuffled = frame.select(SERIES, TS, "volume", "close", "low", "high", "open")
    assert render([shuffled]) == render([frame])


def test_generic_fields_upper_cased(sample: pl.DataFrame) -> None:
    assert render([sample]) == (
        "<TICKER>,<PER>,<DATE>,<TIME>,<F>,<I>,<S>,<B>\n"
        '"a,b ""q""",D,20240115,093000,0.1,1,"x\ny",true\n'
        'Zürich-温度,D,19000101,000000,1e+300,,"",\n'
        "x y=z,D,19691231,235959,,-5,,false\n"
    )


def test_empty_input_is_a_header() -> None:
    assert render([]) == "<TICKER>,<PER>,<DATE>,<TIME>\n"


def test_colliding_field_names_are_refused() -> None:
    frame = canonical({SERIES: ["s"], TS: [datetime(2024, 1, 1)], "a": [1], "A": [2]})
    with pytest.raises(UsageError, match="collide"):
        render([frame])


@pytest.mark.parametrize(
    ("step", "code"),
    [
        (timedelta(minutes=5), "5"),
        (timedelta(hours=1), "60"),
        (timedelta(seconds=10), "1"),
        (timedelta(days=1), "D"),
        (timedelta(days=7), "W"),
        (timedelta(days=31), "M"),
    ],
)
def test_period_from_the_smallest_step(step: timedelta, code: str) -> None:
    start = datetime(2024, 1, 1)
    assert period(bars([start, start + step, start + 3 * step])) == code


def test_period_of_single_points_is_daily(sample: pl.DataFrame) -> None:
    assert period(sample) == "D"


def test_period_looks_within_each_series() -> None:
    frame = pl.concat(
        [
            bars([datetime(2024, 1, 1), datetime(2024, 1, 2)]),
            bars([datetime(2024, 1, 1, 0, 5)]).with_columns(pl.lit("B").alias(SERIES)),
        ]
    )
    assert period(frame) == "D"

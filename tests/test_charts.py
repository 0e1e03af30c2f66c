"""Chart data: about one point per pixel and never over the cap, extremes kept, gaps drawn as
gaps, candles of candles for OHLC, and arrays as Plotly typed arrays."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from variosync.charts import MAX_POINTS, budget, candles, line, typed

START = datetime(2024, 1, 1, tzinfo=UTC)


def series(n: int, step_s: float = 1.0, seed: int = 1) -> tuple[pl.Series, pl.Series]:
    rng = np.random.default_rng(seed)
    ts = pl.Series("ts", [START + timedelta(seconds=i * step_s) for i in range(n)])
    return ts, pl.Series("v", rng.normal(size=n).cumsum())


def big(n: int) -> tuple[pl.Series, pl.Series]:
    """``n`` points a second apart, built without a Python list of datetimes."""
    ts = pl.datetime_range(START, START + timedelta(seconds=n - 1), "1s", eager=True)
    values = np.random.default_rng(2).normal(size=n).cumsum()
    return ts.alias("ts"), pl.Series("v", values)


def test_a_small_series_is_sent_whole() -> None:
    ts, v = series(300)
    trace = line("s", ts, v, 1000)
    assert len(trace.x) == 300 and trace.total == 300 and not trace.thinned
    assert np.allclose(trace.y, v.to_numpy())
    assert trace.x[0] == START.timestamp() * 1000


def test_millions_become_about_one_point_per_pixel_keeping_the_shape() -> None:
    ts, v = big(2_000_000)
    trace = line("s", ts, v, 1200)
    assert len(trace.x) <= 1200 and len(trace.x) >= 1000
    assert trace.total == 2_000_000 and trace.thinned
    values = v.to_numpy()
    # the shape's range survives (every 1,667th point would miss its peaks by far more)
    assert trace.y.max() - trace.y.min() >= 0.98 * (values.max() - values.min())
    naive = values[:: len(values) // 1200]
    assert trace.y.max() - trace.y.min() > naive.max() - naive.min()
    assert np.all(np.diff(trace.x) > 0)


def test_the_cap_holds_for_any_width() -> None:
    ts, v = big(200_000)
    assert len(line("s", ts, v, 100_000).x) <= MAX_POINTS
    assert budget(10**9) == MAX_POINTS and budget(0) == 2


def test_a_gap_stays_a_gap_and_missing_values_break_the_line() -> None:
    ts, v = series(1000)
    later = ts.filter(ts > START + timedelta(seconds=499)) + timedelta(hours=1)
    ts = pl.concat([ts.filter(ts <= START + timedelta(seconds=499)), later])
    values = v.to_numpy().copy()
    values[100] = np.nan
    trace = line("s", ts, pl.Series(values), 2000)
    breaks = np.flatnonzero(np.isnan(trace.y))
    assert len(breaks) == 2  # one for the missing value, one for the hour without data
    gap_at = trace.x[breaks[1]]
    assert trace.x[breaks[1] - 1] < gap_at < trace.x[breaks[1] + 1]
    assert trace.x[breaks[1] + 1] - trace.x[breaks[1] - 1] > 3_600_000


def test_gaps_survive_thinning_and_too_many_keep_the_longest() -> None:
    n = 100_000
    ts, v = big(n)
    # a 10-minute hole every 1,000 points: 99 gaps, more than 400 px can show one by one,
    # and one of 6 hours
    shift = np.repeat(np.arange(n // 1000), 1000) * 600_000_000
    shift[70_000:] += 6 * 3_600_000_000
    moved = pl.Series("ts", ts.dt.epoch("us").to_numpy() + shift).cast(pl.Datetime("us", "UTC"))
    trace = line("s", moved, v, 400)
    assert len(trace.x) <= 400
    breaks = np.flatnonzero(np.isnan(trace.y))
    assert 1 <= len(breaks) <= 400 // 8
    widths = trace.x[breaks + 1] - trace.x[breaks - 1]
    assert widths.max() > 6 * 3_600_000  # the longest gap is among those kept


def test_typed_arrays_are_the_raw_float64_bytes() -> None:
    values = np.array([1.5, np.nan, -2.0])
    encoded = typed(values)
    assert encoded["dtype"] == "f8"
    back = np.frombuffer(base64.b64decode(encoded["bdata"]), dtype="<f8")
    assert np.array_equal(back, values, equal_nan=True)
    trace = line("s", *series(10), 100).plotly()
    assert trace["connectgaps"] is False and isinstance(trace["x"], dict)


@pytest.mark.parametrize("with_volume", [True, False])
def test_candles_of_candles(with_volume: bool) -> None:
    n = 50_000
    ts, close = big(n)
    frame = pl.DataFrame(
        {"ts": ts, "open": close - 0.5, "high": close + 1, "low": close - 1, "close": close}
    )
    if with_volume:
        frame = frame.with_columns(volume=pl.lit(2.0))
    out = candles(frame, 500)
    assert out.height <= 501
    assert out["high"].max() == frame["high"].max() and out["low"].min() == frame["low"].min()
    assert out["open"][0] == frame["open"][0] and out["close"][-1] == frame["close"][-1]
    if with_volume:
        assert out["volume"].sum() == frame["volume"].sum()
    assert candles(frame.head(100), 500).equals(frame.head(100))

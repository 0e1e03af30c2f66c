"""Chart data: millions of points thinned to about one per pixel, gaps kept as gaps, sent as
typed arrays.

A line trace is thinned with MinMaxLTTB (the ``tsdownsample`` package): each bucket's minimum
and maximum are preselected, then LTTB keeps the points that carry the shape — peaks and
troughs stay in an overview, where taking every n-th point would lose them. Before thinning,
the points are cut where the data has a gap (a step much longer than the typical one, or a
missing value); each piece is thinned on its own and the pieces are joined with a NaN, which
Plotly draws as a break — a gap stays visible at every zoom level. OHLC data is bucketed
instead (open = first, high = max, low = min, close = last, volume = sum): a candle of candles.

Arrays go to the browser as Plotly typed arrays (``{"dtype", "bdata"}``: base64 of the raw
bytes), never as a list of per-point objects.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import numpy.typing as npt
import polars as pl
from tsdownsample import MinMaxLTTBDownsampler

MAX_POINTS = 5_000
"""Hard cap of points per trace, whatever the width asked for."""
GAP_FACTOR = 3.0
"""A step this many times the typical (median) step is a gap."""

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Trace:
    """One line: x in epoch milliseconds (Plotly's date numbers), y with NaN at breaks."""

    name: str
    x: Floats
    y: Floats
    total: int
    """Points in the window before thinning."""

    @property
    def thinned(self) -> bool:
        """Whether points were left out (zooming in shows them)."""
        return self.total > int(np.count_nonzero(~np.isnan(self.y)))

    def plotly(self) -> dict[str, object]:
        """The trace for Plotly, its arrays typed."""
        return {
            "type": "scattergl",
            "mode": "lines",
            "name": self.name,
            "x": typed(self.x),
            "y": typed(self.y),
            "connectgaps": False,
        }


def typed(values: npt.NDArray[np.float64]) -> dict[str, str]:
    """A Plotly typed array: little-endian float64 bytes, base64."""
    raw = np.ascontiguousarray(values, dtype="<f8").tobytes()
    return {"dtype": "f8", "bdata": base64.b64encode(raw).decode("ascii")}


def budget(width_px: int) -> int:
    """Points per trace for a plot ``width_px`` wide: about one per pixel, within the cap."""
    return max(2, min(MAX_POINTS, int(width_px)))


def _pieces(x: Ints, y: Floats, most: int) -> tuple[Ints, Floats, list[tuple[int, int]]]:
    """The points with a value, and at most ``most`` [start, end) ranges of them without a
    gap: a missing value or a step over ``GAP_FACTOR`` times the typical one cuts (with more
    gaps than that, only the longest are kept as breaks)."""
    missing = np.isnan(y)
    if missing.any():
        kept = np.flatnonzero(~missing)
        xs, ys = x[kept], y[kept]
    else:  # the common case: no copies
        kept, xs, ys = None, x, y
    if len(xs) < 2:
        return xs, ys, [(0, len(xs))] if len(xs) else []
    steps = np.diff(xs)
    # the typical step from at most ~100k of them: the median of a stride sample
    typical = float(np.median(steps[:: max(1, len(steps) // 100_000)]))
    cut = np.diff(kept) > 1 if kept is not None else np.zeros(len(steps), dtype=bool)
    if typical > 0:
        cut |= steps > GAP_FACTOR * typical
    where = np.flatnonzero(cut)
    if len(where) >= most:
        where = np.sort(where[np.argsort(steps[where], kind="stable")[len(where) - most + 1 :]])
    starts = [0, *(where + 1).tolist()]
    return xs, ys, list(zip(starts, [*starts[1:], len(xs)], strict=True))


def _thin(x: Ints, y: Floats, n_out: int) -> Ints:
    """Indices of at most ``n_out`` points of one gap-free piece (its ends kept)."""
    if len(x) <= n_out or n_out < 4:
        return np.arange(len(x), dtype=np.int64) if len(x) <= n_out else np.array([0, len(x) - 1])
    thinner = MinMaxLTTBDownsampler()  # type: ignore[no-untyped-call]
    chosen = thinner.downsample(x, y, n_out=n_out - n_out % 2)
    return np.asarray(chosen, dtype=np.int64)


def line(name: str, ts: pl.Series, values: pl.Series, width_px: int) -> Trace:
    """A line trace of (sorted) times and values, thinned for a plot ``width_px`` wide."""
    micros: Ints = np.asarray(ts.dt.epoch("us").rechunk().to_numpy(), dtype=np.int64)
    raw: Floats = np.asarray(values.cast(pl.Float64).rechunk().to_numpy(), dtype=np.float64)
    n_out = budget(width_px)
    x, y, pieces = _pieces(micros, raw, max(1, n_out // 8))
    # each piece keeps at least 2 points and a NaN joins two: reserve 3 per piece, so the
    # trace stays within n_out
    spread = n_out - 3 * len(pieces)
    xs: list[Floats] = []
    ys: list[Floats] = []
    for number, (a, b) in enumerate(pieces):
        share = max(2, spread * (b - a) // len(x))
        keep = _thin(x[a:b], y[a:b], share) + a
        if number:  # a break: NaN between the pieces, in the gap's middle
            xs.append(np.array([(x[a - 1] + x[a]) / 2000.0]))
            ys.append(np.array([np.nan]))
        xs.append(x[keep] / 1000.0)
        ys.append(y[keep])
    empty = np.array([], dtype=np.float64)
    x_out = np.concatenate(xs) if xs else empty
    y_out = np.concatenate(ys) if ys else empty
    return Trace(name, x_out.astype(np.float64), y_out.astype(np.float64), len(x))


def candles(frame: pl.DataFrame, width_px: int) -> pl.DataFrame:
    """OHLC(V) rows (``ts``, open, high, low, close[, volume]) as at most one candle per
    ``MAX_POINTS``-capped pixel budget: buckets of equal time, first/max/min/last/sum."""
    n_out = budget(width_px)
    if frame.height <= n_out:
        return frame
    start, end = frame["ts"].min(), frame["ts"].max()
    assert start is not None and end is not None
    span = end - start  # type: ignore[operator]
    assert isinstance(span, timedelta)
    every = max(timedelta(microseconds=1), span / n_out)
    aggs = [
        pl.col("open").first(),
        pl.col("high").max(),
        pl.col("low").min(),
        pl.col("close").last(),
    ]
    if "volume" in frame.columns:
        aggs.append(pl.col("volume").sum())
    micros = max(1, every // timedelta(microseconds=1))
    return frame.sort("ts").group_by_dynamic("ts", every=f"{micros}us").agg(aggs)

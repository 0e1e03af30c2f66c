"""Chart data for one 10M-point series: the server's time from request to the first paint's
data (read the series, thin it to the plot's width, encode the trace), and a zoom round trip
(read a window at full resolution, thin, encode) — beside the bare ``tsdownsample`` call on the
same array in the same run. Measured twice: the bare functions through the facade, and the
dashboard's request path (``variosync.web.chart_data.chart_traces`` with its cache, cold and
warm, times moved to a viewer's zone).

Standalone: .venv/bin/python benchmarks/chart_bench.py [--rows N]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
from tsdownsample import MinMaxLTTBDownsampler

from variosync import Query, Settings, Variosync
from variosync.cache import ResultCache
from variosync.charts import line
from variosync.model import IngestOptions
from variosync.redis_link import RedisLink
from variosync.web.chart_data import ChartSpec, chart_traces

HERE = Path(__file__).parent
WIDTH_PX = 1600
ZOOMS = 30
PAINTS = 3
FIRST_PAINT_S = 1.0
TRACE_KIB = 100
ZOOM_P95_S = 0.150
WARM = 21
ZONE = "Europe/Berlin"
START = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ChartRun:
    """Seconds and bytes measured."""

    rows: int
    first_paint_s: float
    read_s: float
    trace_bytes: int
    zoom_p50_s: float
    zoom_p95_s: float
    bare_downsample_s: float
    path: PathRun


@dataclass(frozen=True)
class PathRun:
    """The dashboard's request path (``chart_traces``, the in-process result cache)."""

    cold_paint_s: float
    warm_paint_s: float
    trace_bytes: int
    zoom_cold_p50_s: float
    zoom_cold_p95_s: float
    zoom_warm_p95_s: float
    bare_zoom_p95_s: float
    """Bare tsdownsample on each zoom window's arrays (already in memory)."""


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _bare(x: np.ndarray, y: np.ndarray) -> float:
    start = time.perf_counter()
    MinMaxLTTBDownsampler().downsample(x, y, n_out=WIDTH_PX)  # type: ignore[no-untyped-call]
    return time.perf_counter() - start


def _source(rows: int) -> Path:
    """One series of ``rows`` points a second apart (a random walk with a few holes)."""
    path = HERE / "data" / f"one_series_{rows}.parquet"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(7)
        seconds = np.arange(rows, dtype=np.int64)
        seconds[rows // 3 :] += 6 * 3600  # a 6-hour hole
        seconds[2 * rows // 3 :] += 3600
        frame = pl.DataFrame(
            {
                "ts": pl.Series(seconds * 1_000_000 + int(START.timestamp() * 1e6)).cast(
                    pl.Datetime("us", "UTC")
                ),
                "series_id": "meter",
                "value": rng.normal(size=rows).cumsum(),
            }
        )
        frame.write_parquet(path)
    return path


def _encode(trace_json: dict[str, object]) -> int:
    return len(json.dumps(trace_json).encode())


def run_charts(home: Path, rows: int) -> ChartRun:
    """Ingest once (reused), then measure."""
    settings = Settings(home=home, profile_on_write=False)
    with Variosync(settings) as vs:
        if "meter" not in {d.name for d in vs.datasets()}:
            print(f"ingesting one series of {rows:,} points …", flush=True)
            vs.ingest([_source(rows)], "meter", IngestOptions(series_col="series_id"))
        whole = Query(series=("meter",), fields=("value",))
        vs.query("meter", Query(series=("meter",), fields=("value",), limit=10))  # warm

        paints, reads = [], []
        for _ in range(PAINTS):  # the median of a few: single runs move ±30 % here
            start = time.perf_counter()
            frame = vs.query("meter", whole)
            reads.append(time.perf_counter() - start)
            trace = line("meter", frame["ts"], frame["value"], WIDTH_PX).plotly()
            size = _encode(trace)
            paints.append(time.perf_counter() - start)
        first_paint_s, read_s = statistics.median(paints), statistics.median(reads)

        x = frame["ts"].dt.epoch("us").to_numpy()
        y = frame["value"].to_numpy()
        bare_s = _bare(x, y)

        record = vs.catalog.get("meter")
        assert record.start is not None and record.end is not None
        span = record.end - record.start
        rng = random.Random(3)
        windows = []
        for _ in range(ZOOMS):
            width = span / 100
            lo = record.start + (span - width) * rng.random()
            windows.append((lo, lo + width))
        times = []
        for lo, hi in windows:
            window = Query(series=("meter",), fields=("value",), start=lo, end=hi)
            start = time.perf_counter()
            part = vs.query("meter", window)
            _encode(line("meter", part["ts"], part["value"], WIDTH_PX).plotly())
            times.append(time.perf_counter() - start)
        path = _request_path(vs, settings, windows, x, y)
        return ChartRun(
            rows=frame.height,
            first_paint_s=first_paint_s,
            read_s=read_s,
            trace_bytes=size,
            zoom_p50_s=statistics.median(times),
            zoom_p95_s=_p95(times),
            bare_downsample_s=bare_s,
            path=path,
        )


def _request_path(
    vs: Variosync,
    settings: Settings,
    windows: list[tuple[datetime, datetime]],
    x: np.ndarray,
    y: np.ndarray,
) -> PathRun:
    """First paint and zooms through ``chart_traces`` as the chart card calls it: cold (a
    new cache each first paint, windows not seen before) and warm (the same again)."""

    def paint(
        cache: ResultCache, start: datetime | None = None, end: datetime | None = None
    ) -> int:
        spec = ChartSpec("meter", ("meter",), ("value",), "line", True, start, end, WIDTH_PX, ZONE)
        chart = chart_traces(vs, cache, spec)
        return max(_encode(trace) for trace in chart.data) if chart.data else 0

    def timed(cache: ResultCache, *window: datetime) -> float:
        start = time.perf_counter()
        paint(cache, *window)
        return time.perf_counter() - start

    cold = [timed(ResultCache(RedisLink(None), settings)) for _ in range(PAINTS)]
    cache = ResultCache(RedisLink(None), settings)
    size = paint(cache)
    warm = [timed(cache) for _ in range(WARM)]
    zoom_cold = [timed(cache, lo, hi) for lo, hi in windows]
    zoom_warm = [timed(cache, lo, hi) for lo, hi in windows]
    assert cache.stats()["misses"] == 1 + len(windows), cache.stats()
    micros = [
        int((t - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1e6)
        for w in windows
        for t in w
    ]
    bounds = np.searchsorted(x, micros).reshape(-1, 2)
    bare = [_bare(x[a:b], y[a:b]) for a, b in bounds]
    return PathRun(
        cold_paint_s=statistics.median(cold),
        warm_paint_s=statistics.median(warm),
        trace_bytes=size,
        zoom_cold_p50_s=statistics.median(zoom_cold),
        zoom_cold_p95_s=_p95(zoom_cold),
        zoom_warm_p95_s=_p95(zoom_warm),
        bare_zoom_p95_s=_p95(bare),
    )


def describe(run: ChartRun) -> str:
    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    first = run.first_paint_s <= FIRST_PAINT_S and run.trace_bytes <= TRACE_KIB * 1024
    return "\n".join(
        [
            f"one series of {run.rows:,} points, a plot {WIDTH_PX} px wide:",
            f"  first paint (median of {PAINTS}): {run.first_paint_s * 1000:.0f} ms "
            f"(reading {run.read_s * 1000:.0f} ms)"
            f", trace {run.trace_bytes / 1024:.1f} KiB; bare tsdownsample on the same array "
            f"{run.bare_downsample_s * 1000:.0f} ms "
            f"({run.first_paint_s / run.bare_downsample_s:.1f}×)"
            f"; target ≤ {FIRST_PAINT_S:g} s and ≤ {TRACE_KIB} KiB: {verdict(first)}",
            f"  zoom to 1% of the span, {ZOOMS} times: p50 {run.zoom_p50_s * 1000:.0f} ms, "
            f"p95 {run.zoom_p95_s * 1000:.0f} ms; target p95 ≤ {ZOOM_P95_S * 1000:.0f} ms: "
            f"{verdict(run.zoom_p95_s <= ZOOM_P95_S)}",
            *_describe_path(run, verdict),
        ]
    )


def _describe_path(run: ChartRun, verdict: Callable[[bool], str]) -> list[str]:
    path, bare = run.path, run.bare_downsample_s
    first = path.cold_paint_s <= FIRST_PAINT_S and path.trace_bytes <= TRACE_KIB * 1024
    zoom_ratio = path.zoom_cold_p95_s / path.bare_zoom_p95_s
    return [
        f"the dashboard's request path (chart_traces, in-process cache, times in {ZONE}):",
        f"  first paint, cold (median of {PAINTS}): {path.cold_paint_s * 1000:.0f} ms "
        f"({path.cold_paint_s / bare:.1f}× bare tsdownsample {bare * 1000:.0f} ms)"
        f", trace {path.trace_bytes / 1024:.1f} KiB"
        f"; target ≤ {FIRST_PAINT_S:g} s and ≤ {TRACE_KIB} KiB: {verdict(first)}",
        f"  first paint, warm (a cache hit, median of {WARM}): {path.warm_paint_s * 1000:.1f} ms "
        f"({path.warm_paint_s / bare:.2f}× bare tsdownsample)",
        f"  zoom to 1% of the span, cold, {ZOOMS} windows: "
        f"p50 {path.zoom_cold_p50_s * 1000:.0f} ms, p95 {path.zoom_cold_p95_s * 1000:.0f} ms "
        f"({zoom_ratio:.1f}× bare tsdownsample on the windows' arrays, "
        f"p95 {path.bare_zoom_p95_s * 1000:.1f} ms); target p95 ≤ {ZOOM_P95_S * 1000:.0f} ms: "
        f"{verdict(path.zoom_cold_p95_s <= ZOOM_P95_S)}",
        f"  zoom, warm (the same windows again): p95 {path.zoom_warm_p95_s * 1000:.1f} ms "
        f"({path.zoom_warm_p95_s / path.bare_zoom_p95_s:.2f}× bare)",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--home", type=Path, default=HERE / "out" / "home-charts")
    args = parser.parse_args()
    print(describe(run_charts(args.home, args.rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

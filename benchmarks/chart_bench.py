"""Chart data for one 10M-point series: the server's time from request to the first paint's
data (read the series, thin it to the plot's width, encode the trace), and a zoom round trip
(read a window at full resolution, thin, encode) — beside the bare ``tsdownsample`` call on the
same array in the same run.

Standalone: .venv/bin/python benchmarks/chart_bench.py [--rows N]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
from tsdownsample import MinMaxLTTBDownsampler

from variosync import Query, Settings, Variosync
from variosync.charts import line
from variosync.model import IngestOptions

HERE = Path(__file__).parent
WIDTH_PX = 1600
ZOOMS = 30
PAINTS = 3
FIRST_PAINT_S = 1.0
TRACE_KIB = 100
ZOOM_P95_S = 0.150
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
        start = time.perf_counter()
        MinMaxLTTBDownsampler().downsample(x, y, n_out=WIDTH_PX)
        bare_s = time.perf_counter() - start

        record = vs.catalog.get("meter")
        assert record.start is not None and record.end is not None
        span = record.end - record.start
        rng = random.Random(3)
        times = []
        for _ in range(ZOOMS):
            width = span / 100
            lo = record.start + (span - width) * rng.random()
            window = Query(series=("meter",), fields=("value",), start=lo, end=lo + width)
            start = time.perf_counter()
            part = vs.query("meter", window)
            _encode(line("meter", part["ts"], part["value"], WIDTH_PX).plotly())
            times.append(time.perf_counter() - start)
        times.sort()
        return ChartRun(
            rows=frame.height,
            first_paint_s=first_paint_s,
            read_s=read_s,
            trace_bytes=size,
            zoom_p50_s=statistics.median(times),
            zoom_p95_s=times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
            bare_downsample_s=bare_s,
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
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--home", type=Path, default=HERE / "out" / "home-charts")
    args = parser.parse_args()
    print(describe(run_charts(args.home, args.rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""VarioSync benchmarks: ingest throughput, query latency, cleaning and profiling speed, server
latency and ingest memory, each beside baselines measured in the same run.

Usage: .venv/bin/python benchmarks/run.py [--rows N] [--big-csv-gb G] [--skip-big] [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).parent))

from cache_bench import HOURLY, CacheRun, run_cache
from chart_bench import FIRST_PAINT_S, TRACE_KIB, ZOOM_P95_S, ChartRun, run_charts
from clean_bench import CleanRun, run_clean
from generate import csv_rows_for_size, write_csv
from ingest_bench import Run, csv_ingest, parquet_ingest
from limiter_bench import TARGET_MS, LimiterRun, run_limiter
from memory_bench import MemoryRun, big_csv_ingest
from proc import BIN, measure
from query_bench import QueryRun, run_queries
from report import Row, mib, ms, rate, table, write_json
from server_bench import REQUESTS, ServerRun, run_server

HERE = Path(__file__).parent
DATA = HERE / "data"
OUT = HERE / "out"
GIB = 2**30
PARQUET_TARGET = 3e6


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the main dataset")
    parser.add_argument("--big-csv-gb", type=float, default=2.0, help="size of the memory CSV")
    parser.add_argument("--skip-big", action="store_true", help="skip the memory benchmark")
    parser.add_argument("--quick", action="store_true", help="1M rows and a 0.3 GB memory CSV")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.big_csv_gb = 1_000_000, 0.3
    return args


def _meta(args: argparse.Namespace) -> dict[str, Any]:
    packages = ("variosync", "polars", "deltalake", "duckdb", "pandas", "pyarrow")
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", "benchmarks/run.py", *sys.argv[1:]]),
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / GIB, 1),
        "python": platform.python_version(),
        "versions": {p: version(p) for p in packages},
        "rows": args.rows,
    }


def _ingest_rows(csv: list[Run], parquet: list[Run], csv_bytes: int) -> list[Row]:
    vs, polars, pandas, bare = csv
    section = f"CSV ingest, {vs.rows:,} rows, {mib(csv_bytes)}"
    ratio_pl = vs.rows_per_s / polars.rows_per_s
    ratio_pd = vs.rows_per_s / pandas.rows_per_s
    bare_pl = bare.rows_per_s / polars.rows_per_s
    pq_vs, pq_pl = parquet
    pq_section = f"Parquet ingest, {pq_vs.rows:,} rows"
    return [
        Row(section, "rows/s vs polars (with the new version's quality profile, the default)",
            rate(vs.rows_per_s), f"polars {rate(polars.rows_per_s)}", f"{ratio_pl:.2f}×",
            "≥ 0.8×", ratio_pl >= 0.8),
        Row(section, "rows/s vs polars (VARIOSYNC_PROFILE_ON_WRITE=false)",
            rate(bare.rows_per_s), f"polars {rate(polars.rows_per_s)}", f"{bare_pl:.2f}×",
            "≥ 0.8×", bare_pl >= 0.8),
        Row(section, "rows/s vs pandas", rate(vs.rows_per_s), f"pandas {rate(pandas.rows_per_s)}",
            f"{ratio_pd:.2f}×", "≥ 2×", ratio_pd >= 2.0),
        Row(section, "wall time (peak RSS)",
            f"{vs.measured.seconds:.1f} s ({mib(vs.measured.peak_rss)})",
            f"polars {polars.measured.seconds:.1f} s ({mib(polars.measured.peak_rss)}), "
            f"pandas {pandas.measured.seconds:.1f} s ({mib(pandas.measured.peak_rss)})",
            "", "", None),
        Row(pq_section, "rows/s", rate(pq_vs.rows_per_s), f"target {rate(PARQUET_TARGET)}",
            f"{pq_vs.rows_per_s / PARQUET_TARGET:.2f}×", "≥ 3 M rows/s",
            pq_vs.rows_per_s >= PARQUET_TARGET),
        Row(pq_section, "rows/s vs polars (same pipeline)", rate(pq_vs.rows_per_s),
            f"polars {rate(pq_pl.rows_per_s)}", f"{pq_vs.rows_per_s / pq_pl.rows_per_s:.2f}×",
            "", None),
    ]  # fmt: skip


def _query_rows(runs: list[QueryRun]) -> list[Row]:
    out = []
    for q in runs:
        best, best_s = q.best_baseline
        other, other_s = q.other_baseline
        out.append(
            Row(
                "Queries (warm, median of 21)",
                f"{q.name}: {q.description} ({q.rows:,} rows)",
                ms(q.variosync),
                f"{best} {ms(best_s)} ({other} {ms(other_s)})",
                f"{q.ratio:.2f}×",
                "≤ 1.3×",
                q.ratio <= 1.3,
            )
        )
    return out


def _clean_rows(run: CleanRun) -> list[Row]:
    section = f"Cleaning and profiling ({run.rows:,} points, Python API; recipe: median of 3)"
    return [
        Row(section, "five-step recipe (fill, outliers, derive, rolling, filter) + new version",
            f"{run.recipe_variosync:.2f} s", f"polars by hand {run.recipe_polars:.2f} s",
            f"{run.recipe_ratio:.2f}× speed", "≥ 0.8×", run.recipe_ratio >= 0.8),
        Row(section, "profile (steps, gaps, nulls, stats, outliers ×3, runs)",
            f"{run.profile_variosync:.2f} s", f"polars by hand {run.profile_polars:.2f} s",
            f"{run.profile_ratio:.2f}× speed", "≥ 0.8×", run.profile_ratio >= 0.8),
    ]  # fmt: skip


def _server_rows(run: ServerRun) -> list[Row]:
    section = f"Server (a real `variosync serve` on loopback; {REQUESTS} sequential requests)"
    api, http = run.python_api, run.http_arrow
    return [
        Row(section, f"{run.description} ({run.rows:,} rows), Arrow, API key: p95",
            ms(http.p95), f"Python API {ms(api.p95)}", f"{http.p95 / api.p95:.2f}×",
            "p95 ≤ 100 ms", http.p95 <= 0.1),
        Row(section, "the same: p50 / p99; requests/s (1 client; 4 clients)",
            f"{ms(http.p50)} / {ms(http.p99)}; {http.per_s:.0f}/s; {run.concurrent_per_s:.0f}/s",
            f"Python API {ms(api.p50)} / {ms(api.p99)}", f"{http.p50 / api.p50:.2f}×", "", None),
        Row(section, "the same as JSON: p95", ms(run.http_json.p95), f"Arrow {ms(http.p95)}",
            f"{run.http_json.p95 / http.p95:.2f}×", "", None),
        Row(section, "auth: API key lookup (in-process), p99", ms(run.auth_key.p99),
            f"no auth {ms(run.auth_none.p99)}", "", "≤ 0.5 ms", run.auth_key.p99 <= 0.0005),
        Row(section, "auth: Supabase JWT (HS256) + account, p99", ms(run.auth_jwt.p99),
            f"no auth {ms(run.auth_none.p99)}", "", "≤ 0.5 ms", run.auth_jwt.p99 <= 0.0005),
    ]  # fmt: skip


def _cache_rows(run: CacheRun) -> list[Row]:
    section = f"Query cache (a real server; {run.rows:,} points; medians of {run.runs} runs)"
    rows = []
    for name, f in run.figures.items():
        for backend in ("redis", "memory"):
            ratio = run.ratio(name, backend)
            target = name == HOURLY
            rows.append(
                Row(
                    section,
                    f"{name}: hit in {backend}",
                    f"{f[f'hit {backend}']:.1f} ms",
                    f"uncached {f['uncached']:.1f} ms",
                    f"{ratio:.1f}× faster",
                    "≥ 20× faster" if target else "",
                    ratio >= 20 if target else None,
                )
            )
    return rows


def _limiter_rows(run: LimiterRun) -> list[Row]:
    section = "Rate limiter (GET /api/v1/account on two real servers, limits on vs off)"
    on, off = run.with_limits, run.without_limits
    return [
        Row(section, "limits counted in Redis: p99 (p50)", f"{ms(on.p99)} ({ms(on.p50)})",
            f"limits off {ms(off.p99)} ({ms(off.p50)})", f"+{run.added_p99 * 1000:.2f} ms",
            f"≤ +{TARGET_MS:g} ms p99", run.added_p99 * 1000 <= TARGET_MS),
        Row(section, "the limiter's own work per request in Redis: p99 (p50)",
            f"{ms(run.spend_redis.p99)} ({ms(run.spend_redis.p50)})",
            f"in memory {ms(run.spend_memory.p99)}", "", "", None),
    ]  # fmt: skip


def _chart_rows(run: ChartRun) -> list[Row]:
    section = f"Chart data (the dashboard's request path, {run.rows:,}-point series, 1,600 px)"
    path, bare = run.path, run.bare_downsample_s
    paint_ok = path.cold_paint_s <= FIRST_PAINT_S and path.trace_bytes <= TRACE_KIB * 1024
    return [
        Row(section, "first paint, cold: server time to chart data", ms(path.cold_paint_s),
            f"bare tsdownsample {ms(bare)}", f"{path.cold_paint_s / bare:.1f}×",
            f"≤ {FIRST_PAINT_S:g} s, ≤ {TRACE_KIB} KiB/trace", paint_ok),
        Row(section, "trace size", f"{path.trace_bytes / 1024:.1f} KiB", "", "", "", None),
        Row(section, "zoom round trip, cold: p95", ms(path.zoom_cold_p95_s),
            f"bare tsdownsample p95 {ms(path.bare_zoom_p95_s)}",
            f"{path.zoom_cold_p95_s / path.bare_zoom_p95_s:.1f}×",
            f"≤ {ZOOM_P95_S * 1000:.0f} ms", path.zoom_cold_p95_s <= ZOOM_P95_S),
        Row(section, "first paint, warm (cache hit)", ms(path.warm_paint_s),
            f"bare tsdownsample {ms(bare)}", f"{path.warm_paint_s / bare:.2f}×", "", None),
    ]  # fmt: skip


def _memory_rows(run: MemoryRun) -> list[Row]:
    section = f"Memory: ingest of a {run.file_bytes / 1e9:.2f} GB CSV ({run.rows:,} rows)"
    peak = run.variosync.peak_rss
    return [
        Row(section, "peak RSS vs file size", mib(peak), f"file {mib(run.file_bytes)}",
            f"{peak / run.file_bytes:.2f}×", "< 1 GiB", peak < GIB),
        Row(section, "peak RSS vs polars sink_parquet", mib(peak),
            f"polars {mib(run.polars_sink.peak_rss)}", f"{peak / run.polars_sink.peak_rss:.2f}×",
            "", None),
        Row(section, "wall time", f"{run.variosync.seconds:.1f} s "
            f"({run.rows / run.variosync.seconds / 1e6:.2f} M rows/s)",
            f"polars sink {run.polars_sink.seconds:.1f} s (no dedupe/sort)", "", "", None),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    meta = _meta(args)
    print(f"{meta['cores']} cores, {meta['memory_gib']} GiB RAM, Python {meta['python']}")
    print(", ".join(f"{k} {v}" for k, v in meta["versions"].items()))
    scratch = OUT / "scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    csv, parquet = DATA / f"sensors_{args.rows}.csv", DATA / f"sensors_{args.rows}.parquet"
    print(f"generating {args.rows:,} rows → {csv} (reused if present)", flush=True)
    rows = write_csv(csv, args.rows, parquet)
    raw: dict[str, Any] = {}
    startup = measure([str(BIN / "variosync"), "--version"])
    raw["cli_startup_s"] = startup.seconds

    print("CSV ingest …", flush=True)
    home = OUT / "home-csv"
    csv_runs = csv_ingest(csv, rows, home, scratch)
    print("Parquet ingest …", flush=True)
    pq_runs = parquet_ingest(parquet, rows, OUT / "home-parquet", scratch)
    raw["csv_ingest"] = [asdict(r) | {"rows_per_s": r.rows_per_s} for r in csv_runs]
    raw["parquet_ingest"] = [asdict(r) | {"rows_per_s": r.rows_per_s} for r in pq_runs]
    table_rows = _ingest_rows(csv_runs, pq_runs, csv.stat().st_size)

    print("queries …", flush=True)
    queries = run_queries(home, "bench")
    raw["queries"] = [asdict(q) for q in queries]
    table_rows += _query_rows(queries)

    print("cleaning and profiling …", flush=True)
    cleaning = run_clean(home, "bench", rows, scratch)
    raw["cleaning"] = asdict(cleaning)
    table_rows += _clean_rows(cleaning)

    print("server …", flush=True)
    server = run_server(OUT / "home-server", parquet)
    raw["server"] = asdict(server)
    table_rows += _server_rows(server)

    print("query cache …", flush=True)
    cache = run_cache(OUT / "home-server", parquet, rows)
    raw["cache"] = asdict(cache)
    table_rows += _cache_rows(cache)

    print("rate limiter …", flush=True)
    limiter = run_limiter(scratch / "home-limiter")
    raw["limiter"] = asdict(limiter)
    table_rows += _limiter_rows(limiter)

    print("chart data …", flush=True)
    charts = run_charts(OUT / "home-charts", 10_000_000 if not args.quick else 1_000_000)
    raw["charts"] = asdict(charts)
    table_rows += _chart_rows(charts)

    if not args.skip_big:
        big_rows = csv_rows_for_size(args.big_csv_gb)
        big = DATA / f"big_{args.big_csv_gb:g}gb.csv"
        print(f"generating a {args.big_csv_gb:g} GB CSV → {big} (reused if present)", flush=True)
        big_rows = write_csv(big, big_rows)
        print("memory …", flush=True)
        memory = big_csv_ingest(big, big_rows, OUT / "home-big", scratch)
        raw["memory"] = asdict(memory)
        table_rows += _memory_rows(memory)

    shutil.rmtree(scratch, ignore_errors=True)
    print(f"\nvariosync CLI start-up (--version): {startup.seconds:.2f} s (inside ingest times)")
    print(table(table_rows))
    write_json(OUT / "results.json", meta, raw, table_rows)
    print(f"\nresults: {OUT / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

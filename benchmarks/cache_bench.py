"""Query cache: an hourly aggregate over the 10M-point dataset through a real ``variosync serve``
process, uncached beside cached (Redis, and the in-process cache), medians of several runs.

Uncached is a server with ``VARIOSYNC_CACHE_TTL_S=0`` (every request computes). A miss is the
cached server with its Redis flushed before each request (compute, serialise, store). A hit is
the same request again. Each server runs alone (the machine may have 2 cores); all read the
same home, and every cached answer is checked byte for byte against the uncached one.

The hourly means of every series are 167k rows (10 MB as Arrow, 20 MB as JSON): a hit still
encodes and sends them (about 6 ms for Arrow, 150 ms for JSON, plus ~20 ms per 10 MB on
loopback), which bounds their ratio whatever the cache does; the aggregates and a chart's one
series are small answers.

Standalone: .venv/bin/python benchmarks/cache_bench.py [--rows N] [--runs N]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import polars as pl
import redis
from polars.testing import assert_frame_equal

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from generate import write_csv  # noqa: E402
from redis_proc import redis_server  # noqa: E402
from server_bench import _free_port, _wait, prepare  # noqa: E402

TARGET = 20.0
HOURLY = "aggregates every=1h (JSON)"
"""The request the issue's target is for: points and series per hour over 10M points."""
REQUESTS = {
    "aggregates every=1h (JSON)": ("/datasets/bench/aggregates", {"every": "1h"}),
    "query every=1h agg=mean (Arrow)": (
        "/datasets/bench/query",
        {"every": "1h", "agg": "mean", "format": "arrow"},
    ),
    "query every=1h agg=mean (JSON)": (
        "/datasets/bench/query",
        {"every": "1h", "agg": "mean", "format": "json"},
    ),
    "query … one series (JSON, a chart)": (
        "/datasets/bench/query",
        {"every": "1h", "agg": "mean", "series": "sensor-0500"},
    ),
}
DECODE: dict[str, Callable[[bytes], pl.DataFrame]] = {
    "json": lambda body: pl.DataFrame(json.loads(body)),
    "arrow": lambda body: pl.read_ipc_stream(io.BytesIO(body)),
}
"""How an answer is compared: its rows (an Arrow stream may be cut into batches differently;
a mean summed by other threads may differ in its last bit)."""


@dataclass(frozen=True)
class Timing:
    """Median seconds of one request on one server, and its body (to compare)."""

    seconds: float
    body: bytes


@contextmanager
def serve(home: Path, **env: str) -> Iterator[httpx.Client]:
    """A ``variosync serve`` process over ``home`` with these settings; a client of its API."""
    port = _free_port()
    settings = dict(os.environ)
    for name in ("REDIS_URL", "VARIOSYNC_REDIS_URL", "VARIOSYNC_CACHE_TTL_S"):
        settings.pop(name, None)
    settings |= {
        "VARIOSYNC_HOME": str(home),
        "VARIOSYNC_ENFORCE_PAYMENT": "false",
        "VARIOSYNC_RATE_LIMITS": "false",
    } | env
    command = [sys.executable, "-m", "variosync", "serve", "--port", str(port)]
    server = subprocess.Popen([*command, "--log-level", "warning"], env=settings)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base)
        with httpx.Client(base_url=base + "/api/v1", timeout=300) as http:
            yield http
    finally:
        server.terminate()
        server.wait(timeout=30)


def median(
    fn: Callable[[], bytes], runs: int, before: Callable[[], object] = lambda: None
) -> Timing:
    """The median time of ``runs`` calls (``before`` runs untimed ahead of each)."""
    times, body = [], b""
    for _ in range(runs):
        before()
        start = time.perf_counter()
        body = fn()
        times.append(time.perf_counter() - start)
    return Timing(statistics.median(times), body)


def measure(
    http: httpx.Client, key: str, runs: int, flush: Callable[[], object] | None = None
) -> dict[str, dict[str, Timing]]:
    """Per request: ``first`` (nothing cached yet), and either ``repeat`` (the same request
    again: hits on a cached server) or with ``flush``, also ``miss`` (cache emptied first)."""
    headers = {"Authorization": f"Bearer {key}"}
    found: dict[str, dict[str, Timing]] = {}
    for name, (path, params) in REQUESTS.items():

        def get(path: str = path, params: dict[str, str] = params) -> bytes:
            response = http.get(path, params=params, headers=headers)
            response.raise_for_status()
            return response.content

        timings = {"first": median(get, 1, flush or (lambda: None))}
        if flush is not None:
            timings["miss"] = median(get, runs, flush)
        timings["repeat"] = median(get, runs)
        found[name] = timings
    return found


@dataclass(frozen=True)
class CacheRun:
    """Median milliseconds per request: uncached, a miss and a hit in Redis, a hit in memory."""

    rows: int
    runs: int
    figures: dict[str, dict[str, float]]

    def ratio(self, name: str, backend: str) -> float:
        return self.figures[name]["uncached"] / self.figures[name][f"hit {backend}"]


def run_cache(home: Path, parquet: Path, rows: int, runs: int = 7) -> CacheRun:
    """Measure every request on the three servers, one after the other, and check that each
    cached answer equals the uncached one."""
    _, key = prepare(home, parquet)
    print("uncached server (VARIOSYNC_CACHE_TTL_S=0) …", flush=True)
    with serve(home, VARIOSYNC_CACHE_TTL_S="0") as http:
        uncached = measure(http, key, runs)
    with redis_server() as url:
        print("cached server, Redis …", flush=True)
        flush = redis.Redis.from_url(url).flushdb
        with serve(home, REDIS_URL=url) as http:
            in_redis = measure(http, key, runs, flush)
    print("cached server, in-process …", flush=True)
    with serve(home) as http:
        in_memory = measure(http, key, runs)
    figures: dict[str, dict[str, float]] = {}
    for name in REQUESTS:
        base = uncached[name]["repeat"]
        decode = DECODE[REQUESTS[name][1].get("format", "json")]
        hit_redis, hit_memory = in_redis[name]["repeat"], in_memory[name]["repeat"]
        for cached in (in_redis[name]["miss"], hit_redis, hit_memory):
            assert_frame_equal(decode(cached.body), decode(base.body))
        figures[name] = {
            "uncached": base.seconds * 1000,
            "miss": in_redis[name]["miss"].seconds * 1000,
            "hit redis": hit_redis.seconds * 1000,
            "hit memory": hit_memory.seconds * 1000,
        }
    return CacheRun(rows, runs, figures)


def describe(run: CacheRun) -> str:
    lines = [
        f"{run.rows:,} points, 1,000 series; medians of {run.runs} runs, in ms",
        f"{'request':<34}{'uncached':>10}{'miss':>10}{'hit Redis':>11}{'hit memory':>12}"
        f"{'Redis ×':>9}{'memory ×':>10}",
    ]
    for name, f in run.figures.items():
        lines.append(
            f"{name:<34}{f['uncached']:>10.1f}{f['miss']:>10.1f}{f['hit redis']:>11.1f}"
            f"{f['hit memory']:>12.1f}{run.ratio(name, 'redis'):>8.1f}×"
            f"{run.ratio(name, 'memory'):>9.1f}×"
        )
    lines.append(f"target: the hourly aggregate ≥ {TARGET:g}× faster from the cache")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=7, help="timed runs per figure (median)")
    parser.add_argument("--home", type=Path, default=HERE / "out" / "home-cache")
    args = parser.parse_args()
    data = HERE / "data"
    csv, parquet = data / f"sensors_{args.rows}.csv", data / f"sensors_{args.rows}.parquet"
    if not parquet.exists():
        write_csv(csv, args.rows, parquet)
    print(describe(run_cache(args.home, parquet, args.rows, args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

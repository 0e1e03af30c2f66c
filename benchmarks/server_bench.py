"""Server latency: a one-month (or middle-third) range query of one series through a real
``variosync serve`` process on loopback, beside the same query through the Python API in the
same run; and what authentication adds per request (API key, session, Supabase HS256 JWT).

Standalone: .venv/bin/python benchmarks/server_bench.py [--parquet FILE]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt

from variosync import Query, Settings, Variosync
from variosync.accounts import Accounts
from variosync.accounts.supabase import SupabaseIdentity, SupabaseVerifier
from variosync.model import IngestOptions

HERE = Path(__file__).parent
SERIES = "sensor-0500"
REQUESTS = 300
AUTH_CALLS = 3000
BENCH_SUB = "6f1c2a52-benchmark-user"
JWT_SECRET = "benchmark-only-secret-of-enough-length-0123456789"


@dataclass(frozen=True)
class Latency:
    """Percentiles of one measured loop, in seconds."""

    p50: float
    p95: float
    p99: float
    per_s: float


@dataclass(frozen=True)
class ServerRun:
    """Everything the server benchmark measured."""

    description: str
    rows: int
    python_api: Latency
    http_arrow: Latency
    http_json: Latency
    http_jwt: Latency
    concurrent_per_s: float
    auth_key: Latency
    auth_jwt: Latency
    auth_none: Latency


def _percentiles(times: list[float]) -> Latency:
    ordered = sorted(times)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return Latency(at(0.50), at(0.95), at(0.99), len(times) / sum(times))


def _timed(fn: Callable[[], object], repeats: int) -> Latency:
    for _ in range(5):  # warm-up: imports, page cache, connection
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return _percentiles(times)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not become ready")


def prepare(home: Path, parquet: Path) -> tuple[str, str]:
    """A user owning dataset ``bench`` (ingested from ``parquet`` once; reused) and an API
    key; returns (user id, key)."""
    settings = Settings(home=home)
    with Variosync(settings) as vs:
        accounts = Accounts(vs.engine)
        # a Supabase user, so that the same account signs in by API key and by JWT
        user = accounts.supabase_user(SupabaseIdentity(BENCH_SUB, "bench@example.com")).user
        mine = vs.as_owner(user.id)
        if "bench" not in {d.name for d in mine.datasets()}:
            print(f"ingesting {parquet} as the benchmark user …", flush=True)
            mine.ingest([parquet], "bench", IngestOptions())
        _, key = accounts.create_key(user, "benchmark")
    return user.id, key


def run_server(home: Path, parquet: Path) -> ServerRun:
    """Measure the query through the Python API, then through a server process."""
    user_id, key = prepare(home, parquet)
    settings = Settings(home=home)
    with Variosync(settings) as vs:
        mine = vs.as_owner(user_id)
        record = mine.catalog.get("bench")
        assert record.start is not None and record.end is not None
        lo, hi, what = _window(record.start, record.end)
        query = Query(series=(SERIES,), start=lo, end=hi)
        rows = mine.query("bench", query).height
        python_api = _timed(lambda: mine.query("bench", query), REQUESTS)
        auth_key, auth_jwt, auth_none = _auth_costs(vs, key, user_id)

    port = _free_port()
    env = dict(os.environ)
    env.update(
        VARIOSYNC_HOME=str(home),
        SUPABASE_JWT_SECRET=JWT_SECRET,
        VARIOSYNC_ENFORCE_PAYMENT="false",
        VARIOSYNC_RATE_LIMITS="false",  # hundreds of queries a minute; limiter_bench.py costs it
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "variosync", "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base)
        params = {
            "series": SERIES,
            "start": lo.isoformat(),
            "end": hi.isoformat(),
        }
        token = _token()
        with httpx.Client(base_url=base + "/api/v1", timeout=30) as http:
            key_headers = {"Authorization": f"Bearer {key}"}

            def get(fmt: str, headers: dict[str, str]) -> None:
                response = http.get(
                    "/datasets/bench/query", params=params | {"format": fmt}, headers=headers
                )
                response.raise_for_status()

            http_arrow = _timed(lambda: get("arrow", key_headers), REQUESTS)
            http_json = _timed(lambda: get("json", key_headers), REQUESTS)
            jwt_headers = {"Authorization": f"Bearer {token}"}
            http_jwt = _timed(lambda: get("arrow", jwt_headers), REQUESTS)
        concurrent = _concurrent(base, params, key)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return ServerRun(
        f"one series, all fields, {what}",
        rows,
        python_api,
        http_arrow,
        http_json,
        http_jwt,
        concurrent,
        auth_key,
        auth_jwt,
        auth_none,
    )


def _window(start: datetime, end: datetime) -> tuple[datetime, datetime, str]:
    span = end - start
    if span >= timedelta(days=60):
        middle = start + span / 2
        return middle - timedelta(days=15), middle + timedelta(days=15), "one month"
    return start + span / 3, start + 2 * span / 3, "middle third of the range"


def _token() -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": BENCH_SUB,
        "email": "bench@example.com",
        "aud": "authenticated",
        "exp": now + timedelta(hours=1),
        "iat": now,
    }
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


def _auth_costs(vs: Variosync, key: str, user_id: str) -> tuple[Latency, Latency, Latency]:
    """What the auth dependency does per request, in-process: resolve an API key (hash +
    one indexed lookup + the user) or verify a JWT and find its user; beside doing nothing."""
    accounts = Accounts(vs.engine)
    verifier = SupabaseVerifier(Settings(home=vs.settings.home, supabase_jwt_secret=JWT_SECRET))
    token = _token()

    def by_jwt() -> None:
        identity: SupabaseIdentity = verifier.verify(token)
        accounts.supabase_user(identity)

    return (
        _timed(lambda: accounts.authenticate(key), AUTH_CALLS),
        _timed(by_jwt, AUTH_CALLS),
        _timed(lambda: None, AUTH_CALLS),
    )


def _concurrent(base: str, params: dict[str, str], key: str, clients: int = 4) -> float:
    """Requests per second with ``clients`` keep-alive clients in parallel."""
    per_client = REQUESTS // clients

    def loop(_: int) -> None:
        with httpx.Client(base_url=base + "/api/v1", timeout=30) as http:
            for _ in range(per_client):
                http.get(
                    "/datasets/bench/query",
                    params=params | {"format": "arrow"},
                    headers={"Authorization": f"Bearer {key}"},
                ).raise_for_status()

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(loop, range(clients)))
    return per_client * clients / (time.perf_counter() - start)


def describe(run: ServerRun) -> str:
    """A plain-text summary (the table rows live in run.py)."""

    def line(name: str, lat: Latency) -> str:
        return (
            f"{name:<34} p50 {lat.p50 * 1000:7.2f} ms  p95 {lat.p95 * 1000:7.2f} ms  "
            f"p99 {lat.p99 * 1000:7.2f} ms  {lat.per_s:8.1f}/s"
        )

    return "\n".join(
        [
            f"server query: {run.description} ({run.rows} rows)",
            line("Python API", run.python_api),
            line("HTTP, Arrow IPC, API key", run.http_arrow),
            line("HTTP, JSON, API key", run.http_json),
            line("HTTP, Arrow IPC, Supabase JWT", run.http_jwt),
            f"{'HTTP, 4 concurrent clients':<34} {run.concurrent_per_s:.1f} requests/s",
            line("auth: API key (in-process)", run.auth_key),
            line("auth: Supabase JWT (in-process)", run.auth_jwt),
            line("auth: nothing (loop overhead)", run.auth_none),
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--home", type=Path, default=HERE / "out" / "home-server")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from generate import write_csv

    data = HERE / "data"
    csv, parquet = data / f"sensors_{args.rows}.csv", data / f"sensors_{args.rows}.parquet"
    if not parquet.exists():
        write_csv(csv, args.rows, parquet)
    print(describe(run_server(args.home, parquet)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

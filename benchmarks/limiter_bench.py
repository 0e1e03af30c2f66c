"""What rate limiting costs a request: the same authenticated endpoint (``GET /api/v1/account``
by API key) on two real ``variosync serve`` processes over one home — one with rate limits
counted in Redis, one with limits off — measured in alternating blocks, and the limiter's own
work per request (an address budget and an account budget) timed in-process, in Redis and in
memory.

Standalone: .venv/bin/python benchmarks/limiter_bench.py
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).parent))

from redis_proc import free_port, redis_server
from server_bench import Latency, _percentiles, _wait

from variosync import Settings, Variosync
from variosync.accounts import Accounts
from variosync.api.ratelimit import Policy, RateLimiter
from variosync.catalog.users import Role
from variosync.redis_link import RedisLink

BLOCKS = 10
PER_BLOCK = 200
SPENDS = 5000
TARGET_MS = 2.0


@dataclass(frozen=True)
class LimiterRun:
    """What the limiter benchmark measured (seconds)."""

    with_limits: Latency
    without_limits: Latency
    spend_redis: Latency
    spend_memory: Latency

    @property
    def added_p99(self) -> float:
        return self.with_limits.p99 - self.without_limits.p99


def _serve(home: Path, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    full = dict(os.environ, VARIOSYNC_HOME=str(home), **env)
    process = subprocess.Popen(
        [sys.executable, "-m", "variosync", "serve", "--port", str(port), "--log-level", "warning"],
        env=full,
    )
    return process, f"http://127.0.0.1:{port}"


def _requests(base: str, key: str, count: int, into: list[float]) -> None:
    with httpx.Client(base_url=base + "/api/v1", timeout=10) as http:
        headers = {"Authorization": f"Bearer {key}"}
        for _ in range(count):
            start = time.perf_counter()
            http.get("/account", headers=headers).raise_for_status()
            into.append(time.perf_counter() - start)


def _through_servers(home: Path, redis_url: str, key: str) -> tuple[Latency, Latency]:
    generous = "other=1000000/minute"  # counted and checked on every request, never refused
    limited, with_url = _serve(
        home,
        REDIS_URL=redis_url,
        VARIOSYNC_RATE_LIMITS_USER=generous,
        VARIOSYNC_RATE_LIMITS_IP=generous,
    )
    plain, without_url = _serve(home, VARIOSYNC_RATE_LIMITS="false")
    try:
        _wait(with_url)
        _wait(without_url)
        with_times: list[float] = []
        without_times: list[float] = []
        _requests(with_url, key, 50, [])  # warm-up
        _requests(without_url, key, 50, [])
        for _ in range(BLOCKS):
            _requests(with_url, key, PER_BLOCK, with_times)
            _requests(without_url, key, PER_BLOCK, without_times)
        return _percentiles(with_times), _percentiles(without_times)
    finally:
        for process in (limited, plain):
            process.terminate()
            process.wait(timeout=20)


async def _spends(limiter: RateLimiter) -> Latency:
    times = []
    for n in range(SPENDS + 100):
        start = time.perf_counter()
        await limiter.spend("ip", "192.0.2.1", "other")
        await limiter.spend("user", "bench-user", "other")
        if n >= 100:
            times.append(time.perf_counter() - start)
    return _percentiles(times)


def _in_process(redis_url: str) -> tuple[Latency, Latency]:
    policy = Policy.from_settings(
        Settings(rate_limits_user="other=1000000/minute", rate_limits_ip="other=1000000/minute")
    )
    in_redis = RateLimiter(policy, RedisLink(SecretStr(redis_url)))
    in_memory = RateLimiter(policy, RedisLink(None))
    return asyncio.run(_spends(in_redis)), asyncio.run(_spends(in_memory))


def run_limiter(home: Path) -> LimiterRun:
    """Measure everything, with a private redis-server."""
    with Variosync(Settings(home=home)) as vs:
        accounts = Accounts(vs.engine)
        email = "limiter-bench@example.com"
        user = accounts.users.by_email(email) or accounts.register(email, "passphrase!", Role.USER)
        _, key = accounts.create_key(user, "benchmark")
    with redis_server() as url:
        with_limits, without_limits = _through_servers(home, url, key)
        spend_redis, spend_memory = _in_process(url)
    return LimiterRun(with_limits, without_limits, spend_redis, spend_memory)


def describe(run: LimiterRun) -> str:
    def line(name: str, lat: Latency) -> str:
        return f"  {name:<44} p50 {lat.p50 * 1e3:6.2f} ms   p99 {lat.p99 * 1e3:6.2f} ms"

    verdict = "met" if run.added_p99 * 1e3 <= TARGET_MS else "MISSED"
    return "\n".join(
        [
            f"GET /api/v1/account by API key, {BLOCKS}×{PER_BLOCK} per server, alternating:",
            line("limits on, counted in Redis", run.with_limits),
            line("limits off (baseline)", run.without_limits),
            f"  the limiter adds {run.added_p99 * 1e3:.2f} ms at p99 "
            f"(target ≤ {TARGET_MS:g} ms: {verdict}); ratio of p99s "
            f"{run.with_limits.p99 / run.without_limits.p99:.2f}×",
            f"The limiter's own work per request (address + account budget), {SPENDS} requests:",
            line("in Redis", run.spend_redis),
            line("in memory (no Redis)", run.spend_memory),
        ]
    )


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="vs-limiter-") as tmp:
        print(describe(run_limiter(Path(tmp))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""No request fails because of Redis: two real ``variosync serve`` processes share one Redis
(a redis-server of the test's own, with a password) for sessions, rate limits, the cache and
events; the test stops Redis mid-run, keeps using both servers, starts Redis again and sees
them use it without a restart — and a server that starts while Redis is down. The password
never appears in what the servers log or answer."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.api.test_e2e import _env
from tests.api.test_events_api import Follower
from tests.services import RedisProcess, free_port, wait_for_port

pytestmark = pytest.mark.slow

SAMPLE = Path(__file__).parents[2] / "src" / "variosync" / "samples" / "sensors.csv"
ACCOUNT = {"email": "lin@example.com", "password": "a long passphrase"}


@contextmanager
def serving(home: Path, log: Path, redis_url: str) -> Iterator[httpx.Client]:
    """``variosync serve`` with Redis, its output in ``log``; a client for its API."""
    port = free_port()
    env = _env(home, REDIS_URL=redis_url, VARIOSYNC_REDIS_RETRY_S="0.3")
    with log.open("a") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "variosync", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        assert wait_for_port(port, timeout=60), log.read_text()[-2000:]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        process.terminate()
        process.wait(timeout=20)


def _upload(client: httpx.Client, headers: dict[str, str]) -> None:
    with SAMPLE.open("rb") as handle:
        files = {"files": ("sensors.csv", handle, "text/csv")}
        answer = client.post("/api/v1/datasets/sensors/upload", files=files, headers=headers)
    assert answer.status_code == 200, answer.text


def _work(client: httpx.Client, headers: dict[str, str]) -> None:
    """What a user does; every answer must be a success."""
    for path, params in (
        ("/api/v1/account", {}),
        ("/api/v1/account/limits", {}),
        ("/api/v1/datasets", {}),
        ("/api/v1/datasets/sensors/aggregates", {"every": "1h"}),
        ("/api/v1/datasets/sensors/aggregates", {"every": "1h"}),
        ("/api/v1/datasets/sensors/query", {"every": "1h", "agg": "mean", "format": "csv"}),
    ):
        answer = client.get(path, params=params, headers=headers)
        assert answer.status_code == 200, (path, answer.status_code, answer.text)
        assert "x-ratelimit-remaining" in answer.headers


def _ready(client: httpx.Client) -> str:
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.text
    assert "127.0.0.1" not in answer.text
    return str(answer.json()["status"])


def _counted_in(client: httpx.Client, headers: dict[str, str]) -> str:
    return str(client.get("/api/v1/account/limits", headers=headers).json()["counted_in"])


def _eventually(check: object, expected: str, within: float = 10.0) -> None:
    assert callable(check)
    deadline = time.monotonic() + within
    while (found := check()) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    assert found == expected


def test_two_servers_lose_redis_and_get_it_back(tmp_path: Path, redis_server: RedisProcess) -> None:
    home, log = tmp_path / "home", tmp_path / "servers.log"
    with serving(home, log, redis_server.url) as one, serving(home, log, redis_server.url) as two:
        assert one.post("/api/v1/auth/register", json=ACCOUNT).status_code == 201
        token = two.post("/api/v1/auth/login", json=ACCOUNT).json()["token"]
        session = {"Authorization": f"Bearer {token}"}
        assert one.get("/api/v1/account", headers=session).status_code == 200
        follower = Follower(str(two.base_url), session)
        _upload(one, session)
        assert follower.next()["data"]["data"]["action"] == "upload"
        _work(one, session)
        assert _counted_in(two, session) == "redis"
        assert _ready(one) == "ready"

        redis_server.stop()
        for client in (one, two, one):
            _work(client, session)  # the session is still good, the cache bypassed
        _upload(two, session)
        assert follower.next()["data"]["data"]["action"] == "upload"  # same process
        relogin = one.post("/api/v1/auth/login", json=ACCOUNT)
        assert relogin.status_code == 200
        assert _counted_in(one, session) == "memory"
        assert _ready(one) == "degraded: redis"
        assert _ready(two) == "degraded: redis"

        redis_server.start()
        _eventually(lambda: _ready(one), "ready")
        _eventually(lambda: _ready(two), "ready")
        _eventually(lambda: _counted_in(one, session), "redis")
        _work(two, session)
        # a change on one server reaches the follower on the other through Redis again
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            _upload(one, session)
            if not follower.nothing(within=1.0):
                break
        else:
            pytest.fail("events did not come through Redis again after it returned")
        fresh = {"Authorization": f"Bearer {relogin.json()['token']}"}
        assert two.get("/api/v1/account", headers=fresh).status_code == 200
        follower.stop()
    text = log.read_text()
    assert "Redis at redis://:***@127.0.0.1" in text  # the outage was logged, masked
    assert redis_server.password is not None and redis_server.password not in text


def test_a_server_starting_without_redis_serves_and_picks_it_up(tmp_path: Path) -> None:
    later = RedisProcess(password="not-started-yet-pw")
    with serving(tmp_path / "home", tmp_path / "server.log", later.url) as server:
        assert server.post("/api/v1/auth/register", json=ACCOUNT).status_code == 201
        token = server.post("/api/v1/auth/login", json=ACCOUNT).json()["token"]
        session = {"Authorization": f"Bearer {token}"}
        _upload(server, session)
        _work(server, session)
        assert _ready(server) == "degraded: redis"
        later.start()
        try:
            _eventually(lambda: _ready(server), "ready")
            _eventually(lambda: _counted_in(server, session), "redis")
            _work(server, session)
        finally:
            later.stop()
    assert "not-started-yet-pw" not in (tmp_path / "server.log").read_text()

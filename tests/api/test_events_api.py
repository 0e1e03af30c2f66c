"""``GET /api/v1/events`` through real servers: a follower sees the changes that user makes
through the API, another user sees none of them, and with Redis a change made through one
server process reaches a follower on another. A stream ends (``signed-out``) once its
credential stops signing in — logout, a disabled account, a revoked key — and one user holds at
most ``MAX_STREAMS`` of them in a process."""

from __future__ import annotations

import json
import logging
import queue
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi.testclient import TestClient

from tests.api.conftest import PASSWORD, Account, assert_error, make_settings, signup
from tests.api.test_e2e import serving as serving_process
from tests.api.test_streaming import serving as serving_app
from tests.api.test_streaming import wait_for
from tests.services import RedisProcess
from variosync.api import create_app
from variosync.api.deps import Services
from variosync.api.routes import events as events_route
from variosync.catalog.users import Role
from variosync.events import DatasetAction, dataset_changed

SAMPLE = Path(__file__).parents[2] / "src" / "variosync" / "samples" / "sensors.csv"
QUIET_S = 1.0


class Follower:
    """Reads ``/api/v1/events`` in a thread: the events as dicts (``event``, ``id``, ``data``)
    on a queue. Ready once the stream's first comment came; stopped by shutting its socket."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.comments = 0
        self.ready = threading.Event()
        self._socket: socket.socket | None = None
        self._thread = threading.Thread(target=self._read, args=(base, headers), daemon=True)
        self._thread.start()
        assert self.ready.wait(15), "the stream did not open"

    def _read(self, base: str, headers: dict[str, str]) -> None:
        fields: dict[str, Any] = {}
        try:
            with (
                httpx.Client(base_url=base, timeout=httpx.Timeout(5, read=None)) as client,
                client.stream("GET", "/api/v1/events", headers=headers) as response,
            ):
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/event-stream")
                stream = response.extensions["network_stream"]
                self._socket = stream.get_extra_info("socket")
                for line in response.iter_lines():
                    if line.startswith(":"):
                        self.comments += 1
                        self.ready.set()
                    elif line:
                        name, _, value = line.partition(": ")
                        fields[name] = json.loads(value) if name == "data" else value
                    elif fields:
                        self.events.put(fields)
                        fields = {}
        except httpx.HTTPError:
            pass  # stopped

    def next(self, within: float = 10.0) -> dict[str, Any]:
        return self.events.get(timeout=within)

    def nothing(self, within: float = QUIET_S) -> bool:
        try:
            self.events.get(timeout=within)
        except queue.Empty:
            return True
        return False

    def ends(self, within: float = 10.0) -> bool:
        """Whether the server ended the stream (the response is complete) within ``within`` s."""
        self._thread.join(within)
        return not self._thread.is_alive()

    def stop(self) -> None:
        if self._socket is not None:
            self._socket.shutdown(socket.SHUT_RDWR)
        self._thread.join(10)
        assert not self._thread.is_alive()


def upload(http: httpx.Client, account: Account, name: str) -> httpx.Response:
    with SAMPLE.open("rb") as handle:
        return http.post(
            f"/api/v1/datasets/{name}/upload",
            files={"files": ("sensors.csv", handle, "text/csv")},
            headers=account.headers,
        )


@pytest.fixture
def heartbeat(monkeypatch: pytest.MonkeyPatch) -> None:
    """Heartbeats, and checks of a stream's credential, every 0.2 s."""
    monkeypatch.setattr(events_route, "HEARTBEAT_S", 0.2)
    monkeypatch.setattr(events_route, "RECHECK_S", 0.2)


@contextmanager
def serving(home: Path, **overrides: object) -> Iterator[tuple[str, Services]]:
    """uvicorn in a thread, its lifespan included (which closes the Redis clients), on a free
    loopback port; its URL and services."""
    app = create_app(make_settings(home, enforce_payment=False, **overrides))
    with serving_app(app, lifespan="on") as url:
        yield url, app.state.services


@pytest.fixture
def server(tmp_path: Path, redis_url: str, heartbeat: None) -> Iterator[tuple[str, Services]]:
    """A server (with Redis) and its services."""
    with serving(tmp_path / "home", redis_url=redis_url) as running:
        yield running


def test_a_follower_sees_each_change_of_their_datasets_and_no_one_else_does(
    server: tuple[str, Services], redis_url: str
) -> None:
    url, shared = server
    with httpx.Client(base_url=url, timeout=60) as http:
        ada, bob = signup(http), signup(http)  # type: ignore[arg-type]
        ada_follows, bob_follows = Follower(url, ada.headers), Follower(url, bob.headers)
        assert shared.events.subscribers == 2
        with redis.Redis.from_url(redis_url) as raw:
            assert raw.execute_command("PUBSUB", "NUMPAT") == 1

        def expect(action: str, version: int | None, dataset: str = "sensors") -> None:
            got = ada_follows.next()
            assert got["event"] == "dataset.changed" and got["id"] == got["data"]["id"]
            assert got["data"]["owner"] == ada.id
            assert got["data"]["data"] == {
                "dataset": dataset,
                "action": action,
                "version": version,
            }

        created = http.post("/api/v1/datasets", json={"name": "empty"}, headers=ada.headers)
        assert created.status_code == 201, created.text
        expect("create", created.json()["version"], "empty")
        uploaded = upload(http, ada, "sensors")
        assert uploaded.status_code == 200, uploaded.text
        expect("upload", uploaded.json()["version"])

        recipe = {"recipe": [{"op": "drop_duplicates"}]}
        dry = http.post(
            "/api/v1/datasets/sensors/clean", json=recipe | {"dry_run": True}, headers=ada.headers
        )
        assert dry.status_code == 200, dry.text
        cleaned = http.post("/api/v1/datasets/sensors/clean", json=recipe, headers=ada.headers)
        assert cleaned.status_code == 200, cleaned.text
        expect("clean", cleaned.json()["version"])  # the dry run sent nothing
        restored = http.post(
            "/api/v1/datasets/sensors/restore",
            json={"version": uploaded.json()["version"]},
            headers=ada.headers,
        )
        assert restored.status_code == 200, restored.text
        expect("restore", restored.json()["version"])
        deleted = http.delete("/api/v1/datasets/sensors", headers=ada.headers)
        assert deleted.status_code == 204, deleted.text
        expect("delete", None)

        assert ada_follows.nothing()
        assert bob_follows.nothing(0)
        assert bob_follows.comments >= 2  # heartbeats while nothing happened

        ada_follows.stop()
        bob_follows.stop()
        # the server unsubscribed, from Redis too
        assert wait_for(lambda: shared.events.subscribers == 0)
        with redis.Redis.from_url(redis_url) as raw:
            assert wait_for(lambda: raw.execute_command("PUBSUB", "NUMPAT") == 0)


def test_following_needs_a_sign_in(client: TestClient) -> None:
    assert_error(client.get("/api/v1/events"), 401, "unauthenticated")
    refused = client.get("/api/v1/events", headers={"Authorization": "Bearer vs_not_a_key"})
    assert_error(refused, 401, "unauthenticated")


def test_without_redis_a_server_still_streams_its_own_events(
    tmp_path: Path, heartbeat: None
) -> None:
    with serving(tmp_path / "home") as (url, shared), httpx.Client(base_url=url) as http:
        ada = signup(http)  # type: ignore[arg-type]
        follows = Follower(url, ada.headers)
        assert upload(http, ada, "sensors").status_code == 200
        assert follows.next()["data"]["data"]["action"] == "upload"
        follows.stop()
        assert wait_for(lambda: shared.events.subscribers == 0)


def test_a_server_that_loses_redis_still_answers_and_streams(
    tmp_path: Path, redis_server: RedisProcess, heartbeat: None, caplog: pytest.LogCaptureFixture
) -> None:
    settings = {"redis_url": redis_server.url, "redis_retry_s": 0.2}
    with (
        caplog.at_level(logging.WARNING),
        serving(tmp_path / "home", **settings) as (url, shared),
        httpx.Client(base_url=url, timeout=60) as http,
    ):
        ada = signup(http)  # type: ignore[arg-type]
        follows = Follower(url, ada.headers)
        redis_server.stop()
        assert upload(http, ada, "sensors").status_code == 200
        assert follows.next()["data"]["data"]["action"] == "upload"
        assert shared.redis.state() == "down"
        redis_server.start()
        assert wait_for(shared.redis.ping, 10)
        deleted = http.delete("/api/v1/datasets/sensors", headers=ada.headers)
        assert deleted.status_code == 204, deleted.text
        assert follows.next()["data"]["data"]["action"] == "delete"
        follows.stop()
    assert "failed" in caplog.text
    assert redis_server.password and redis_server.password not in caplog.text


@pytest.mark.slow
def test_a_change_through_one_server_reaches_a_follower_of_another(
    tmp_path: Path, redis_url: str
) -> None:
    home = tmp_path / "home"  # one catalog and store, two server processes
    with (
        serving_process(home, REDIS_URL=redis_url) as first,
        serving_process(home, REDIS_URL=redis_url) as second,
        httpx.Client(base_url=first, timeout=60) as http,
    ):
        ada = signup(http)  # type: ignore[arg-type]
        follows = Follower(second, ada.headers)
        try:
            assert upload(http, ada, "sensors").status_code == 200
            got = follows.next(15)
            assert got["event"] == "dataset.changed"
            assert got["data"]["owner"] == ada.id
            assert got["data"]["data"]["action"] == "upload"
            assert follows.nothing()
        finally:
            follows.stop()


def login(http: httpx.Client, account: Account) -> dict[str, str]:
    """Headers with a new session token of ``account``."""
    session = http.post("/api/v1/auth/login", json={"email": account.email, "password": PASSWORD})
    assert session.status_code == 200, session.text
    return {"Authorization": f"Bearer {session.json()['token']}"}


def assert_signed_out(follows: Follower, code: str, shared: Services, owner: str) -> None:
    """The stream's last event is ``signed-out`` with ``code``, then it ends: an event published
    afterwards never arrives, and the server unsubscribed it."""
    got = follows.next()
    assert got["event"] == "signed-out", got
    assert got["data"]["code"] == code and got["data"]["message"], got
    assert follows.ends(), "the stream went on after signing out"
    shared.events.publish(dataset_changed(owner, "later", DatasetAction.CREATE, 1))
    assert follows.nothing()
    assert wait_for(lambda: shared.events.following(owner) == 0)


def test_a_stream_ends_when_its_session_logs_out(server: tuple[str, Services]) -> None:
    url, shared = server
    with httpx.Client(base_url=url, timeout=60) as http:
        ada = signup(http)  # type: ignore[arg-type]
        session = login(http, ada)
        by_session, by_key = Follower(url, session), Follower(url, ada.headers)
        assert upload(http, ada, "sensors").status_code == 200
        assert by_session.next()["data"]["data"]["action"] == "upload"
        assert by_key.next()["data"]["data"]["action"] == "upload"

        assert http.post("/api/v1/auth/logout", headers=session).status_code == 204
        assert_error(http.get("/api/v1/datasets", headers=session), 401, "unauthenticated")
        got = by_session.next()
        assert got["event"] == "signed-out" and got["data"]["code"] == "unauthenticated", got
        assert by_session.ends()
        # the API key's stream is another credential's: it goes on
        deleted = http.delete("/api/v1/datasets/sensors", headers=ada.headers)
        assert deleted.status_code == 204, deleted.text
        assert by_key.next()["data"]["data"]["action"] == "delete"
        assert by_session.nothing()
        by_key.stop()
        assert wait_for(lambda: shared.events.subscribers == 0)


def test_a_stream_ends_when_an_admin_disables_the_account(server: tuple[str, Services]) -> None:
    url, shared = server
    with httpx.Client(base_url=url, timeout=60) as http:
        ada = signup(http)  # type: ignore[arg-type]
        email = f"admin-{ada.id[:8]}@example.com"
        admin = Account(shared.accounts.register(email, PASSWORD, Role.ADMIN).id, email, {}, "")
        by_key, by_session = Follower(url, ada.headers), Follower(url, login(http, ada))
        disabled = http.post(f"/api/v1/admin/users/{ada.id}/disable", headers=login(http, admin))
        assert disabled.status_code == 200, disabled.text
        assert_error(http.get("/api/v1/datasets", headers=ada.headers), 403, "forbidden")
        assert_signed_out(by_key, "forbidden", shared, ada.id)
        got = by_session.next()  # the session ended with the account
        if got["event"] == "dataset.changed":  # the event published above, if this stream's
            got = by_session.next()  # own check had not come round yet
        assert got["event"] == "signed-out" and got["data"]["code"] == "unauthenticated", got
        assert by_session.ends()


def test_a_stream_ends_when_its_api_key_is_revoked(server: tuple[str, Services]) -> None:
    url, shared = server
    with httpx.Client(base_url=url, timeout=60) as http:
        ada = signup(http)  # type: ignore[arg-type]
        made = http.post("/api/v1/account/keys", json={"name": "follower"}, headers=ada.headers)
        assert made.status_code == 201, made.text
        follows = Follower(url, {"X-API-Key": made.json()["secret"]})
        assert upload(http, ada, "sensors").status_code == 200
        assert follows.next()["data"]["data"]["action"] == "upload"
        key_id = made.json()["key"]["id"]
        revoked = http.delete(f"/api/v1/account/keys/{key_id}", headers=ada.headers)
        assert revoked.status_code == 204, revoked.text
        assert_signed_out(follows, "unauthenticated", shared, ada.id)


def test_one_user_holds_at_most_max_streams_per_process(server: tuple[str, Services]) -> None:
    url, shared = server
    cap = events_route.MAX_STREAMS
    with httpx.Client(base_url=url, timeout=60) as http:
        ada, bob = signup(http), signup(http)  # type: ignore[arg-type]
        followers = [Follower(url, ada.headers) for _ in range(cap)]
        assert shared.events.following(ada.id) == cap

        with http.stream("GET", "/api/v1/events", headers=ada.headers) as refused:
            assert refused.status_code == 429, "a stream over the cap opened"
            refused.read()
        error = assert_error(refused, 429, "rate_limited")
        assert refused.headers["Retry-After"] == str(events_route.RETRY_S)
        assert error["retry_after_s"] == events_route.RETRY_S
        assert_error(http.get("/api/v1/events", headers=login(http, ada)), 429, "rate_limited")
        others = Follower(url, bob.headers)  # the cap is each user's own

        followers.pop().stop()  # a slot frees when a stream closes
        assert wait_for(lambda: shared.events.following(ada.id) == cap - 1)
        followers.append(Follower(url, ada.headers))
        assert upload(http, ada, "sensors").status_code == 200
        for follows in followers:
            assert follows.next()["data"]["data"]["action"] == "upload"
        for follows in [*followers, others]:
            follows.stop()
        assert wait_for(lambda: shared.events.subscribers == 0)

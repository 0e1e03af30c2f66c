"""Two servers (replicas) over one PostgreSQL catalog and one Redis: a session from one works on
the other and ends on both; losing Redis mid-run fails no request and signs no one out; a session
ended on a replica that cannot reach Redis is refused by the other all the same."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import PASSWORD, make_admin, make_settings, signup
from tests.services import RedisProcess
from variosync import Settings
from variosync.api import create_app
from variosync.catalog import make_engine, upgrade

pytestmark = pytest.mark.postgres

API = "/api/v1"
UNREACHABLE = "redis://127.0.0.1:1/0"
"""Nothing listens there: every call is refused at once."""


def _replicas(
    tmp_path: Path, database_url: str, redis_url: str, first_redis_url: str | None = None
) -> Iterator[list[TestClient]]:
    """Replicas ``one`` and ``two``; ``one`` uses ``first_redis_url`` when given."""
    engine = make_engine(Settings(database_url=database_url).catalog_url)
    upgrade(engine)
    engine.dispose()
    with ExitStack() as stack:
        yield [
            stack.enter_context(
                TestClient(
                    create_app(
                        make_settings(
                            tmp_path / name,
                            database_url=database_url,
                            redis_url=url,
                            redis_retry_s=0.2,
                        )
                    )
                )
            )
            for name, url in (("one", first_redis_url or redis_url), ("two", redis_url))
        ]


@pytest.fixture
def replicas(tmp_path: Path, fresh_postgres_url: str, redis_url: str) -> Iterator[list[TestClient]]:
    yield from _replicas(tmp_path, fresh_postgres_url, redis_url)


@pytest.fixture
def cut_off(tmp_path: Path, fresh_postgres_url: str, redis_url: str) -> Iterator[list[TestClient]]:
    """Replicas of which the first cannot reach Redis (the second can)."""
    yield from _replicas(tmp_path, fresh_postgres_url, redis_url, UNREACHABLE)


def _login(client: TestClient, email: str) -> dict[str, str]:
    response = client.post(f"{API}/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _whoami(client: TestClient, headers: dict[str, str]) -> int:
    return client.get(f"{API}/account", headers=headers).status_code


def test_a_session_from_one_replica_works_on_the_other_and_ends_on_both(
    replicas: list[TestClient],
) -> None:
    one, two = replicas
    account = signup(one)
    session = _login(one, account.email)

    assert _whoami(two, session) == 200
    assert two.post(f"{API}/auth/logout", headers=session).status_code == 204

    assert _whoami(one, session) == 401
    assert _whoami(two, session) == 401
    assert _whoami(one, account.headers) == 200  # the API key lives on


def test_disabling_on_one_replica_ends_the_sessions_on_the_other(
    replicas: list[TestClient],
) -> None:
    one, two = replicas
    account = signup(one)
    sessions = [_login(one, account.email) for _ in range(2)]
    assert all(_whoami(two, session) == 200 for session in sessions)
    admin = make_admin(two)

    disabled = two.post(f"{API}/admin/users/{account.id}/disable", headers=admin.headers)
    assert disabled.status_code == 200
    assert two.post(f"{API}/admin/users/{account.id}/enable", headers=admin.headers).is_success

    for session in sessions:
        assert _whoami(one, session) == 401
        assert _whoami(two, session) == 401


def test_losing_redis_mid_run_fails_no_request(
    tmp_path: Path,
    fresh_postgres_url: str,
    redis_server: RedisProcess,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        for one, two in _replicas(tmp_path, fresh_postgres_url, redis_server.url):
            account = signup(one)
            before = _login(one, account.email)
            redis_server.stop()

            assert _whoami(two, before) == 200
            during = _login(two, account.email)
            assert _whoami(one, during) == 200
            assert one.post(f"{API}/auth/logout", headers=before).status_code == 204
            assert _whoami(two, before) == 401

            redis_server.start()
            time.sleep(0.25)
            after = _login(one, account.email)
            for session in (during, after):
                assert _whoami(one, session) == 200
                assert _whoami(two, session) == 200
            assert _whoami(two, before) == 401
    assert "failed" in caplog.text
    assert redis_server.password and redis_server.password not in caplog.text


def test_a_sign_out_on_a_replica_cut_off_from_redis_ends_the_session_on_the_other(
    cut_off: list[TestClient],
) -> None:
    one, two = cut_off
    account = signup(two)
    session = _login(two, account.email)  # in Redis too
    assert _whoami(one, session) == 200  # from the catalog

    assert one.post(f"{API}/auth/logout", headers=session).status_code == 204

    assert _whoami(two, session) == 401
    assert _whoami(one, session) == 401


def test_disabling_and_enabling_on_a_replica_cut_off_from_redis_ends_the_sessions(
    cut_off: list[TestClient],
) -> None:
    one, two = cut_off
    account = signup(two)
    sessions = [_login(two, account.email) for _ in range(2)]
    admin = make_admin(one)

    disabled = one.post(f"{API}/admin/users/{account.id}/disable", headers=admin.headers)
    assert disabled.status_code == 200
    assert one.post(f"{API}/admin/users/{account.id}/enable", headers=admin.headers).is_success

    for session in sessions:
        assert _whoami(two, session) == 401
        assert _whoami(one, session) == 401
    assert _whoami(two, _login(two, account.email)) == 200

"""Fixtures shared across the suite: PostgreSQL and S3 (moto) on loopback."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.services import RedisProcess, moto_server, redis_process, unavailable

DEFAULT_PG = "postgresql://root@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session (dropped afterwards)."""
    yield from _database()


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this test's own (for tests that leave a migrated schema or
    run a server process against it)."""
    yield from _database()


def _database() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    base = os.environ.get("VARIOSYNC_TEST_DATABASE_URL", DEFAULT_PG)
    name = f"variosync_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(base, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        unavailable("PostgreSQL", str(exc).splitlines()[0])
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """URL of a moto S3 server running in its own process for this session."""
    with moto_server() as url:
        yield url


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> str:
    """A new, empty bucket on the moto server."""
    boto3 = pytest.importorskip("boto3")
    name = f"vs-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="session")
def redis_session_server() -> Iterator[RedisProcess]:
    """One redis-server of the test session's own (the machine's Redis stays untouched)."""
    with redis_process() as server:
        yield server


@pytest.fixture
def redis_url(redis_session_server: RedisProcess) -> str:
    """URL of an empty Redis (the session's own server, flushed for this test)."""
    redis_session_server.flush()
    return redis_session_server.url


@pytest.fixture
def redis_server() -> Iterator[RedisProcess]:
    """A redis-server of this test's own, to stop and restart (Redis lost and back)."""
    with redis_process(password="s3cret-Redis-pw") as server:
        yield server

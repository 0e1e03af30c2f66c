"""Fixtures shared across the suite: PostgreSQL and S3 (moto) on loopback."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.services import moto_server, unavailable

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

"""End to end through a real ``variosync serve`` process on a loopback port: register, create
an API key, upload a sample file, query it, download an export — on the embedded default and
on PostgreSQL (which must be migrated first: the server refuses an unmigrated schema)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import polars as pl
import pyarrow as pa
import pytest

from tests.services import free_port, wait_for_port

SAMPLE = Path(__file__).parents[2] / "src" / "variosync" / "samples" / "sensors.csv"
pytestmark = pytest.mark.slow


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VARIOSYNC_", "DATABASE"))}
    env.update({"VARIOSYNC_HOME": str(home), "VARIOSYNC_SIGNUP_HOURS": "2", **extra})
    return env


@contextmanager
def serving(home: Path, **extra: str) -> Iterator[str]:
    """``variosync serve`` in its own process; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "variosync", "serve", "--port", str(port)],
        env=_env(home, **extra),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        if not wait_for_port(port, timeout=60):
            process.terminate()
            raise AssertionError(f"the server did not start: {process.communicate()[1][-2000:]}")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)
        if process.stderr is not None:
            process.stderr.close()


def _journey(base: str) -> None:
    with httpx.Client(base_url=base + "/api/v1", timeout=60) as http:
        assert httpx.get(base + "/readyz").json()["status"] == "ready"
        account = {"email": "grace@example.com", "password": "a long passphrase"}
        assert http.post("/auth/register", json=account).status_code == 201
        token = http.post("/auth/login", json=account).json()["token"]
        created = http.post(
            "/account/keys", json={"name": "e2e"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert created.status_code == 201, created.text
        http.headers["Authorization"] = f"Bearer {created.json()['secret']}"

        with SAMPLE.open("rb") as handle:
            upload = http.post(
                "/datasets/sensors/upload", files={"files": ("sensors.csv", handle, "text/csv")}
            )
        assert upload.status_code == 200, upload.text
        assert upload.json()["rows_written"] == 1080

        rows = http.get("/datasets/sensors/query", params={"series": "outdoor", "limit": 5})
        assert rows.status_code == 200, rows.text
        assert [r["series_id"] for r in rows.json()] == ["outdoor"] * 5

        arrow = http.get(
            "/datasets/sensors/query",
            params={"every": "1h", "agg": "mean,max", "fields": "temperature", "format": "arrow"},
        )
        assert arrow.status_code == 200, arrow.text
        hourly = pl.from_arrow(pa.ipc.open_stream(io.BytesIO(arrow.content)).read_all())
        assert isinstance(hourly, pl.DataFrame)
        assert hourly.height == 18 and "temperature_mean" in hourly.columns

        export = http.get("/datasets/sensors/export", params={"format": "csv"})
        assert export.status_code == 200, export.text
        assert "attachment" in export.headers["content-disposition"]
        exported = pl.read_csv(io.BytesIO(export.content))
        assert exported.height == 1080

        balance = http.get("/account/balance").json()
        assert 0 < balance["balance_hours"] < 2  # the upload and export were debited


def test_a_new_user_uploads_queries_and_exports_through_a_real_server(tmp_path: Path) -> None:
    with serving(tmp_path / "home") as base:
        _journey(base)


@pytest.mark.postgres
def test_the_same_on_postgresql_after_db_upgrade(tmp_path: Path, fresh_postgres_url: str) -> None:
    postgres_url = fresh_postgres_url
    home = tmp_path / "home"
    refused = subprocess.run(
        [sys.executable, "-m", "variosync", "serve", "--port", str(free_port())],
        env=_env(home, DATABASE_URL=postgres_url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert "variosync db upgrade" in refused.stderr
    subprocess.run(
        [sys.executable, "-m", "variosync", "db", "upgrade"],
        env=_env(home, DATABASE_URL=postgres_url),
        check=True,
        capture_output=True,
        timeout=60,
    )
    with serving(home, DATABASE_URL=postgres_url) as base:
        _journey(base)

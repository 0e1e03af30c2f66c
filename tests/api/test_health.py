"""Health and readiness, and what an unexpected failure shows: nothing of its internals."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.api.conftest import assert_error, make_settings, services
from variosync.api import create_app


def test_healthz_and_readyz_answer_on_a_working_server(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"catalog": "ok", "store": "ok"}}


def test_readyz_says_which_part_is_not_ready_and_why(client: TestClient) -> None:
    engine = services(client).service.engine
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    ready = client.get("/readyz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "not ready" and body["checks"]["store"] == "ok"
    assert "schema is at 0001" in body["checks"]["catalog"]


def test_readyz_reports_an_unreachable_store(tmp_path: Path, s3_endpoint: str) -> None:
    settings = make_settings(
        tmp_path / "home",
        store_url="s3://no-such-bucket-here/variosync",
        s3_endpoint_url=s3_endpoint,
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
    )
    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert "no-such-bucket-here" in ready.json()["checks"]["store"]
    assert "testing" not in ready.text


def test_an_unexpected_failure_answers_500_without_internals(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path / "home"))

    def boom() -> None:
        raise RuntimeError("password=hunter2 at /secret/path")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    error = assert_error(response, 500, "internal_error")
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert "incident" in str(error["hint"])

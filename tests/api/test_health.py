"""Health and readiness, and what an unexpected failure shows: nothing of its internals."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.api.conftest import Account, assert_error, make_settings, services
from variosync.api import create_app
from variosync.api.errors import in_api_terms


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
    assert "variosync db upgrade" in body["checks"]["catalog"]


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
    assert ready.json()["checks"]["store"].startswith("unreachable (storage_error)")
    assert "no-such-bucket-here" not in ready.text and "testing" not in ready.text


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


def test_failed_sign_ins_by_credential_are_audited_without_the_secret(
    client: TestClient,
) -> None:
    bad_key = "vs_" + "x" * 43
    for headers in (
        {"Authorization": f"Bearer {bad_key}"},
        {"X-API-Key": bad_key},
        {"Authorization": "Bearer a.b.c"},  # a JWT, and Supabase is not configured
    ):
        assert client.get("/api/v1/datasets", headers=headers).status_code == 401
    events = services(client).accounts.audit.list(action="auth_failed")
    assert [e.target for e in events] == ["jwt", "vs_xxxxxxxx", "vs_xxxxxxxx"]
    assert all(e.client_ip == "testclient" for e in events)
    assert all(bad_key not in str(e) for e in events)


@pytest.mark.parametrize(
    ("core", "api"),
    [
        ("`variosync datasets` lists the datasets", "GET /api/v1/datasets lists your datasets"),
        ("pass --time-col NAME (and --time-format", "pass 'time_col' NAME (and 'time_format'"),
        ("--fill needs --every", "'fill' needs 'every'"),
        ("from 2024-01-01T00:00:00Z to x--y", "from 2024-01-01T00:00:00Z to x--y"),
        (None, None),
    ],
)
def test_core_messages_are_worded_for_api_users(core: str | None, api: str | None) -> None:
    assert in_api_terms(core) == api


def test_an_unknown_dataset_hint_names_the_route(client: TestClient, user: Account) -> None:
    error = assert_error(
        client.get("/api/v1/datasets/nope", headers=user.headers), 404, "not_found"
    )
    assert error["hint"] == "GET /api/v1/datasets lists your datasets"


def test_the_cli_client_gets_messages_in_cli_terms(client: TestClient, user: Account) -> None:
    headers = user.headers | {"User-Agent": "variosync-cli/0.1.0"}
    response = client.get("/api/v1/datasets/nope", headers=headers)
    assert assert_error(response, 404, "not_found")["hint"] == (
        "`variosync datasets` lists the datasets"
    )

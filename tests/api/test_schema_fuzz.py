"""schemathesis walks the OpenAPI schema: no generated request, valid or not, gets a 500, and
every error answers in the one error shape. ``FUZZ_EXAMPLES=120`` runs a deeper search (15 per
operation by default, to keep the suite fast)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI

from tests.api.conftest import PASSWORD, make_settings
from variosync.api import create_app
from variosync.api.app import build_services
from variosync.catalog.ledger import MS_PER_HOUR
from variosync.catalog.users import Role
from variosync.model import IngestOptions

SAMPLE = Path(__file__).parents[2] / "src" / "variosync" / "samples" / "sensors.csv"


SCHEMA = schemathesis.openapi.from_dict(create_app(make_settings(Path("unused"))).openapi())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """An app whose services were built directly (schemathesis's ASGI transport does not run
    the lifespan), with an admin who owns a dataset named ``sensors`` so that some generated
    paths reach real data."""
    settings = make_settings(tmp_path_factory.mktemp("fuzz") / "home", upload_max_bytes=65536)
    application = create_app(settings)
    shared = build_services(settings)
    application.state.services = shared
    admin = shared.accounts.register("fuzz@example.com", PASSWORD, Role.ADMIN)
    shared.accounts.grant(None, admin.id, 100 * MS_PER_HOUR)
    _, secret = shared.accounts.create_key(admin, "fuzz")
    shared.service.as_owner(admin.id).ingest([SAMPLE], "sensors", IngestOptions())
    application.state.fuzz_headers = {"Authorization": f"Bearer {secret}"}
    yield application
    shared.service.close()


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_no_request_gets_a_server_error(app: FastAPI, operation: Any) -> None:
    @hypothesis.given(case=operation.as_strategy())
    @hypothesis.settings(
        max_examples=int(os.environ.get("FUZZ_EXAMPLES", "15")),
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: Any) -> None:
        response = case.call(app=app, headers=app.state.fuzz_headers)
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            body = response.json()
            assert set(body) == {"error"}, body
            assert {"code", "message", "hint"} <= set(body["error"]), body

    check()

"""A real app (``create_app``) over a fresh home per test, driven in-process by TestClient,
and helpers to make accounts the way users do (register, sign in, create an API key)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from variosync.api import create_app
from variosync.api.deps import Services
from variosync.catalog.ledger import MS_PER_HOUR
from variosync.catalog.users import Role
from variosync.settings import Settings

PASSWORD = "correct horse battery"


@dataclass
class Account:
    """A signed-up user: id, email and the headers that authenticate as them (API key)."""

    id: str
    email: str
    headers: dict[str, str]
    key: str


def make_settings(home: Path, **overrides: object) -> Settings:
    """Settings for a test server: embedded catalog and store in ``home``, no trial hours."""
    values: dict[str, object] = {"home": home, "signup_hours": 0.0}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "home")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def services(client: TestClient) -> Services:
    """The running app's shared services (to arrange what no route offers, e.g. an admin)."""
    found: Services = client.app.state.services  # type: ignore[attr-defined]
    return found


def signup(client: TestClient, email: str | None = None, hours: float = 0.0) -> Account:
    """Register through the API, sign in, create an API key; grant ``hours`` as an operator."""
    email = email or f"user-{uuid.uuid4().hex[:8]}@example.com"
    created = client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert created.status_code == 201, created.text
    session = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert session.status_code == 200, session.text
    bearer = {"Authorization": f"Bearer {session.json()['token']}"}
    key = client.post("/api/v1/account/keys", json={"name": "tests"}, headers=bearer)
    assert key.status_code == 201, key.text
    secret = key.json()["secret"]
    user_id = created.json()["id"]
    if hours > 0:
        services(client).accounts.grant(None, user_id, round(hours * MS_PER_HOUR))
    return Account(user_id, email, {"Authorization": f"Bearer {secret}"}, secret)


def make_admin(client: TestClient, email: str | None = None) -> Account:
    """An admin account (created as an operator would: `variosync users create --admin`)."""
    email = email or f"admin-{uuid.uuid4().hex[:8]}@example.com"
    user = services(client).accounts.register(email, PASSWORD, Role.ADMIN)
    session = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    token = session.json()["token"]
    return Account(user.id, email, {"Authorization": f"Bearer {token}"}, token)


@pytest.fixture
def user(client: TestClient) -> Account:
    """A signed-up user with 10 hours."""
    return signup(client, hours=10)


@pytest.fixture
def other(client: TestClient) -> Account:
    """A second user with 10 hours (tenancy tests)."""
    return signup(client, hours=10)


@pytest.fixture
def admin(client: TestClient) -> Account:
    return make_admin(client)


def assert_error(response: object, status: int, code: str) -> dict[str, object]:
    """The response is the one error shape with this status and code; returns its body."""
    body = response.json()  # type: ignore[attr-defined]
    assert response.status_code == status, body  # type: ignore[attr-defined]
    assert set(body) == {"error"}, body
    error = body["error"]
    assert {"code", "message", "hint"} <= set(error), error
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    return error  # type: ignore[no-any-return]

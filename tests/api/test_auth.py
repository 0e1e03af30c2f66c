"""Signing up, in and out through the API: sessions, API keys, disabled accounts, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.api.conftest import PASSWORD, Account, assert_error, make_settings, services, signup
from variosync.api import create_app
from variosync.catalog.tables import CredentialRow

API = "/api/v1"


def _login(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post(f"{API}/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_register_answers_the_account_without_secrets(client: TestClient) -> None:
    response = client.post(
        f"{API}/auth/register", json={"email": " Ada@Example.com", "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["email"] == "ada@example.com" and body["role"] == "user"
    assert set(body) == {"id", "email", "role", "disabled", "created_at", "supabase"}
    assert PASSWORD not in response.text and "argon2" not in response.text


def test_register_refuses_taken_emails_bad_emails_and_short_passwords(client: TestClient) -> None:
    signup(client, "taken@example.com")
    cases = [
        ({"email": "TAKEN@example.com", "password": PASSWORD}, 409, "conflict"),
        ({"email": "not-an-email", "password": PASSWORD}, 422, "invalid_parameter"),
        ({"email": "bob@example.com", "password": "short"}, 422, "invalid_parameter"),
        ({"email": "bob@example.com"}, 422, "invalid_parameter"),
    ]
    for body, status, code in cases:
        assert_error(client.post(f"{API}/auth/register", json=body), status, code)


def test_sign_up_can_be_closed(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, open_signup=False))) as closed:
        response = closed.post(
            f"{API}/auth/register", json={"email": "a@example.com", "password": PASSWORD}
        )
        assert_error(response, 403, "forbidden")


def test_login_opens_a_session_that_authenticates(client: TestClient) -> None:
    account = signup(client)
    response = client.post(f"{API}/auth/login", json={"email": account.email, "password": PASSWORD})
    body = response.json()
    assert body["token"].startswith("vss_") and body["token_type"] == "bearer"
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(days=13) < expires - datetime.now(UTC) <= timedelta(days=14)
    assert body["user"]["id"] == account.id
    me = client.get(f"{API}/account", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json()["email"] == account.email


def test_wrong_passwords_and_unknown_emails_answer_401_alike(client: TestClient) -> None:
    account = signup(client)
    wrong = client.post(f"{API}/auth/login", json={"email": account.email, "password": "x" * 9})
    unknown = client.post(f"{API}/auth/login", json={"email": "no@example.com", "password": "x"})
    for response in (wrong, unknown):
        error = assert_error(response, 401, "unauthenticated")
        assert error["message"] == "wrong email or password"
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_requests_without_valid_credentials_answer_401(client: TestClient, user: Account) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Bearer vs_" + "A" * 43},
        {"Authorization": "Bearer vss_" + "A" * 43},
        {"X-API-Key": "vs_unknown"},
    ):
        assert_error(client.get(f"{API}/account", headers=headers), 401, "unauthenticated")
    by_header = client.get(f"{API}/account", headers={"X-API-Key": user.key})
    assert by_header.status_code == 200 and by_header.json()["id"] == user.id


def test_logout_ends_the_session_but_not_api_keys(client: TestClient, user: Account) -> None:
    session = _login(client, user.email)
    assert client.post(f"{API}/auth/logout", headers=session).status_code == 204
    assert_error(client.get(f"{API}/account", headers=session), 401, "unauthenticated")
    assert client.post(f"{API}/auth/logout", headers=user.headers).status_code == 204
    assert client.get(f"{API}/account", headers=user.headers).status_code == 200
    assert_error(client.post(f"{API}/auth/logout"), 401, "unauthenticated")


def test_an_expired_session_answers_401(client: TestClient, user: Account) -> None:
    session = _login(client, user.email)
    past = datetime.now(UTC) - timedelta(seconds=1)
    with services(client).service.engine.begin() as connection:
        connection.execute(
            update(CredentialRow).where(CredentialRow.kind == "session").values(expires_at=past)
        )
    error = assert_error(client.get(f"{API}/account", headers=session), 401, "unauthenticated")
    assert "expired" in str(error["message"])
    assert client.get(f"{API}/account", headers=user.headers).status_code == 200  # keys live on


def test_api_keys_are_created_used_and_revoked(client: TestClient, user: Account) -> None:
    created = client.post(f"{API}/account/keys", json={"name": "ci"}, headers=user.headers)
    secret = created.json()["secret"]
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(f"{API}/account/balance", headers=headers).status_code == 200
    key_id = created.json()["key"]["id"]
    revoked = client.delete(f"{API}/account/keys/{key_id}", headers=user.headers)
    assert revoked.status_code == 204
    assert_error(client.get(f"{API}/account", headers=headers), 401, "unauthenticated")


def test_a_disabled_account_is_locked_out_until_enabled(
    client: TestClient, user: Account, admin: Account
) -> None:
    session = _login(client, user.email)
    disabled = client.post(f"{API}/admin/users/{user.id}/disable", headers=admin.headers)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert_error(client.get(f"{API}/account", headers=session), 401, "unauthenticated")
    error = assert_error(client.get(f"{API}/account", headers=user.headers), 403, "forbidden")
    assert "disabled" in str(error["message"])
    login = client.post(f"{API}/auth/login", json={"email": user.email, "password": PASSWORD})
    assert_error(login, 403, "forbidden")
    wrong = client.post(f"{API}/auth/login", json={"email": user.email, "password": "x" * 9})
    assert_error(wrong, 401, "unauthenticated")  # a guesser learns nothing about the account

    assert client.post(f"{API}/admin/users/{user.id}/enable", headers=admin.headers).is_success
    assert client.get(f"{API}/account", headers=user.headers).status_code == 200
    assert_error(client.get(f"{API}/account", headers=session), 401, "unauthenticated")
    assert client.get(f"{API}/account", headers=_login(client, user.email)).status_code == 200


def test_sign_ins_are_audited_with_the_client_address(client: TestClient, user: Account) -> None:
    _login(client, user.email)
    client.post(f"{API}/auth/login", json={"email": user.email, "password": "x" * 9})
    events = services(client).accounts.audit.list(user_id=user.id)
    assert [e.action for e in events][:2] == ["login_failed", "login"]
    assert {e.client_ip for e in events} == {"testclient"}
    register = services(client).accounts.audit.list(action="register")
    assert [(e.user_id, e.target) for e in register] == [(user.id, user.email)]

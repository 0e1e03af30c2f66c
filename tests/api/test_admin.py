"""``/admin``: accounts and balances, creating accounts, grants, disabling, the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import PASSWORD, Account, assert_error, services, signup
from variosync.catalog.ledger import MS_PER_HOUR

API = "/api/v1"
ROUTES = [
    ("get", "/admin/users", None),
    ("post", "/admin/users", {"email": "x@example.com", "password": PASSWORD}),
    ("post", "/admin/users/{id}/grant", {"hours": 1}),
    ("post", "/admin/users/{id}/disable", None),
    ("post", "/admin/users/{id}/enable", None),
    ("get", "/admin/audit", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_admin_routes_need_an_admin(
    client: TestClient, user: Account, method: str, path: str, body: Any
) -> None:
    url = API + path.replace("{id}", user.id)
    assert_error(client.request(method, url, json=body), 401, "unauthenticated")
    error = assert_error(
        client.request(method, url, json=body, headers=user.headers), 403, "forbidden"
    )
    assert "administrator" in str(error["message"])
    assert not services(client).accounts.users.get(user.id).disabled
    assert client.get(f"{API}/account/balance", headers=user.headers).json()["balance_hours"] == 10


def test_admins_list_every_account_with_its_balance(
    client: TestClient, admin: Account, user: Account, other: Account
) -> None:
    services(client).accounts.grant(None, other.id, MS_PER_HOUR // 4)
    listing = client.get(f"{API}/admin/users", headers=admin.headers).json()
    balances = {u["email"]: u["balance_hours"] for u in listing}
    assert balances == {admin.email: 0.0, user.email: 10.0, other.email: 10.25}
    assert {u["role"] for u in listing} == {"admin", "user"}
    assert all("password_hash" not in u for u in listing)


def test_admins_create_accounts(client: TestClient, admin: Account) -> None:
    body = {"email": "New@Example.com", "password": PASSWORD, "role": "admin"}
    created = client.post(f"{API}/admin/users", json=body, headers=admin.headers)
    assert created.status_code == 201, created.text
    new = created.json()
    assert (new["email"], new["role"], new["disabled"]) == ("new@example.com", "admin", False)
    login = client.post(
        f"{API}/auth/login", json={"email": "new@example.com", "password": PASSWORD}
    )
    assert login.status_code == 200
    plain = {"email": "plain@example.com", "password": PASSWORD}
    assert (
        client.post(f"{API}/admin/users", json=plain, headers=admin.headers).json()["role"]
        == "user"
    )
    (event,) = services(client).accounts.audit.list(action="user_created", limit=1)
    assert (event.user_id, event.client_ip) == (admin.id, "testclient")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"email": "{taken}", "password": PASSWORD}, 409, "conflict"),
        ({"email": "nobody", "password": PASSWORD}, 422, "invalid_parameter"),
        ({"email": "a@example.com", "password": "short"}, 422, "invalid_parameter"),
        (
            {"email": "a@example.com", "password": PASSWORD, "role": "root"},
            422,
            "invalid_parameter",
        ),
    ],
)
def test_creating_an_account_is_validated(
    client: TestClient, admin: Account, body: dict[str, str], status: int, code: str
) -> None:
    body = {k: v.replace("{taken}", admin.email) for k, v in body.items()}
    assert_error(client.post(f"{API}/admin/users", json=body, headers=admin.headers), status, code)


def test_a_grant_adds_hours_and_answers_the_entry(
    client: TestClient, admin: Account, user: Account
) -> None:
    response = client.post(
        f"{API}/admin/users/{user.id}/grant", json={"hours": 2.5}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    entry = response.json()
    assert (entry["kind"], entry["hours"], entry["amount_ms"]) == ("grant", 2.5, 9_000_000)
    assert entry["operation"] == "grant"
    balance = client.get(f"{API}/account/balance", headers=user.headers).json()
    assert balance["balance_hours"] == 12.5


def test_a_grant_with_an_idempotency_key_is_made_once(
    client: TestClient, admin: Account, user: Account
) -> None:
    url = f"{API}/admin/users/{user.id}/grant"
    headers = admin.headers | {"Idempotency-Key": "grant-2024-06-01"}
    first = client.post(url, json={"hours": 1}, headers=headers).json()
    again = client.post(url, json={"hours": 1}, headers=headers).json()
    assert first == again
    client.post(url, json={"hours": 1}, headers=admin.headers)  # no key: a new grant
    assert client.get(f"{API}/account/balance", headers=user.headers).json()["balance_hours"] == 12
    assert len(services(client).accounts.audit.list(action="grant", user_id=admin.id)) == 2
    bad = client.post(url, json={"hours": 1}, headers=admin.headers | {"Idempotency-Key": "a b"})
    assert_error(bad, 422, "invalid_parameter")


@pytest.mark.parametrize("hours", [0, -1, 100_001, "many", None])
def test_a_grant_is_a_positive_bounded_number_of_hours(
    client: TestClient, admin: Account, user: Account, hours: object
) -> None:
    url = f"{API}/admin/users/{user.id}/grant"
    error = assert_error(
        client.post(url, json={"hours": hours}, headers=admin.headers), 422, "invalid_parameter"
    )
    assert error["field"] == "hours"


def test_unknown_users_are_not_found(client: TestClient, admin: Account) -> None:
    for action, body in (("grant", {"hours": 1}), ("disable", None), ("enable", None)):
        response = client.post(f"{API}/admin/users/nope/{action}", json=body, headers=admin.headers)
        assert_error(response, 404, "not_found")


def test_admins_disable_and_enable_accounts_but_not_their_own(
    client: TestClient, admin: Account, user: Account
) -> None:
    disabled = client.post(f"{API}/admin/users/{user.id}/disable", headers=admin.headers)
    assert disabled.json()["disabled"] is True and disabled.json()["id"] == user.id
    listing = client.get(f"{API}/admin/users", headers=admin.headers).json()
    assert {u["email"]: u["disabled"] for u in listing}[user.email] is True
    enabled = client.post(f"{API}/admin/users/{user.id}/enable", headers=admin.headers)
    assert enabled.json()["disabled"] is False
    own = client.post(f"{API}/admin/users/{admin.id}/disable", headers=admin.headers)
    assert_error(own, 422, "invalid_parameter")
    assert client.get(f"{API}/admin/users", headers=admin.headers).status_code == 200


def _audit(client: TestClient, admin: Account, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"{API}/admin/audit", params=params, headers=admin.headers)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()
    return events


def test_state_changes_are_audited_and_admins_filter_them(
    client: TestClient, admin: Account
) -> None:
    before = datetime.now(UTC)
    account = signup(client, "audited@example.com")  # register, sign in, create a key
    client.post(f"{API}/auth/login", json={"email": account.email, "password": "x" * 9})
    key = client.post(f"{API}/account/keys", json={"name": "temp"}, headers=account.headers).json()
    client.delete(f"{API}/account/keys/{key['key']['id']}", headers=account.headers)
    url = f"{API}/admin/users/{account.id}"
    client.post(f"{url}/grant", json={"hours": 1}, headers=admin.headers)
    shared = services(client)
    user = shared.accounts.users.get(account.id)
    with shared.meter.metered(user, "upload", "prices", 1000, "req:u", client_ip="testclient"):
        pass
    client.post(f"{url}/disable", headers=admin.headers)

    mine = _audit(client, admin, user_id=account.id)
    assert [e["action"] for e in mine] == [
        "debit", "key_revoked", "key_created", "login_failed", "key_created", "login", "register"
    ]  # fmt: skip
    assert mine[1]["target"] == key["key"]["prefix"] and mine[0]["target"] == "prices"
    by_admin = _audit(client, admin, user_id=admin.id, since=before.isoformat())
    assert [(e["action"], e["target"]) for e in by_admin] == [
        ("user_disabled", account.id),
        ("grant", account.id),
    ]
    assert by_admin[1]["detail"] == {"ms": MS_PER_HOUR}
    for event in mine + by_admin:
        assert event["client_ip"] == "testclient"
        assert before <= datetime.fromisoformat(event["at"]) <= datetime.now(UTC)
    assert [e["user_id"] for e in _audit(client, admin, action="login_failed")] == [account.id]
    assert _audit(client, admin, since=(datetime.now(UTC) + timedelta(minutes=1)).isoformat()) == []
    assert len(_audit(client, admin, until=before.isoformat())) == 2  # the admin's register, login
    assert [e["action"] for e in _audit(client, admin, limit=2, offset=1)] == ["debit", "grant"]


@pytest.mark.parametrize("query", ["since=yesterday", "until=2024-13-01", "limit=0", "limit=1001"])
def test_audit_filters_are_validated(client: TestClient, admin: Account, query: str) -> None:
    response = client.get(f"{API}/admin/audit?{query}", headers=admin.headers)
    assert_error(response, 422, "invalid_parameter")

"""``/account``: the signed-in account, its balance, ledger, hour packages and API keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Account, assert_error, make_settings, services, signup
from variosync.api import create_app
from variosync.catalog.credentials import CredentialKind
from variosync.catalog.ledger import MS_PER_HOUR

API = "/api/v1"
ROUTES = [
    ("get", "/account"),
    ("get", "/account/balance"),
    ("get", "/account/ledger"),
    ("get", "/account/packages"),
    ("get", "/account/keys"),
    ("post", "/account/keys"),
    ("delete", "/account/keys/some-id"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_account_route_needs_credentials(client: TestClient, method: str, path: str) -> None:
    assert_error(client.request(method, API + path, json={}), 401, "unauthenticated")


def test_the_account_shows_its_balance(client: TestClient, user: Account) -> None:
    body = client.get(f"{API}/account", headers=user.headers).json()
    assert body["id"] == user.id and body["email"] == user.email and body["role"] == "user"
    assert body["balance_hours"] == 10.0 and body["enforce_payment"] is True
    assert not {"password", "password_hash"} & set(body)
    balance = client.get(f"{API}/account/balance", headers=user.headers).json()
    assert balance == {"balance_hours": 10.0, "balance_ms": 36_000_000, "enforce_payment": True}


def test_the_balance_says_when_payment_is_not_enforced(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path, enforce_payment=False))) as client:
        account = signup(client)
        balance = client.get(f"{API}/account/balance", headers=account.headers).json()
        assert balance == {"balance_hours": 0.0, "balance_ms": 0, "enforce_payment": False}


def test_the_ledger_lists_entries_newest_first(client: TestClient, user: Account) -> None:
    accounts = services(client).accounts
    accounts.grant(None, user.id, MS_PER_HOUR // 2)
    accounts.ledger.debit(user.id, 1800, "req:x", operation="upload", target="prices")
    entries = client.get(f"{API}/account/ledger", headers=user.headers).json()
    assert [(e["kind"], e["amount_ms"]) for e in entries] == [
        ("debit", -1800),
        ("grant", MS_PER_HOUR // 2),
        ("grant", 10 * MS_PER_HOUR),
    ]
    assert entries[0]["hours"] == -0.0005 and entries[0]["target"] == "prices"
    assert entries[0]["operation"] == "upload" and entries[0]["created_at"]
    page = client.get(f"{API}/account/ledger?limit=1&offset=1", headers=user.headers).json()
    assert [e["kind"] for e in page] == ["grant"] and page[0]["hours"] == 0.5
    total = client.get(f"{API}/account/balance", headers=user.headers).json()["balance_ms"]
    assert total == sum(e["amount_ms"] for e in entries)


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "offset=-1", "limit=x"])
def test_ledger_paging_is_validated(client: TestClient, user: Account, query: str) -> None:
    response = client.get(f"{API}/account/ledger?{query}", headers=user.headers)
    error = assert_error(response, 422, "invalid_parameter")
    assert error["field"] in ("limit", "offset")


def test_the_ledger_shows_only_the_callers_entries(
    client: TestClient, user: Account, other: Account
) -> None:
    services(client).accounts.grant(None, other.id, 5 * MS_PER_HOUR)
    entries = client.get(f"{API}/account/ledger", headers=user.headers).json()
    assert [e["amount_ms"] for e in entries] == [10 * MS_PER_HOUR]


def test_packages_are_listed_but_not_for_sale_yet(client: TestClient, user: Account) -> None:
    body = client.get(f"{API}/account/packages", headers=user.headers).json()
    assert body["packages"] == [{"hours": 5}, {"hours": 10}, {"hours": 20}, {"hours": 50}]
    assert body["purchasable"] is False and "no payment provider" in body["message"]


def test_keys_are_listed_without_their_secrets(client: TestClient, user: Account) -> None:
    created = client.post(f"{API}/account/keys", json={"name": "laptop"}, headers=user.headers)
    assert created.status_code == 201
    new = created.json()
    assert set(new) == {"key", "secret"} and new["secret"].startswith("vs_")
    assert new["key"]["prefix"] == new["secret"][:11] and new["key"]["name"] == "laptop"
    assert new["key"]["revoked_at"] is None and new["key"]["created_at"]
    listing = client.get(f"{API}/account/keys", headers=user.headers)
    assert [k["name"] for k in listing.json()] == ["laptop", "tests"]  # newest first
    assert new["secret"] not in listing.text and user.key not in listing.text
    assert "secret" not in listing.text and "hash" not in listing.text
    unnamed = client.post(f"{API}/account/keys", json={}, headers=user.headers)
    assert unnamed.status_code == 201 and unnamed.json()["key"]["name"] == ""
    too_long = client.post(f"{API}/account/keys", json={"name": "k" * 129}, headers=user.headers)
    assert_error(too_long, 422, "invalid_parameter")


def test_a_revoked_key_stays_listed_as_revoked(client: TestClient, user: Account) -> None:
    new = client.post(f"{API}/account/keys", json={"name": "old"}, headers=user.headers).json()
    key_id = new["key"]["id"]
    assert client.delete(f"{API}/account/keys/{key_id}", headers=user.headers).status_code == 204
    listed = {k["id"]: k for k in client.get(f"{API}/account/keys", headers=user.headers).json()}
    assert listed[key_id]["revoked_at"] is not None
    assert_error(
        client.get(f"{API}/account", headers={"X-API-Key": new["secret"]}), 401, "unauthenticated"
    )


def test_another_users_key_or_session_is_not_found(
    client: TestClient, user: Account, other: Account
) -> None:
    theirs = client.get(f"{API}/account/keys", headers=other.headers).json()[0]["id"]
    assert_error(
        client.delete(f"{API}/account/keys/{theirs}", headers=user.headers), 404, "not_found"
    )
    assert client.get(f"{API}/account", headers=other.headers).status_code == 200
    sessions = services(client).accounts.credentials.list(user.id, CredentialKind.SESSION)
    assert_error(
        client.delete(f"{API}/account/keys/{sessions[0].id}", headers=user.headers),
        404,
        "not_found",
    )
    assert_error(client.delete(f"{API}/account/keys/nope", headers=user.headers), 404, "not_found")


def test_users_cannot_grant_themselves_hours(client: TestClient, user: Account) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    writes = {
        (method, path)
        for path, operations in paths.items()
        if path.startswith(f"{API}/account")
        for method in operations
        if method != "get"
    }
    assert writes == {("post", f"{API}/account/keys"), ("delete", f"{API}/account/keys/{{key_id}}")}
    grant = client.post(
        f"{API}/admin/users/{user.id}/grant", json={"hours": 5}, headers=user.headers
    )
    assert_error(grant, 403, "forbidden")
    assert client.get(f"{API}/account/balance", headers=user.headers).json()["balance_hours"] == 10

"""Tenancy: every dataset route, walked from the app's own route list, answers 404 for another
user's dataset and changes nothing of it; names are unique per owner, not per server."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import Account, assert_error, services
from tests.api.test_upload import SENSORS, upload_sensors

PREFIX = "/api/v1/datasets"
CLIP = [{"op": "clip", "fields": ["temperature"], "upper": 20.0}]

# (method, route path) -> keyword arguments of a request that would succeed for the owner.
# A new dataset route fails test_every_route_is_covered until it is added here.
REQUESTS: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/v1/datasets/{name}"): {},
    ("GET", "/api/v1/datasets/{name}/series"): {},
    ("GET", "/api/v1/datasets/{name}/history"): {},
    ("GET", "/api/v1/datasets/{name}/profile"): {"params": {"refresh": "true"}},
    ("POST", "/api/v1/datasets/{name}/clean"): {"json": {"recipe": CLIP}},
    ("POST", "/api/v1/datasets/{name}/restore"): {"json": {"version": 0}},
    ("GET", "/api/v1/datasets/{name}/query"): {"params": {"format": "csv"}},
    ("GET", "/api/v1/datasets/{name}/aggregates"): {},
    ("GET", "/api/v1/datasets/{name}/export"): {"params": {"format": "parquet"}},
    ("DELETE", "/api/v1/datasets/{name}"): {},
}
"""In an order that succeeds for the owner (clean before restore, delete last)."""

UPLOAD = ("POST", "/api/v1/datasets/{name}/upload")
"""Uploading to a name creates (or adds to) the caller's own dataset of that name."""


def dataset_routes(client: TestClient) -> set[tuple[str, str]]:
    """(method, path) of every route of the app under /api/v1/datasets/{name}.

    Read from the OpenAPI document: FastAPI keeps included routers nested in ``app.routes``,
    while the document lists every route with its full path.
    """
    paths: dict[str, dict[str, Any]] = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith(PREFIX + "/{name}")
        for method in operations
    }


def snapshot(client: TestClient, owner: Account, name: str) -> dict[str, Any]:
    """What must not change: version, rows, history, the data and the owner's ledger."""
    info = client.get(f"{PREFIX}/{name}", headers=owner.headers).json()
    history = client.get(f"{PREFIX}/{name}/history", headers=owner.headers).json()
    data = client.get(f"{PREFIX}/{name}/query?format=csv", headers=owner.headers).content
    balance = services(client).accounts.ledger.balance_ms(owner.id)
    return {
        "version": info["version"],
        "rows": info["row_count"],
        "history": [v["version"] for v in history],
        "data": data,
        "balance": balance,
    }


def test_every_route_is_covered(client: TestClient) -> None:
    assert dataset_routes(client) == set(REQUESTS) | {UPLOAD}


def test_other_users_datasets_do_not_exist(
    client: TestClient, user: Account, other: Account
) -> None:
    upload_sensors(client, user)
    before = snapshot(client, user, "sensors")
    other_ledger = services(client).accounts.ledger.entries(other.id)
    for method, path in sorted(dataset_routes(client) - {UPLOAD}):
        url = path.replace("{name}", "sensors")
        kwargs = REQUESTS[method, path]
        response = client.request(method, url, headers=other.headers, **kwargs)
        error = assert_error(response, 404, "not_found")
        assert "sensors" in error["message"], (method, path)
    assert snapshot(client, user, "sensors") == before
    assert client.get(PREFIX, headers=other.headers).json() == []
    # nothing was reserved for the other user's refused queries and exports
    assert services(client).accounts.ledger.entries(other.id) == other_ledger
    # the same requests succeed for the owner: the 404s above were not bad requests
    for (method, path), kwargs in REQUESTS.items():
        url = path.replace("{name}", "sensors")
        response = client.request(method, url, headers=user.headers, **kwargs)
        assert response.status_code < 300, (method, path, response.text)


def test_names_are_per_owner(client: TestClient, user: Account, other: Account) -> None:
    upload_sensors(client, user)
    before = snapshot(client, user, "sensors")
    created = client.post(PREFIX, json={"name": "sensors"}, headers=other.headers)
    assert created.status_code == 201, created.text
    assert created.json()["row_count"] == 0
    method, path = UPLOAD
    head = SENSORS.splitlines(keepends=True)[:11]
    uploaded = client.request(
        method,
        path.replace("{name}", "sensors"),
        files=[("files", ("few.csv", b"".join(head)))],
        headers=other.headers,
    )
    assert uploaded.status_code == 200, uploaded.text
    assert (uploaded.json()["rows_written"], uploaded.json()["version"]) == (10, 0)
    theirs = client.get(f"{PREFIX}/sensors", headers=other.headers).json()
    assert (theirs["row_count"], theirs["owner"]) == (10, other.id)
    assert snapshot(client, user, "sensors") == before
    deleted = client.delete(f"{PREFIX}/sensors", headers=other.headers)
    assert deleted.status_code == 204
    assert snapshot(client, user, "sensors") == before
    assert [d["name"] for d in client.get(PREFIX, headers=user.headers).json()] == ["sensors"]

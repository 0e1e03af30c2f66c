"""The dataset routes: create, list, info, series, history, restore, profile, clean, delete."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Account, assert_error, services
from tests.api.test_upload import upload_sensors

API = "/api/v1/datasets"
DEDUPE = [{"op": "fill_gaps", "every": "1m"}, {"op": "drop_duplicates"}]
CLIP = [{"op": "clip", "fields": ["temperature"], "upper": 20.0}]


@pytest.fixture
def sensors(client: TestClient, user: Account) -> str:
    """The bundled sensors sample uploaded as 'sensors'."""
    return upload_sensors(client, user)


def actions(client: TestClient, user: Account) -> list[tuple[str, str]]:
    """The user's audit events (action, target), oldest first, sign-in events left out."""
    events = services(client).accounts.audit.list(user_id=user.id)
    ignored = {"register", "login", "key_created", "grant", "debit"}
    return [(e.action, e.target) for e in reversed(events) if e.action not in ignored]


def test_create_list_and_conflict(client: TestClient, user: Account) -> None:
    created = client.post(API, json={"name": "bars", "kind": "ohlcv"}, headers=user.headers)
    assert created.status_code == 201, created.text
    body = created.json()
    summary = (body["name"], body["kind"], body["version"], body["row_count"])
    assert summary == ("bars", "ohlcv", -1, 0)
    plain = client.post(API, json={"name": "plain"}, headers=user.headers).json()
    assert plain["kind"] == "generic"
    listed = client.get(API, headers=user.headers).json()
    assert sorted(d["name"] for d in listed) == ["bars", "plain"]
    again = client.post(API, json={"name": "bars"}, headers=user.headers)
    assert "bars" in assert_error(again, 409, "conflict")["message"]
    assert actions(client, user) == [("create", "bars"), ("create", "plain")]


BAD_BODIES = [
    ({"name": "bad name"}, "name"),
    ({"name": ".hidden"}, "name"),
    ({"name": "x" * 129}, "name"),
    ({"name": "ok", "kind": "candles"}, "kind"),
    ({}, "name"),
]


def test_create_rejects_bad_bodies(client: TestClient, user: Account) -> None:
    for body, field in BAD_BODIES:
        response = client.post(API, json=body, headers=user.headers)
        assert assert_error(response, 422, "invalid_parameter")["field"] == field, body
    assert client.get(API, headers=user.headers).json() == []


def test_empty_dataset(client: TestClient, user: Account) -> None:
    client.post(API, json={"name": "empty"}, headers=user.headers)
    info = client.get(f"{API}/empty", headers=user.headers).json()
    assert (info["versions"], info["series"], info["quality"]) == (0, [], None)
    assert client.get(f"{API}/empty/series", headers=user.headers).json() == []
    assert client.get(f"{API}/empty/history", headers=user.headers).json() == []
    profile = client.get(f"{API}/empty/profile", headers=user.headers)
    assert "no data" in assert_error(profile, 422, "invalid_parameter")["message"]


def test_info_series_and_history(client: TestClient, user: Account, sensors: str) -> None:
    info = client.get(f"{API}/{sensors}", headers=user.headers).json()
    assert (info["name"], info["row_count"], info["series_count"], info["versions"]) == (
        "sensors",
        1080,
        3,
        1,
    )
    assert info["series"] == ["greenhouse-1", "greenhouse-2", "outdoor"]
    assert [f["name"] for f in info["fields"]] == ["temperature", "humidity"]
    assert (info["start"], info["end"]) == ("2024-01-15T06:00:00Z", "2024-01-15T11:59:00Z")
    assert info["quality"]["rows"] == 1080 and "series" not in info["quality"]
    series = client.get(f"{API}/{sensors}/series", headers=user.headers).json()
    assert series == info["series"]
    history = client.get(f"{API}/{sensors}/history", headers=user.headers).json()
    assert [(v["version"], v["operation"]) for v in history] == [(0, "ingest")]
    assert history[0]["metadata"]["files"] == "sensors.csv"


def test_profile(client: TestClient, user: Account, sensors: str) -> None:
    whole = client.get(f"{API}/{sensors}/profile", headers=user.headers).json()
    assert whole["rows"] == 1080 and len(whole["series"]) == 3
    url = f"{API}/{sensors}/profile?series=outdoor&refresh=true"
    one = client.get(url, headers=user.headers).json()
    assert [s["series_id"] for s in one["series"]] == ["outdoor"]
    both = client.get(
        f"{API}/{sensors}/profile?series=outdoor,greenhouse-1", headers=user.headers
    ).json()
    assert len(both["series"]) == 2
    missing = client.get(f"{API}/{sensors}/profile?series=nope", headers=user.headers)
    assert_error(missing, 404, "not_found")


def test_clean_dry_run_apply_and_restore(client: TestClient, user: Account, sensors: str) -> None:
    url = f"{API}/{sensors}/clean"
    preview = client.post(url, json={"recipe": CLIP, "dry_run": True}, headers=user.headers)
    assert preview.status_code == 200, preview.text
    dry = preview.json()
    assert dry["dry_run"] is True and dry["version"] is None
    assert dry["steps"][0]["op"] == "clip" and dry["steps"][0]["values_changed"] > 0
    assert dry["sample"]["before"] and dry["sample"]["after"]
    assert dry["sample"]["before"][0]["ts"].endswith("Z")
    assert client.get(f"{API}/{sensors}", headers=user.headers).json()["version"] == 0

    applied = client.post(
        url, json={"recipe": CLIP, "series": ["greenhouse-1"]}, headers=user.headers
    ).json()
    assert (applied["dry_run"], applied["version"], applied["series"]) == (False, 1, 1)
    history = client.get(f"{API}/{sensors}/history", headers=user.headers).json()
    assert [v["operation"] for v in history] == ["clean", "ingest"]
    assert "changed" in history[0]["metadata"]["report"]

    restored = client.post(f"{API}/{sensors}/restore", json={"version": 0}, headers=user.headers)
    assert restored.status_code == 200, restored.text
    assert (restored.json()["version"], restored.json()["row_count"]) == (2, 1080)
    gone = client.post(f"{API}/{sensors}/restore", json={"version": 9}, headers=user.headers)
    assert "version 9" in assert_error(gone, 404, "not_found")["message"]
    assert actions(client, user) == [
        ("upload", "sensors"),
        ("clean", "sensors"),
        ("restore", "sensors"),
    ]


BAD_RECIPES: list[tuple[dict[str, object], int, str]] = [
    ({"recipe": []}, 422, "invalid_parameter"),
    ({"recipe": [{"op": "no_such_op"}]}, 422, "invalid_parameter"),
    ({"recipe": [{"op": "clip", "fields": ["nope"], "upper": 1}]}, 422, "invalid_parameter"),
    ({"recipe": DEDUPE, "series": ["nope"]}, 404, "not_found"),
    ({"recipe": "drop_duplicates"}, 422, "invalid_parameter"),
    ({"recipe": DEDUPE, "dry_run": "perhaps"}, 422, "invalid_parameter"),
]


def test_clean_rejects_bad_recipes(client: TestClient, user: Account, sensors: str) -> None:
    for body, status, code in BAD_RECIPES:
        response = client.post(f"{API}/{sensors}/clean", json=body, headers=user.headers)
        assert_error(response, status, code)
    assert client.get(f"{API}/{sensors}", headers=user.headers).json()["version"] == 0
    assert actions(client, user) == [("upload", "sensors")]


def test_delete(client: TestClient, user: Account, sensors: str) -> None:
    deleted = client.delete(f"{API}/{sensors}", headers=user.headers)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert_error(client.get(f"{API}/{sensors}", headers=user.headers), 404, "not_found")
    assert_error(client.delete(f"{API}/{sensors}", headers=user.headers), 404, "not_found")
    assert client.get(API, headers=user.headers).json() == []
    assert actions(client, user)[-1] == ("delete", "sensors")


ROUTES = [
    ("GET", ""),
    ("DELETE", ""),
    ("GET", "/series"),
    ("GET", "/history"),
    ("GET", "/profile"),
    ("GET", "/query"),
    ("GET", "/aggregates"),
    ("GET", "/export"),
]


@pytest.mark.parametrize(("name", "status"), [("nope", 404), ("-bad", 422), ("a%20b", 422)])
def test_unknown_and_invalid_names(
    client: TestClient, user: Account, name: str, status: int
) -> None:
    code = "not_found" if status == 404 else "invalid_parameter"
    for method, suffix in ROUTES:
        response = client.request(method, f"{API}/{name}{suffix}", headers=user.headers)
        error = assert_error(response, status, code)
        if status == 422:
            assert error["field"] == "name", (method, suffix)


def test_signed_out(client: TestClient) -> None:
    assert_error(client.get(API), 401, "unauthenticated")
    assert_error(client.get(f"{API}/x/query"), 401, "unauthenticated")


def _ledger(client: TestClient, user: Account) -> list[tuple[str, str]]:
    entries = services(client).accounts.ledger.entries(user.id)
    return [(e.kind.value, e.operation) for e in reversed(entries)]


def test_cleaning_is_metered_and_a_retried_apply_never_runs_twice(
    client: TestClient, user: Account, sensors: str
) -> None:
    recipe = {"recipe": [{"op": "shift_time", "by": "1h"}]}
    url = f"/api/v1/datasets/{sensors}/clean"
    before = len(_ledger(client, user))
    preview = {**recipe, "dry_run": True}
    counts = []
    for _ in range(2):  # a retried preview is free
        dry = client.post(url, json=preview, headers=user.headers | {"Idempotency-Key": "p1"})
        assert dry.status_code == 200, dry.text
        counts.append(len(_ledger(client, user)))
    assert _ledger(client, user)[before] == ("debit", "clean")
    # the reservation and its settlement (none when the run used exactly the estimate), once
    assert counts[0] == counts[1] and counts[0] - before in (1, 2)
    once = user.headers | {"Idempotency-Key": "c1"}
    applied = client.post(url, json=recipe, headers=once)
    assert applied.status_code == 200, applied.text
    version = client.get(f"/api/v1/datasets/{sensors}", headers=user.headers).json()["version"]
    again = client.post(url, json=recipe, headers=once)
    assert "not run twice" in str(assert_error(again, 409, "conflict")["message"])
    after = client.get(f"/api/v1/datasets/{sensors}", headers=user.headers).json()["version"]
    assert after == version  # shifted once, not twice
    assert ("debit", "clean") in _ledger(client, user)[counts[1] :]


def test_cleaning_without_hours_answers_402_and_changes_nothing(
    client: TestClient, user: Account, sensors: str
) -> None:
    shared = services(client)
    balance = shared.accounts.ledger.balance_ms(user.id)
    shared.accounts.ledger.debit(user.id, balance, "drain", operation="test")
    response = client.post(
        f"/api/v1/datasets/{sensors}/clean",
        json={"recipe": [{"op": "drop_nulls"}]},
        headers=user.headers,
    )
    assert_error(response, 402, "insufficient_hours")
    history = client.get(f"/api/v1/datasets/{sensors}/history", headers=user.headers).json()
    assert len(history) == 1


def test_profiling_again_is_metered_above_the_threshold(
    tmp_path: object, client: TestClient, user: Account, sensors: str
) -> None:
    shared = services(client)
    url = f"/api/v1/datasets/{sensors}/profile"
    before = len(_ledger(client, user))
    assert client.get(url, headers=user.headers).status_code == 200
    assert client.get(url + "?refresh=true", headers=user.headers).status_code == 200
    assert len(_ledger(client, user)) == before  # 1,080 rows: under the threshold
    shared.settings.metered_query_rows = 100
    try:
        assert client.get(url, headers=user.headers).status_code == 200  # stored: free
        assert len(_ledger(client, user)) == before
        assert client.get(url + "?refresh=true", headers=user.headers).status_code == 200
        assert ("debit", "profile") in _ledger(client, user)[before:]
    finally:
        shared.settings.metered_query_rows = 1_000_000

"""The query cache through the app: a repeated aggregate or query is a hit with the same answer;
a write, a re-created dataset or another user never sees a stale or foreign entry; Redis lost,
unreachable or back never fails a request; the admin route shows the counts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient
from polars.testing import assert_frame_equal

from tests.api.conftest import Account, assert_error, make_admin, make_settings, services, signup
from tests.api.test_data import DECODERS, parse_times, zone_of
from tests.api.test_upload import upload, upload_sensors
from tests.services import RedisProcess, free_port
from variosync.api import create_app
from variosync.query import Agg, Query
from variosync.settings import Settings

API = "/api/v1/datasets/sensors"
HOURLY = Query(every="1h", aggs=(Agg.MEAN,))
EXTRA = (
    b"timestamp,sensor,temperature,humidity\n"
    b"2024-01-15T06:00:00Z,outdoor,99.0,10.0\n"
    b"2024-01-15T20:00:00Z,outdoor,5.0,50.0\n"
)
"""A second upload: changes a point of the sample and adds a later one (a new hour)."""


@pytest.fixture(params=["redis", "memory"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """The app of every test here, once with Redis and once with the in-process cache."""
    overrides: dict[str, object] = {}
    if request.param == "redis":
        overrides["redis_url"] = request.getfixturevalue("redis_url")
    return make_settings(tmp_path / "home", **overrides)


def cache_stats(client: TestClient, admin: Account) -> dict[str, Any]:
    response = client.get("/api/v1/admin/cache", headers=admin.headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def get(client: TestClient, account: Account, path: str) -> bytes:
    response = client.get(path, headers=account.headers)
    assert response.status_code == 200, response.text
    return response.content


def hourly(client: TestClient, account: Account, fmt: str = "arrow", **params: str) -> pl.DataFrame:
    """The hourly means through the route, decoded."""
    extra = "".join(f"&{k}={v}" for k, v in params.items())
    body = get(client, account, f"{API}/query?every=1h&agg=mean&format={fmt}{extra}")
    return DECODERS[fmt](body, "UTC")


def expected(client: TestClient, account: Account, as_of: int | None = None) -> pl.DataFrame:
    """The hourly means through the Python API (never cached)."""
    return services(client).service.as_owner(account.id).query("sensors", HOURLY, as_of)


def aggregates(client: TestClient, account: Account, query: str = "") -> pl.DataFrame:
    body = client.get(f"{API}/aggregates?every=1h{query}", headers=account.headers)
    assert body.status_code == 200, body.text
    return parse_times(pl.DataFrame(body.json()))


@pytest.mark.parametrize(
    "path",
    [
        "/aggregates?every=1h",
        "/query?every=1h&agg=mean",
        "/query?every=1h&agg=mean&format=arrow",
        "/query?every=15m&agg=max,min&format=csv&tz=Europe/Berlin",
        "/query?series=outdoor&start=2024-01-15T08:00:00Z",
        "/query?latest=true&format=jsonl",
    ],
)
def test_a_repeated_request_is_a_hit_with_the_same_answer(
    client: TestClient, user: Account, admin: Account, path: str
) -> None:
    upload_sensors(client, user)
    first = get(client, user, API + path)
    before = cache_stats(client, admin)
    assert (before["misses"], before["stores"], before["hits"]) == (1, 1, 0)
    assert get(client, user, API + path) == first
    after = cache_stats(client, admin)
    assert (after["misses"], after["stores"], after["hits"]) == (1, 1, 1)
    assert after["backend"] == client.app.state.services.cache.backend  # type: ignore[attr-defined]
    assert after["backend"] in ("redis", "memory")


def test_cached_answers_match_the_python_api(
    client: TestClient, user: Account, admin: Account
) -> None:
    upload_sensors(client, user)
    for fmt in DECODERS:
        for _ in range(2):
            found = hourly(client, user, fmt)
            want = expected(client, user)
            assert_frame_equal(found, want.with_columns(pl.col("ts").dt.convert_time_zone("UTC")))
    # the same query spelled differently is the same entry
    one = get(client, user, f"{API}/query?series=outdoor,greenhouse-1&every=60m&agg=mean,mean")
    hits = cache_stats(client, admin)["hits"]
    other = get(client, user, f"{API}/query?series=greenhouse-1&series=outdoor&every=1h&agg=mean")
    assert other == one and cache_stats(client, admin)["hits"] == hits + 1
    assert zone_of(DECODERS["arrow"](get(client, user, f"{API}/query?format=arrow"), "")) == "UTC"


def test_a_write_makes_cached_answers_unreachable(client: TestClient, user: Account) -> None:
    upload_sensors(client, user)
    old_means, old_counts = hourly(client, user), aggregates(client, user)
    assert hourly(client, user).equals(old_means)  # cached now

    assert upload(client, user, "sensors", [("extra.csv", EXTRA)]).status_code == 200
    new_means, new_counts = hourly(client, user), aggregates(client, user)
    assert_frame_equal(new_means, expected(client, user), check_dtypes=False)
    assert not new_means.equals(old_means)
    assert new_counts.height == old_counts.height + 1
    assert new_counts["points"].sum() == old_counts["points"].sum() + 1

    # the old version is still what it was (and may come from the cache)
    assert_frame_equal(hourly(client, user, as_of="0"), old_means)
    assert_frame_equal(aggregates(client, user, "&as_of=0"), old_counts)
    assert_frame_equal(hourly(client, user, as_of="0"), expected(client, user, 0))


def test_a_restore_or_clean_is_a_new_version_the_cache_does_not_mistake(
    client: TestClient, user: Account
) -> None:
    upload_sensors(client, user)
    original = hourly(client, user)
    assert upload(client, user, "sensors", [("extra.csv", EXTRA)]).status_code == 200
    changed = hourly(client, user)
    assert hourly(client, user).equals(changed)  # cached now

    restored = client.post(f"{API}/restore", json={"version": 0}, headers=user.headers)
    assert restored.status_code == 200, restored.text
    assert_frame_equal(hourly(client, user), original)

    recipe = {
        "recipe": [{"op": "filter", "where": [{"field": "temperature", "cmp": "<", "value": 5}]}]
    }
    cleaned = client.post(f"{API}/clean", json=recipe, headers=user.headers)
    assert cleaned.status_code == 200, cleaned.text
    after = hourly(client, user)
    assert_frame_equal(after, expected(client, user), check_dtypes=False)
    assert after.height < original.height


def test_a_recreated_dataset_never_answers_with_the_old_data(
    client: TestClient, user: Account
) -> None:
    upload_sensors(client, user)
    old = hourly(client, user)
    assert hourly(client, user).equals(old)
    assert client.delete(API, headers=user.headers).status_code == 204
    assert upload(client, user, "sensors", [("extra.csv", EXTRA)]).status_code == 200
    fresh = hourly(client, user)
    assert fresh["series_id"].unique().to_list() == ["outdoor"]
    assert_frame_equal(fresh, expected(client, user), check_dtypes=False)
    assert aggregates(client, user)["points"].sum() == 2


def test_users_never_share_entries(client: TestClient, user: Account, other: Account) -> None:
    upload_sensors(client, user)
    assert upload(client, other, "sensors", [("extra.csv", EXTRA)]).status_code == 200
    mine = hourly(client, user)
    assert hourly(client, user).equals(mine)
    theirs = hourly(client, other)
    assert_frame_equal(theirs, expected(client, other), check_dtypes=False)
    assert theirs.height == 2 and not theirs.equals(mine)
    assert aggregates(client, other)["points"].sum() == 2


def test_the_counts_are_for_admins_only(client: TestClient, user: Account) -> None:
    assert_error(client.get("/api/v1/admin/cache", headers=user.headers), 403, "forbidden")


@pytest.fixture
def lost_and_found(tmp_path: Path, redis_server: RedisProcess) -> Iterator[TestClient]:
    settings = make_settings(tmp_path / "home", redis_url=redis_server.url, redis_retry_s=0.2)
    with TestClient(create_app(settings)) as client:
        yield client


def test_redis_lost_mid_run_and_back(
    lost_and_found: TestClient, redis_server: RedisProcess
) -> None:
    client = lost_and_found
    user, admin = signup(client, hours=10), make_admin(client)
    upload_sensors(client, user)
    want = hourly(client, user)
    assert hourly(client, user).equals(want)
    assert cache_stats(client, admin)["hits"] == 1

    redis_server.stop()
    for _ in range(3):
        assert hourly(client, user).equals(want)
        assert_frame_equal(aggregates(client, user), aggregates(client, user))
    stats = cache_stats(client, admin)
    assert stats["hits"] == 1 and stats["bypasses"] >= 6
    assert redis_server.password is not None
    assert redis_server.password not in str(stats) and str(redis_server.port) not in str(stats)

    redis_server.start()  # empty again; the server finds it without a restart
    deadline = time.monotonic() + 10
    while cache_stats(client, admin)["hits"] == 1 and time.monotonic() < deadline:
        assert hourly(client, user).equals(want)
        time.sleep(0.05)
    assert cache_stats(client, admin)["hits"] > 1


def test_redis_unreachable_from_the_start(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    with TestClient(create_app(make_settings(tmp_path / "home", redis_url=url))) as client:
        user, admin = signup(client, hours=10), make_admin(client)
        upload_sensors(client, user)
        for _ in range(2):
            assert_frame_equal(hourly(client, user), expected(client, user), check_dtypes=False)
            assert aggregates(client, user)["points"].sum() == 1080
        stats = cache_stats(client, admin)
        assert stats["backend"] == "redis" and stats["hits"] == 0 and stats["bypasses"] >= 1


def test_the_cache_can_be_turned_off(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path / "home", cache_ttl_s=0))) as client:
        user, admin = signup(client, hours=10), make_admin(client)
        upload_sensors(client, user)
        for _ in range(2):
            assert_frame_equal(hourly(client, user), expected(client, user), check_dtypes=False)
            assert aggregates(client, user)["points"].sum() == 1080
        assert set(cache_stats(client, admin).values()) == {"off", 0}

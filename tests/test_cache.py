"""The query-result cache: keys (normalised queries), the in-process LRU (bytes, TTL, too-large
results), and Redis: a round trip, and Redis lost and back without an error."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
import redis
from polars.testing import assert_frame_equal

from tests.services import RedisProcess, free_port
from variosync.cache import (
    REDIS_PREFIX,
    ResultCache,
    interval_key,
    query_params,
    result_key,
    result_rows,
)
from variosync.errors import UsageError
from variosync.query import Query
from variosync.redis_link import RedisLink
from variosync.selection import API_SPELLING, build_query
from variosync.settings import Settings

FRAME_BYTES = 8_000


def frame(seed: int = 0) -> pl.DataFrame:
    """A frame of exactly FRAME_BYTES (1,000 float64 values)."""
    return pl.DataFrame({"x": [float(seed)] * 1000})


def make_cache(
    tmp_path: Path,
    url: str | None = None,
    clock: list[float] | None = None,
    **overrides: object,
) -> ResultCache:
    values: dict[str, object] = {"home": tmp_path, "redis_retry_s": 0.2} | overrides
    if url is not None:
        values["redis_url"] = url
    settings = Settings(**values)  # type: ignore[arg-type]
    link = RedisLink(settings.redis_url, settings.redis_retry_s)
    if clock is None:
        return ResultCache(link, settings)
    return ResultCache(link, settings, clock=lambda: clock[0])


def key_of(dataset: str = "d1", version: int = 3, zone: str | None = None, **params: object) -> str:
    query = build_query(spelling=API_SPELLING, **params)  # type: ignore[arg-type]
    return result_key(dataset, version, zone, "query", query_params(query))


SAME = [
    ({"series": ["b,a"]}, {"series": ["a", "b", "a"]}),
    ({"every": "1h", "agg": "mean"}, {"every": "60m", "agg": "mean,mean"}),
    ({"every": "15min", "agg": "max"}, {"every": "900s", "agg": "max"}),
    ({"start": "2024-01-15"}, {"start": "2024-01-15T00:00:00"}),
    ({"start": "2024-01-15T01:00:00+01:00"}, {"start": "2024-01-15T00:00:00Z"}),
    ({"fields": "t,h,t"}, {"fields": "t,h"}),
    ({}, {"fields": ""}),
]
DIFFERENT = [
    ({"fields": "t,h"}, {"fields": "h,t"}),  # the columns come in this order
    ({"every": "1h", "agg": "mean,max"}, {"every": "1h", "agg": "max,mean"}),
    ({"every": "1d"}, {"every": "24h"}),  # a day follows the display zone's calendar
    ({"start": "2024-01-15T00:00:00"}, {"start": "2024-01-15T00:00:00Z"}),  # wall vs instant
    ({"every": "1h", "agg": "mean"}, {"every": "1h", "agg": "mean", "fill": "null"}),
    ({}, {"latest": True}),
    ({"limit": 10}, {"limit": 11}),
    ({"series": ["a"]}, {"series": ["a", "b"]}),
]


@pytest.mark.parametrize(("one", "other"), SAME)
def test_a_query_spelled_differently_has_the_same_key(
    one: dict[str, object], other: dict[str, object]
) -> None:
    assert key_of(**one) == key_of(**other)


@pytest.mark.parametrize(("one", "other"), DIFFERENT)
def test_a_different_query_has_another_key(
    one: dict[str, object], other: dict[str, object]
) -> None:
    assert key_of(**one) != key_of(**other)


def test_what_was_read_is_part_of_the_key() -> None:
    base = key_of()
    assert len(base) == 64 and int(base, 16) >= 0
    assert key_of(version=4) != base
    assert key_of(dataset="d2") != base
    assert key_of(zone="Europe/Berlin") != base
    assert key_of(zone="UTC") == base  # no zone is UTC
    params = query_params(Query())
    assert result_key("d1", 3, None, "aggregates", params) != result_key(
        "d1", 3, None, "query", params
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1h", "3600000000us"), ("15min", "900000000us"), ("1000ns", "1us"), ("1d", "1d")],
)
def test_interval_key(text: str, expected: str) -> None:
    assert interval_key(text) == expected


def test_interval_key_refuses_what_the_query_refuses() -> None:
    with pytest.raises(UsageError):
        interval_key("soon")


SPAN = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 11, tzinfo=UTC))  # 240 h


@pytest.mark.parametrize(
    ("params", "touched", "expected"),
    [
        ({}, 5_000_000, 5_000_000),  # a plain selection returns what it reads
        ({"every": "1h"}, 5_000_000, 241 * 100),  # a bucket per hour and series
        ({"every": "1h", "series": ["a"]}, 50_000, 241),
        ({"every": "1h"}, 1_000, 1_000),  # never more than it reads
        ({"latest": True}, 5_000_000, 100),
        ({"limit": 7}, 5_000_000, 7),
    ],
)
def test_result_rows(params: dict[str, object], touched: int, expected: int) -> None:
    query = build_query(spelling=API_SPELLING, **params)  # type: ignore[arg-type]
    assert result_rows(query, touched, SPAN, 100) == expected


def test_memory_lru_evicts_the_least_recently_used_by_bytes(tmp_path: Path) -> None:
    cache = make_cache(tmp_path, cache_max_bytes=8 * FRAME_BYTES)
    assert cache.backend == "memory"
    for i in range(8):
        cache.put(f"k{i}", frame(i))
    assert cache.stats()["bytes"] == 8 * FRAME_BYTES
    found = cache.get("k0")  # k0 is now the most recently used; k1 the least
    assert found is not None and found["x"][0] == 0.0
    cache.put("k8", frame(8))
    assert cache.get("k1") is None
    assert cache.get("k0") is not None and cache.get("k8") is not None
    stats = cache.stats()
    assert stats["entries"] == 8 and stats["bytes"] == 8 * FRAME_BYTES
    assert (stats["hits"], stats["misses"], stats["stores"]) == (3, 1, 9)


def test_memory_entries_expire(tmp_path: Path) -> None:
    now = [1000.0]
    cache = make_cache(tmp_path, clock=now, cache_ttl_s=60)
    cache.put("k", frame())
    now[0] += 59
    assert cache.get("k") is not None
    now[0] += 1
    assert cache.get("k") is None
    assert cache.stats()["entries"] == 0 and cache.stats()["bytes"] == 0


def test_a_result_over_an_eighth_of_the_cap_is_not_kept(tmp_path: Path, redis_url: str) -> None:
    for url in (None, redis_url):
        cache = make_cache(tmp_path, url, cache_max_bytes=8 * FRAME_BYTES - 8)
        cache.put("big", frame())
        assert cache.get("big") is None
        assert cache.stats()["skipped_too_large"] == 1 and cache.stats()["stores"] == 0
    assert redis.Redis.from_url(redis_url).keys("*") == []


def test_ttl_zero_turns_the_cache_off(tmp_path: Path, redis_url: str) -> None:
    cache = make_cache(tmp_path, redis_url, cache_ttl_s=0)
    cache.put("k", frame())
    assert cache.get("k") is None
    assert cache.backend == "off" and not cache.enabled
    assert set(cache.stats().values()) == {"off", 0}


def test_redis_round_trip(tmp_path: Path, redis_url: str) -> None:
    cache = make_cache(tmp_path, redis_url, cache_ttl_s=120)
    stamps = [datetime(2024, 1, 15, h, tzinfo=UTC) for h in range(3)]
    result = pl.DataFrame(
        {"series_id": ["a", "a", "b"], "ts": stamps, "v": [1.5, None, 3.0], "n": [1, 2, 3]}
    ).with_columns(pl.col("ts").dt.convert_time_zone("Europe/Berlin"))
    assert cache.backend == "redis"
    assert cache.get("k") is None
    cache.put("k", result)
    found = cache.get("k")
    assert found is not None
    assert_frame_equal(found, result)
    stored = redis.Redis.from_url(redis_url)
    assert stored.keys("*") == [(REDIS_PREFIX + "k").encode()]
    assert 0 < stored.ttl(REDIS_PREFIX + "k") <= 120
    assert cache.stats() == {
        "backend": "redis",
        "hits": 1,
        "misses": 1,
        "bypasses": 0,
        "stores": 1,
        "skipped_too_large": 0,
        "refused": 0,
    }


def test_a_damaged_value_is_a_miss_and_is_dropped(tmp_path: Path, redis_url: str) -> None:
    cache = make_cache(tmp_path, redis_url)
    stored = redis.Redis.from_url(redis_url)
    stored.set(REDIS_PREFIX + "k", b"not arrow at all")
    assert cache.get("k") is None
    assert stored.get(REDIS_PREFIX + "k") is None
    cache.put("k", frame(3))
    assert_frame_equal(cache.get("k"), frame(3))  # type: ignore[arg-type]


def test_a_full_redis_refuses_a_result_without_an_outage(tmp_path: Path, redis_url: str) -> None:
    cache = make_cache(tmp_path, redis_url)
    stored = redis.Redis.from_url(redis_url)
    used = int(stored.info("memory")["used_memory"])
    stored.config_set("maxmemory-policy", "noeviction")
    stored.config_set("maxmemory", used + 4096)
    try:
        cache.put("big", pl.DataFrame({"x": list(range(200_000))}))
        assert cache.stats()["refused"] == 1
        assert cache.stats()["bypasses"] == 0
        assert cache._link.state() == "ok" and cache._link.client() is not None
    finally:
        stored.config_set("maxmemory", 0)


def test_redis_lost_and_back(tmp_path: Path, redis_server: RedisProcess) -> None:
    cache = make_cache(tmp_path, redis_server.url)
    cache.put("k", frame(1))
    assert cache.get("k") is not None

    redis_server.stop()
    cache.put("k2", frame(2))  # neither raises
    assert cache.get("k") is None
    assert cache.get("k2") is None
    assert cache.stats()["bypasses"] == 3

    redis_server.start()  # empty: it keeps nothing on disk
    deadline = time.monotonic() + 10
    while cache.get("k") is None and time.monotonic() < deadline:
        cache.put("k", frame(3))
        time.sleep(0.05)
    found = cache.get("k")
    assert found is not None and found["x"][0] == 3.0


def test_redis_unreachable_from_the_start(tmp_path: Path) -> None:
    cache = make_cache(tmp_path, f"redis://127.0.0.1:{free_port()}/0")
    cache.put("k", frame())
    assert cache.get("k") is None
    stats = cache.stats()
    assert stats["backend"] == "redis" and stats["bypasses"] == 2 and stats["stores"] == 0


def test_the_redis_password_is_never_in_the_stats(
    tmp_path: Path, redis_server: RedisProcess
) -> None:
    cache = make_cache(tmp_path, redis_server.url)
    assert redis_server.password is not None
    assert redis_server.password not in repr(cache.stats())

"""The query-result cache: results and chart data keyed by what was read and how.

A key names the dataset's table id, the Delta version read, the zone times are shown in, the
operation and its normalised parameters. A write makes a new version and a re-created dataset
gets a new id, so a stale entry is never looked up again: nothing is invalidated, entries just
age out. Values are polars frames: in Redis (shared by every server process) as compressed
Arrow IPC, else in this process's least-recently-used store bounded by ``cache_max_bytes``.

Redis is optional at every call: when it is down the cache is bypassed (counted), the request
goes on uncached, and the :class:`~variosync.redis_link.RedisLink` tries it again later.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Literal

import polars as pl
import redis

from variosync.query import Fill, Query, interval_micros, parse_duration
from variosync.redis_link import KEY_PREFIX, REDIS_ERRORS, RedisLink
from variosync.selection import filled_rows
from variosync.settings import Settings

REDIS_PREFIX = KEY_PREFIX + "cache:"
CACHED_ROWS = 200_000
"""Query results expected to hold up to this many rows are collected and cached; larger ones
stream in bounded memory, uncached."""
IPC_COMPRESSION: Literal["zstd"] = "zstd"
"""Measured on a 167k-row hourly resample: zstd is half lz4's size (2.2 vs 4.2 MB) for 4 ms
more to write and 1.5 ms more to read."""

Backend = Literal["redis", "memory", "off"]
_FIXED_UNITS = ("us", "ms", "s", "m", "h")
"""Interval units cut in UTC whatever the zone: 60m and 1h make the same buckets."""


def interval_key(every: str) -> str:
    """An interval as the key spells it (``15min`` → ``900000000us``); UsageError if invalid."""
    polars_form = parse_duration(every)
    if polars_form.lstrip("0123456789") in _FIXED_UNITS:
        return f"{interval_micros(every)}us"
    return polars_form


def _instant(value: datetime | None) -> list[object] | None:
    """A bound as integer microseconds, tagged: an aware time is an instant (UTC), a naive
    one a wall-clock time of the display zone."""
    if value is None:
        return None
    tag = "utc" if value.tzinfo is not None else "wall"
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return [tag, (aware - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)]


def query_params(query: Query) -> dict[str, object]:
    """A query's parameters as the key holds them: series sorted (their order does not change
    the result), fields and aggregates deduplicated in order (theirs names the columns). The
    zone is not among them: the key holds the zone the result is shown in."""
    return {
        "series": sorted(set(query.series)),
        "start": _instant(query.start),
        "end": _instant(query.end),
        "fields": list(dict.fromkeys(query.fields)),
        "every": interval_key(query.every) if query.every else None,
        "aggs": [agg.value for agg in dict.fromkeys(query.aggs)],
        "fill": query.fill.value if query.fill else None,
        "latest": query.latest,
        "limit": query.limit,
    }


def result_rows(
    query: Query, touched: int, span: tuple[datetime, datetime] | None, series_count: int
) -> int:
    """Rows a query's result may hold, from the rows it may touch (``billing.query_rows``):
    a resample at most a row per bucket and series, latest points one per series."""
    rows = touched
    if query.every and span is not None:
        grid = filled_rows(replace(query, fill=query.fill or Fill.NULL), span, series_count)
        rows = grid if query.fill else min(touched, grid)
    if query.latest:
        rows = min(rows, min(len(query.series), series_count) if query.series else series_count)
    if query.limit is not None:
        rows = min(rows, query.limit)
    return rows


def result_key(
    dataset_id: str, version: int, zone: str | None, operation: str, params: Mapping[str, object]
) -> str:
    """The SHA-256 (hex) of the canonical JSON of what a result depends on."""
    what = {"dataset": dataset_id, "version": version, "zone": zone or "UTC", "op": operation}
    text = json.dumps(what | {"params": params}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class _Lru:
    """Frames by key, least recently used first, within ``max_bytes`` and a time to live."""

    def __init__(self, max_bytes: int, clock: Callable[[], float]) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, int, pl.DataFrame]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> pl.DataFrame | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            expires, size, frame = found
            if self._clock() >= expires:
                del self._entries[key]
                self.bytes -= size
                return None
            self._entries.move_to_end(key)
            return frame

    def put(self, key: str, frame: pl.DataFrame, size: int, ttl_s: float) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            while self._entries and self.bytes + size > self.max_bytes:
                _, (_, evicted, _) = self._entries.popitem(last=False)
                self.bytes -= evicted
            self._entries[key] = (self._clock() + ttl_s, size, frame)
            self.bytes += size


class ResultCache:
    """Query results and chart data by :func:`result_key`: in Redis when configured, else in
    this process. Never raises for Redis: a failed call counts as a bypass."""

    def __init__(
        self, link: RedisLink, settings: Settings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._link = link
        self.ttl_s = settings.cache_ttl_s
        self.largest = settings.cache_max_bytes // 8
        """Bytes (in memory) of the largest result cached."""
        self._local = _Lru(settings.cache_max_bytes, clock)
        self._counts = dict.fromkeys(
            ("hits", "misses", "bypasses", "stores", "skipped_too_large", "refused"), 0
        )
        self._lock = threading.Lock()

    @property
    def backend(self) -> Backend:
        """Where results are kept: redis, memory (this process), or off (``cache_ttl_s`` 0)."""
        if self.ttl_s == 0:
            return "off"
        return "redis" if self._link.configured else "memory"

    @property
    def enabled(self) -> bool:
        """Whether results are cached at all."""
        return self.ttl_s > 0

    def get(self, key: str) -> pl.DataFrame | None:
        """The cached result of ``key``, or None (a miss, a bypass, or the cache is off)."""
        if self.backend == "off":
            return None
        if self.backend == "memory":
            frame = self._local.get(key)
        else:
            client = self._client()
            if client is None:
                return None
            try:
                blob = client.get(REDIS_PREFIX + key)
            except REDIS_ERRORS as exc:
                self._failed(exc, "reading the query cache")
                return None
            self._link.succeeded()
            frame = self._decoded(client, key, blob)
        self._count("hits" if frame is not None else "misses")
        return frame

    def put(self, key: str, frame: pl.DataFrame) -> None:
        """Keep ``frame`` as the result of ``key`` for ``cache_ttl_s`` (unless too large)."""
        if self.backend == "off":
            return
        size = int(frame.estimated_size())
        if size > self.largest:
            self._count("skipped_too_large")
            return
        if self.backend == "memory":
            self._local.put(key, frame, size, self.ttl_s)
        else:
            client = self._client()
            if client is None:
                return
            buffer = io.BytesIO()
            frame.write_ipc(buffer, compression=IPC_COMPRESSION)
            try:
                client.set(REDIS_PREFIX + key, buffer.getvalue(), ex=self.ttl_s)
            except redis.ResponseError:
                # Redis answered but refused (full under `noeviction`): not an outage — the
                # limits and sessions in it go on; this result is just not kept
                self._count("refused")
                return
            except REDIS_ERRORS as exc:
                self._failed(exc, "writing the query cache")
                return
            self._link.succeeded()
        self._count("stores")

    def _decoded(self, client: redis.Redis, key: str, blob: object) -> pl.DataFrame | None:
        """The frame of a Redis value; None (and the value dropped) when it is not one —
        written by another version, or damaged — so a bad entry costs one miss, not a 500."""
        if not isinstance(blob, bytes):
            return None
        try:
            return pl.read_ipc(io.BytesIO(blob))
        except BaseException as exc:
            # polars reports some damaged bytes by a Rust panic (pyo3's PanicException, a
            # BaseException): that is a bad entry too; interrupts and exits are not
            if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
                raise
            with contextlib.suppress(*REDIS_ERRORS):
                client.delete(REDIS_PREFIX + key)
            return None

    def _client(self) -> redis.Redis | None:
        """Redis, or None: it failed lately (a bypass)."""
        client = self._link.client()
        if client is None:
            self._count("bypasses")
        return client

    def _failed(self, exc: BaseException, doing: str) -> None:
        self._link.failed(exc, doing)
        self._count("bypasses")

    def _count(self, what: str) -> None:
        with self._lock:
            self._counts[what] += 1

    def stats(self) -> dict[str, int | str]:
        """The backend, hits, misses, bypasses (Redis down), stores, results too large to
        keep, and for the in-process backend its entries and bytes."""
        with self._lock:
            found: dict[str, int | str] = {"backend": self.backend, **self._counts}
        if self.backend == "memory":
            found |= {"entries": len(self._local), "bytes": self._local.bytes}
        return found

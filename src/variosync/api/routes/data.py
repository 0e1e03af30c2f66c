"""Reading a dataset: the CLI's query (streamed as json, jsonl, csv, parquet or Arrow),
aggregates, and exports as file downloads. Large queries and every export are metered.

The routes are plain functions: FastAPI runs them in its thread pool, where they validate the
query, reserve the estimated cost and wait for the first chunk before the headers go out.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import partial
from typing import Annotated, Any, BinaryIO

import polars as pl
from fastapi import APIRouter, Request
from fastapi import Query as QueryParam
from pydantic import AfterValidator
from starlette.responses import StreamingResponse

from variosync.api.actions import selected_rows
from variosync.api.deps import ClientIP, CurrentUser, IdempotencyKey, ServiceDep, ServicesDep
from variosync.api.exporting import ExportFile, export_response
from variosync.api.params import AsOf, DatasetName, SelectionDep
from variosync.api.responses import (
    QueryFormat,
    negotiate,
    streamed,
    write_query,
)
from variosync.api.views import frame_rows
from variosync.billing import QUERY_ROWS_PER_S, estimate_rows
from variosync.cache import (
    CACHED_ROWS,
    ResultCache,
    interval_key,
    query_params,
    result_key,
    result_rows,
)
from variosync.catalog import Dataset
from variosync.export import COMPRESSIONS, EXPORT_FORMATS
from variosync.service import Variosync
from variosync.store.versions import version_to_read

router = APIRouter(prefix="/datasets/{name}", tags=["data"])

_STREAMS: dict[int | str, dict[str, Any]] = {
    200: {"content": {fmt.media_type: {} for fmt in QueryFormat}}
}


def _format_name(value: str) -> str:
    if value not in EXPORT_FORMATS:
        raise ValueError(f"choose one of: {', '.join(EXPORT_FORMATS)}")
    return value


def _compression(value: str | None) -> str | None:
    if value is not None and value != "none" and value not in COMPRESSIONS:
        raise ValueError(f"choose one of: {', '.join(COMPRESSIONS)}, none")
    return None if value == "none" else value


ExportFormatParam = Annotated[
    str,
    AfterValidator(_format_name),
    QueryParam(
        alias="format",
        description="File format: " + ", ".join(EXPORT_FORMATS),
        json_schema_extra={"enum": list(EXPORT_FORMATS)},
    ),
]
CompressionParam = Annotated[
    str | None,
    AfterValidator(_compression),
    QueryParam(
        description="Compress the file: " + ", ".join(COMPRESSIONS) + " (default: none)",
        json_schema_extra={"enum": [*COMPRESSIONS, "none"]},
    ),
]


@router.get(
    "/query",
    summary="Query points (streamed); metered above VARIOSYNC_METERED_QUERY_ROWS",
    response_class=StreamingResponse,
    responses=_STREAMS,
)
def query(
    name: DatasetName,
    selection: SelectionDep,
    request: Request,
    service: ServiceDep,
    shared: ServicesDep,
    user: CurrentUser,
    ip: ClientIP,
    key: IdempotencyKey,
    fmt: Annotated[
        QueryFormat | None,
        QueryParam(alias="format", description="Response format (default: by Accept, else json)"),
    ] = None,
) -> StreamingResponse:
    """Filter by series and time, pick fields, resample with aggregates, fill, latest points,
    limit — ``variosync query``. Rows come sorted by series and time; JSON is an array of row
    objects with ISO 8601 times (UTC, or the zone of ``tz`` / the dataset). A result expected
    to be small is cached (see ``variosync.cache``)."""
    chosen = negotiate(fmt, request.headers.get("accept"))
    record = service.catalog.get(name)
    spec, as_of = selection.query, selection.as_of
    version = _version_read(record, as_of)
    span = (record.start, record.end) if record.start and record.end else None
    rows = selected_rows(service, record, spec, as_of)
    write: Callable[[BinaryIO], object]
    small = result_rows(spec, rows, span, record.series_count) <= CACHED_ROWS
    cached = None
    if version is not None and small and shared.cache.enabled:
        zone = spec.tz or _zone_read(service, record, version)
        cached = result_key(record.id, version, zone, "query", query_params(spec))
    hit = shared.cache.get(cached) if cached is not None else None
    if hit is not None:
        write = partial(_write_frame, hit, fmt=chosen)
    elif cached is not None:
        lazy = service.query_lazy(name, spec, version)  # a bad field fails here
        write = partial(_write_frame, lazy, fmt=chosen, cache=(shared.cache, cached))
    else:
        batches = service.stream(name, spec, as_of)  # a bad field or zone fails here
        write = partial(write_query, batches, fmt=chosen)
    guard: AbstractContextManager[object] | None = None
    if rows > shared.settings.metered_query_rows:
        estimate = estimate_rows(rows, QUERY_ROWS_PER_S)
        guard = shared.meter.metered(user, "query", name, estimate, key, ip)
    return streamed(write, chosen.media_type, guard=guard)


def _version_read(record: Dataset, as_of: int | None) -> int | None:
    """The version a read opens (NotFoundError if missing); None when the dataset holds no
    data yet (the facade says so)."""
    return None if record.version < 0 else version_to_read(record.version, as_of)


def _zone_read(service: Variosync, record: Dataset, version: int) -> str | None:
    """The display zone of the version read (an old version keeps its own), as the facade
    shows it: part of a cached result's key."""
    if version == record.version:
        return record.display_zone
    old = service.versions.get(record.id, version)
    return old.display_zone if old is not None else record.display_zone


def _write_frame(
    result: pl.DataFrame | pl.LazyFrame,
    out: BinaryIO,
    fmt: QueryFormat,
    cache: tuple[ResultCache, str] | None = None,
) -> int:
    """Write a cached result, or collect a query (in the metered writer), cache it and write
    it."""
    frame = result.collect() if isinstance(result, pl.LazyFrame) else result
    if cache is not None:
        cache[0].put(cache[1], frame)
    return write_query([frame], out, fmt)


@router.get("/aggregates", summary="Points and distinct series per time bucket")
def aggregates(
    name: DatasetName,
    service: ServiceDep,
    shared: ServicesDep,
    every: Annotated[str, QueryParam(description="Bucket width: 15m, 1h, 1d…")] = "1h",
    as_of: AsOf = None,
) -> list[dict[str, Any]]:
    """One row per bucket: its start (``ts``), ``points`` and ``series``; cached."""
    record = service.catalog.get(name)
    version = _version_read(record, as_of)
    if version is None:
        return frame_rows(service.aggregates(name, every, as_of))  # says there is no data
    key = result_key(record.id, version, None, "aggregates", {"every": interval_key(every)})
    frame = shared.cache.get(key)
    if frame is None:
        frame = service.aggregates(name, every, version)
        shared.cache.put(key, frame)
    return frame_rows(frame)


@router.get(
    "/export",
    summary="Download the dataset (or a query of it) as a file; metered",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def export(
    name: DatasetName,
    selection: SelectionDep,
    shared: ServicesDep,
    user: CurrentUser,
    ip: ClientIP,
    key: IdempotencyKey,
    fmt: ExportFormatParam = "csv",
    compression: CompressionParam = None,
) -> StreamingResponse:
    """``variosync export``: the file ``<dataset>.<ext>`` in any export format, compressed or
    not, streamed as it is written."""
    export_file = ExportFile(name, selection, fmt, compression)
    return export_response(shared, user, export_file, key, ip, estimate=estimate_rows)

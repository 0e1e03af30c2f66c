"""What travels between the CLI and a server: query parameters and upload form fields out,
JSON bodies and Arrow IPC streams back into the types the local facade returns."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from variosync.catalog import Dataset, Field
from variosync.errors import InputError, StorageError
from variosync.ingest import FileResult, IngestReport
from variosync.model import TS, IngestOptions
from variosync.query import Query
from variosync.service import DatasetInfo
from variosync.store import VersionInfo

if TYPE_CHECKING:
    from variosync.clean.recipe import Recipe
    from variosync.clean.run import StepReport
    from variosync.cleaning import CleanResult
    from variosync.quality import DatasetProfile

Params = list[tuple[str, str]]


# -- out ----------------------------------------------------------------------------------------


def query_params(query: Query | None, as_of: int | None) -> Params:
    """A query as the query route's parameters (times keep their offset, or lack of one)."""
    q = query or Query()
    params: Params = [("series", s) for s in q.series]
    if q.start is not None:
        params.append(("start", q.start.isoformat()))
    if q.end is not None:
        params.append(("end", q.end.isoformat()))
    if q.fields:
        params.append(("fields", ",".join(q.fields)))
    if q.every:
        params.append(("every", q.every))
    if q.aggs:
        params.append(("agg", ",".join(a.value for a in q.aggs)))
    if q.fill is not None:
        params.append(("fill", q.fill.value))
    if q.latest:
        params.append(("latest", "true"))
    if q.limit is not None:
        params.append(("limit", str(q.limit)))
    if q.tz:
        params.append(("tz", q.tz))
    if as_of is not None:
        params.append(("as_of", str(as_of)))
    return params


def ingest_form(options: IngestOptions) -> dict[str, str]:
    """Ingest options as the upload route's form fields (defaults left out)."""
    form = {"tz": options.tz}
    for name in ("time_col", "time_format", "series_col", "sheet"):
        value = getattr(options, name)
        if value is not None:
            form[name] = value
    if options.fields is not None:
        form["fields"] = ",".join(options.fields)
    if options.kind is not None:
        form["kind"] = options.kind.value
    if options.dayfirst:
        form["dayfirst"] = "true"
    if options.strict:
        form["strict"] = "true"
    return form


def check_files(paths: list[Path]) -> None:
    """The local ingest's checks, before anything is sent."""
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: no such file", hint="check the path and the file name")
        if path.is_dir():
            raise InputError(f"{path}: is a folder", hint="pass the files inside it")


# -- back ---------------------------------------------------------------------------------------


def items(found: Any) -> list[Any]:
    """A listing (a JSON array)."""
    if not isinstance(found, list):
        raise StorageError(
            "the server's answer has an unexpected shape",
            hint="the server may run another version of VarioSync than this CLI",
        )
    return found


def when(value: Any) -> datetime | None:
    """An ISO 8601 time (UTC when it has no offset)."""
    if value is None or value == "":
        return None
    stamp = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)


def dataset(data: Mapping[str, Any]) -> Dataset:
    """A catalog entry from its JSON."""
    created = when(data.get("created_at")) or datetime.fromtimestamp(0, UTC)
    return Dataset(
        id=str(data.get("id", "")),
        owner=str(data.get("owner", "")),
        name=str(data["name"]),
        kind=str(data.get("kind", "generic")),
        description=str(data.get("description") or ""),
        fields=tuple(
            Field(str(f["name"]), str(f.get("dtype", "")), f.get("unit"))
            for f in data.get("fields") or ()
        ),
        row_count=int(data.get("row_count", 0) or 0),
        series_count=int(data.get("series_count", 0) or 0),
        start=when(data.get("start")),
        end=when(data.get("end")),
        size_bytes=int(data.get("size_bytes", 0) or 0),
        version=int(data.get("version", -1)),
        created_at=created,
        updated_at=when(data.get("updated_at")) or created,
        display_zone=data.get("display_zone"),
    )


def dataset_info(data: Mapping[str, Any]) -> DatasetInfo:
    """A dataset's entry, version count and quality summary from the dataset route's JSON
    (``info --json``: the entry's fields plus ``versions``, ``series`` and ``quality``)."""
    quality = data.get("quality")
    return DatasetInfo(
        dataset(data),
        int(data.get("versions", 0) or 0),
        None if not quality else profile({"series": [], **quality}),
    )


def version(data: Mapping[str, Any]) -> VersionInfo:
    """One history entry."""
    stamp = when(data.get("timestamp"))
    assert stamp is not None, "a version has a time"
    meta = data.get("metadata") or {}
    return VersionInfo(
        int(data["version"]), stamp, str(data["operation"]), {k: str(v) for k, v in meta.items()}
    )


def profile(data: Mapping[str, Any]) -> DatasetProfile:
    """A quality profile from the JSON its ``to_dict`` wrote."""
    from variosync.quality import DatasetProfile

    return DatasetProfile.from_dict(data)


def _step(data: Mapping[str, Any]) -> StepReport:
    from variosync.clean.run import StepReport

    known = {f.name for f in fields(StepReport)}
    values = {k: v for k, v in data.items() if k in known}
    for name in ("fields_added", "fields_removed"):
        values[name] = tuple(values.get(name) or ())
    return StepReport(**values)


def _sample(rows: list[dict[str, Any]]) -> pl.DataFrame:
    if not rows:
        return pl.DataFrame()
    frame = pl.DataFrame(rows, infer_schema_length=None)
    if TS in frame.columns and frame.schema[TS] == pl.String:
        frame = frame.with_columns(pl.col(TS).str.to_datetime(time_zone="UTC"))
    return frame


def clean_result(data: Mapping[str, Any], recipe: Recipe) -> CleanResult:
    """What a cleaning did, from the JSON its ``to_dict`` wrote."""
    from variosync.cleaning import CleanResult

    sample = data.get("sample") or {}
    return CleanResult(
        dataset=str(data["dataset"]),
        recipe=recipe,
        steps=[_step(s) for s in data.get("steps") or ()],
        series=int(data.get("series", 0)),
        rows_before=int(data.get("rows_before", 0)),
        rows_after=int(data.get("rows_after", 0)),
        dry_run=bool(data.get("dry_run", False)),
        version=data.get("version"),
        duplicate_keys=int(data.get("duplicate_keys", 0) or 0),
        before=_sample(sample.get("before") or []),
        after=_sample(sample.get("after") or []),
    )


def ingest_report(data: Mapping[str, Any], paths: list[Path]) -> IngestReport:
    """The ingest summary; files are named by the local paths the user gave."""
    files = [
        FileResult(
            path=str(paths[i]) if i < len(paths) else str(f.get("path", "")),
            format=str(f.get("format", "")),
            rows=int(f.get("rows", 0)),
            rejected=int(f.get("rejected", 0)),
        )
        for i, f in enumerate(data.get("files") or ())
    ]
    rejects = [dict(r) for r in data.get("rejects_sample") or ()]
    return IngestReport(
        dataset=str(data["dataset"]),
        files=files,
        rows_read=int(data.get("rows_read", 0)),
        rows_written=int(data.get("rows_written", 0)),
        duplicates=int(data.get("duplicates", 0)),
        inserted=int(data.get("inserted", 0)),
        updated=int(data.get("updated", 0)),
        series=int(data.get("series", 0)),
        start=when(data.get("start")),
        end=when(data.get("end")),
        rejected=int(data.get("rejected", 0)),
        rejects_sample=rejects,
        version=int(data.get("version", 0)),
        kind=str(data.get("kind", "generic")),
        out_of_order=int(data.get("out_of_order", 0)),
        cleaning=[],
    )


def aggregates(found: Any) -> pl.DataFrame:
    """The aggregates table from its JSON rows (bucket times back to UTC datetimes)."""
    rows = items(found)
    frame = pl.DataFrame(rows, schema={TS: pl.String, "points": pl.UInt32, "series": pl.UInt32})
    return frame.with_columns(pl.col(TS).str.to_datetime(time_zone="UTC", time_unit="us"))


class _Chunks(io.RawIOBase):
    """A byte iterator as a readable file, for pyarrow's stream reader."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._buffer = chunk
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


def arrow_batches(chunks: Iterable[bytes], url: str) -> Iterator[pl.DataFrame]:
    """The frames of an Arrow IPC stream as it arrives; an empty result is one empty frame."""
    import pyarrow as pa

    try:
        reader = pa.ipc.open_stream(io.BufferedReader(_Chunks(chunks), 1 << 20))
        empty = True
        for batch in reader:
            empty = False
            yield _frame(pl.from_arrow(batch))
        if empty:
            yield _frame(pl.from_arrow(reader.schema.empty_table()))
    except pa.ArrowInvalid:
        raise StorageError(
            f"the answer of the server at {url} broke off or is not an Arrow stream",
            hint="try again; the server's log says more",
        ) from None


def _frame(found: pl.DataFrame | pl.Series) -> pl.DataFrame:
    return found if isinstance(found, pl.DataFrame) else found.to_frame()

"""Parquet files, read in batches; a stored pandas DatetimeIndex becomes the time column."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from variosync.formats.base import RawSource, ReadOptions
from variosync.formats.batches import call_guarded, guarded, rebatch
from variosync.formats.sniff import is_parquet

WHAT = "Parquet file"
_DATETIME_TYPES = ("datetime", "datetimetz")

sniff = is_parquet


def open_parquet(path: Path, options: ReadOptions) -> RawSource:
    """Open a Parquet file; its batches are typed frames of ``options.batch_rows`` rows."""
    parquet = call_guarded(path, WHAT, lambda: pq.ParquetFile(path))
    schema = call_guarded(path, WHAT, lambda: parquet.schema_arrow)
    return RawSource(
        name=path.name,
        format="parquet",
        batches=guarded(path, WHAT, _batches(parquet, options.batch_rows)),
        time_col=datetime_index(schema),
    )


def datetime_index(schema: pa.Schema) -> str | None:
    """The column holding a pandas DatetimeIndex, from the schema's pandas metadata, if any."""
    metadata: dict[str, Any] | None = schema.pandas_metadata
    if not isinstance(metadata, dict):
        return None
    stored = [name for name in metadata.get("index_columns", []) if isinstance(name, str)]
    for entry in metadata.get("columns", []):
        if not isinstance(entry, dict):
            continue
        field_name = entry.get("field_name")
        if field_name in stored and entry.get("pandas_type") in _DATETIME_TYPES:
            return str(field_name) if field_name in schema.names else None
    return None


def _batches(parquet: pq.ParquetFile, rows: int) -> Iterator[pl.DataFrame]:
    try:
        frames = (_frame(batch) for batch in parquet.iter_batches(batch_size=rows))
        yield from rebatch(frames, rows)
    finally:
        parquet.close()


def _frame(batch: pa.RecordBatch) -> pl.DataFrame:
    frame = pl.from_arrow(batch)
    assert isinstance(frame, pl.DataFrame)  # a record batch always converts to a frame
    return frame

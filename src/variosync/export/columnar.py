"""Columnar writers: Parquet (zstd, a row group per batch), Arrow IPC file and stream, and
Feather v2."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from variosync.export.batches import frames


def _tables(batches: Iterable[pl.DataFrame]) -> Iterator[Any]:
    """Yield each batch as an Arrow table that shares the first batch's schema."""
    schema: Any = None
    for batch in frames(batches):
        # One contiguous chunk per batch: one record batch (and one compressed block) per batch.
        table = batch.rechunk().to_arrow()
        if schema is None:
            schema = table.schema
        elif table.schema != schema:
            table = table.cast(schema)
        yield table


def write_parquet(batches: Iterable[pl.DataFrame], out: BinaryIO) -> int:
    """Write a zstd-compressed Parquet file with one row group per batch; return the rows."""
    rows = 0
    writer: Any = None
    try:
        for table in _tables(batches):
            if writer is None:
                writer = pq.ParquetWriter(out, table.schema, compression="zstd")
            if table.num_rows:
                writer.write_table(table, row_group_size=table.num_rows)
                rows += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    return rows


def _write_ipc(
    batches: Iterable[pl.DataFrame], out: BinaryIO, compression: str | None, stream: bool = False
) -> int:
    rows = 0
    writer: Any = None
    options = pa.ipc.IpcWriteOptions(compression=compression)
    start = pa.ipc.new_stream if stream else pa.ipc.new_file
    try:
        for table in _tables(batches):
            if writer is None:
                writer = start(out, table.schema, options=options)
            if table.num_rows:
                writer.write_table(table)
                rows += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    return rows


def write_arrow(batches: Iterable[pl.DataFrame], out: BinaryIO) -> int:
    """Write an uncompressed Arrow IPC file (readable by any Arrow version); return the rows."""
    return _write_ipc(batches, out, None)


def write_arrow_stream(batches: Iterable[pl.DataFrame], out: BinaryIO) -> int:
    """Write an Arrow IPC stream (a schema, then one record batch per batch; no footer, so it
    can be read while it arrives); return the rows."""
    return _write_ipc(batches, out, None, stream=True)


def write_feather(batches: Iterable[pl.DataFrame], out: BinaryIO) -> int:
    """Write Feather v2 (an Arrow IPC file) with zstd-compressed buffers; return the rows."""
    return _write_ipc(batches, out, "zstd")

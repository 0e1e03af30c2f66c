"""Arrow IPC files and streams, and Feather v2 (which is the Arrow IPC file format)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.ipc as ipc

from variosync.errors import ReadError
from variosync.formats.base import RawSource, ReadOptions
from variosync.formats.batches import call_guarded, guarded, rebatch
from variosync.formats.sniff import ARROW_FILE_MAGIC, FEATHER_V1_MAGIC, is_arrow, read_head

WHAT = "Arrow IPC file"

sniff = is_arrow


def open_arrow(path: Path, options: ReadOptions) -> RawSource:
    """Open an Arrow IPC file or stream; its batches are typed frames."""
    return RawSource(name=path.name, format="arrow", batches=_open(path, options.batch_rows))


def open_feather(path: Path, options: ReadOptions) -> RawSource:
    """Open a Feather v2 file (legacy Feather v1 is refused with a hint)."""
    return RawSource(name=path.name, format="feather", batches=_open(path, options.batch_rows))


def _open(path: Path, rows: int) -> Iterator[pl.DataFrame]:
    head = read_head(path, 8)
    if head.startswith(FEATHER_V1_MAGIC):
        # pyarrow deprecated Feather v1 in 25.0 and will drop it.
        raise ReadError(
            f"{path.name}: Feather v1 files are not supported",
            hint="re-save it as Feather v2, e.g. pyarrow.feather.write_feather(table, path)",
        )
    if head.startswith(ARROW_FILE_MAGIC):
        reader = call_guarded(path, WHAT, lambda: ipc.open_file(path))
        return guarded(path, WHAT, _file(reader, rows))
    stream = call_guarded(path, "Arrow IPC stream", lambda: ipc.open_stream(path))
    return guarded(path, "Arrow IPC stream", _stream(stream, rows))


def _file(reader: ipc.RecordBatchFileReader, rows: int) -> Iterator[pl.DataFrame]:
    with reader:
        batches = (reader.get_batch(index) for index in range(reader.num_record_batches))
        yield from rebatch(_frames(batches), rows)


def _stream(stream: ipc.RecordBatchStreamReader, rows: int) -> Iterator[pl.DataFrame]:
    with stream:
        yield from rebatch(_frames(stream), rows)


def _frames(batches: Iterator[pa.RecordBatch]) -> Iterator[pl.DataFrame]:
    for batch in batches:
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)  # a record batch always converts to a frame
        yield frame

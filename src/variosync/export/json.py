"""JSON writers: one array of objects, or JSON Lines with one object per row."""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

import polars as pl

from variosync.export.batches import frames, iso_ts


def _records(batch: pl.DataFrame) -> bytes:
    """The batch as JSON Lines: ISO ``ts``; polars writes null for null, NaN and infinities."""
    text = batch.with_columns(iso_ts(batch.schema["ts"])).write_ndjson()
    return text.encode() if isinstance(text, str) else b""


def write_jsonl(batches: Iterable[pl.DataFrame], out: BinaryIO) -> int:
    """Write one JSON object per line (``series_id``, ``ts``, then the fields); return the rows."""
    rows = 0
    for batch in frames(batches):
        if batch.height:
            out.write(_records(batch))
            rows += batch.height
    return rows


def write_json(batches: Iterable[pl.DataFrame], out: BinaryIO) -> int:
    """Write a JSON array of row objects, one batch at a time; return the rows written."""
    rows = 0
    out.write(b"[")
    separator = b"\n"
    for batch in frames(batches):
        if not batch.height:
            continue
        # A JSON Lines document only has raw newlines between records (newlines inside strings
        # are escaped), so joining its lines with commas gives the members of an array.
        out.write(separator + _records(batch).rstrip(b"\n").replace(b"\n", b",\n"))
        separator = b",\n"
        rows += batch.height
    out.write(b"\n]\n" if rows else b"]\n")
    return rows

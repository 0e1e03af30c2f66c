"""Delimited text writers: CSV and TSV with ISO 8601 timestamps (UTC, or with an offset)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

import polars as pl

from variosync.export.batches import frames, iso_format


def _write_delimited(batches: Iterable[pl.DataFrame], out: BinaryIO, separator: str) -> int:
    rows = 0
    for index, batch in enumerate(frames(batches)):
        # polars quotes cells holding the separator, a quote or a line break, writes the shortest
        # float text that parses back to the same double, and leaves nulls as empty cells.
        batch.write_csv(
            out,
            include_header=index == 0,
            separator=separator,
            datetime_format=iso_format(batch.schema["ts"]),
            null_value="",
        )
        rows += batch.height
    return rows


def write_csv(batches: Iterable[pl.DataFrame], out: BinaryIO) -> int:
    """Write comma-separated values with a header row; return the rows written."""
    return _write_delimited(batches, out, ",")


def write_tsv(batches: Iterable[pl.DataFrame], out: BinaryIO) -> int:
    """Write tab-separated values with a header row; return the rows written."""
    return _write_delimited(batches, out, "\t")

"""The stream of canonical batches every writer consumes, and the text form of its timestamps."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import polars as pl

from variosync.errors import VarioSyncError
from variosync.model import KEY, SERIES, TS, TS_DTYPE

# chrono's ``%.f`` prints 0, 3, 6 or 9 fraction digits, so whole seconds carry no fraction and
# microseconds are never rounded away.
ISO_FORMAT = "%Y-%m-%dT%H:%M:%S%.fZ"
ZONED_FORMAT = "%Y-%m-%dT%H:%M:%S%.f%:z"
"""Times shown in a display zone other than UTC carry their offset: ``…T10:30:00+01:00``."""

EMPTY = pl.DataFrame(schema={SERIES: pl.String, TS: TS_DTYPE})


def frames(batches: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
    """Yield the batches lazily under the first batch's schema; one empty frame if there are none.

    Writers iterate this instead of the raw input so that an empty export still gets its header
    (or schema) and a later batch whose dtypes drifted (an all-null column typed ``Null``) is cast
    back to the schema the header was written for.
    """
    schema: pl.Schema | None = None
    for batch in batches:
        if schema is None:
            if tuple(batch.columns[:2]) != KEY:
                raise VarioSyncError(f"export needs the columns {SERIES!r}, {TS!r} first")
            stamp = batch.schema[TS]
            if not (isinstance(stamp, pl.Datetime) and stamp.time_zone and stamp.time_unit == "us"):
                batch = batch.with_columns(pl.col(TS).cast(TS_DTYPE))  # a display zone is kept
            schema = batch.schema
        elif batch.schema != schema:
            if batch.columns != schema.names():
                raise VarioSyncError(
                    f"export batches disagree on columns: {batch.columns} after {schema.names()}"
                )
            batch = batch.cast(schema)
        yield batch
    if schema is None:
        yield EMPTY


def field_names(frame: pl.DataFrame) -> list[str]:
    """The field columns of a canonical frame: everything after ``series_id`` and ``ts``."""
    return frame.columns[len(KEY) :]


def iso_format(dtype: pl.DataType) -> str:
    """The text form of a timestamp type: ``Z`` for UTC, else the offset of its zone."""
    zone = dtype.time_zone if isinstance(dtype, pl.Datetime) else None
    return ISO_FORMAT if zone in (None, "UTC") else ZONED_FORMAT


def iso_ts(dtype: pl.DataType = TS_DTYPE) -> pl.Expr:
    """``ts`` as ISO 8601 text, e.g. ``2024-01-15T09:30:00Z`` (or ``…+01:00`` in a zone)."""
    return pl.col(TS).dt.to_string(iso_format(dtype))

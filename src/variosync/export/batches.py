"""The stream of canonical batches every writer consumes, and the text form of its timestamps."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import polars as pl

from variosync.errors import VarioSyncError
from variosync.model import KEY, SERIES, TS, TS_DTYPE

# chrono's ``%.f`` prints 0, 3, 6 or 9 fraction digits, so whole seconds carry no fraction and
# microseconds are never rounded away.
ISO_FORMAT = "%Y-%m-%dT%H:%M:%S%.fZ"

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
            if batch.schema[TS] != TS_DTYPE:
                batch = batch.with_columns(pl.col(TS).cast(TS_DTYPE))
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


def iso_ts() -> pl.Expr:
    """``ts`` as ISO 8601 UTC text with a ``Z``, e.g. ``2024-01-15T09:30:00Z``."""
    return pl.col(TS).dt.to_string(ISO_FORMAT)

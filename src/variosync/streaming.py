"""Reading a query's rows in batches, a group of series at a time, in bounded memory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import polars as pl

from variosync.model import SERIES, Kind
from variosync.query import Query, run

EXPORT_BATCH_ROWS = 500_000


def by_series(
    scan: pl.LazyFrame, query: Query, kind: Kind, whole: pl.LazyFrame, step: int
) -> Iterator[pl.DataFrame]:
    names = sorted(set(query.series)) or sorted(
        scan.select(pl.col(SERIES).unique()).collect().get_column(SERIES).drop_nulls().to_list()
    )
    empty = True
    for start in range(0, len(names), step):
        group = names[start : start + step]
        if query.series:
            part, spec = scan, replace(query, series=tuple(group))
        else:  # a contiguous range of the sorted names: prunes by min/max statistics
            part, spec = (
                scan.filter(pl.col(SERIES).is_between(pl.lit(group[0]), pl.lit(group[-1]))),
                query,
            )
        for batch in run(part, spec, kind).collect_batches(chunk_size=EXPORT_BATCH_ROWS):
            empty = False
            yield batch
    if empty:
        yield pl.DataFrame(schema=whole.collect_schema())


def batches(frame: pl.LazyFrame, rows: int = EXPORT_BATCH_ROWS) -> Iterator[pl.DataFrame]:
    """The frame in batches of up to ``rows``; an empty result is one empty batch with its columns.

    Writers take their header (or schema) from the first batch, so an empty export keeps its
    fields.
    """
    empty = True
    for batch in frame.collect_batches(chunk_size=rows):
        empty = False
        yield batch
    if empty:
        yield pl.DataFrame(schema=frame.collect_schema())


def in_zone(query: Query, zone: str | None) -> Query:
    """The query shown in the dataset's display ``zone``, unless it names its own."""
    if query.tz is not None or zone is None:
        return query
    return replace(query, tz=zone)

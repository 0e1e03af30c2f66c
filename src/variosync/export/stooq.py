"""The Stooq writer: ``<TICKER>,<PER>,<DATE>,<TIME>,...`` text as stooq.com serves it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import BinaryIO

import polars as pl

from variosync.errors import UsageError
from variosync.export.batches import field_names, frames
from variosync.model import OHLCV_FIELDS, SERIES, TS

OHLCV_HEADERS = ("<OPEN>", "<HIGH>", "<LOW>", "<CLOSE>", "<VOL>")


def period(batch: pl.DataFrame) -> str:
    """Stooq's ``<PER>`` code for the smallest step between points of a series in the batch.

    ``M``, ``W`` or ``D`` for monthly, weekly or daily bars, else the step in minutes (stooq's
    intraday files use ``5`` and ``60``); ``D`` when no series has two points.
    """
    steps = batch.select(pl.col(TS).sort().diff().over(SERIES).alias("step")).filter(
        pl.col("step") > timedelta(0)
    )
    step = steps["step"].min() if steps.height else None
    if not isinstance(step, timedelta):
        return "D"
    if step >= timedelta(days=28):
        return "M"
    if step >= timedelta(days=7):
        return "W"
    if step >= timedelta(days=1):
        return "D"
    return str(max(1, int(step.total_seconds() // 60)))


def _columns(fields: list[str]) -> list[pl.Expr]:
    """The value columns after ``<TIME>``: stooq's OHLCV block, or each field upper-cased."""
    if set(fields) == set(OHLCV_FIELDS):
        values = [
            pl.col(name).alias(header)
            for name, header in zip(OHLCV_FIELDS, OHLCV_HEADERS, strict=True)
        ]
        return [*values, pl.lit(0).alias("<OPENINT>")]
    headers = [f"<{name.upper()}>" for name in fields]
    if len(set(headers)) < len(headers):
        raise UsageError(
            f"fields {fields} collide once upper-cased for the stooq header",
            hint="rename the fields, or export as csv",
        )
    return [pl.col(name).alias(header) for name, header in zip(fields, headers, strict=True)]


def write_stooq(batches: Iterable[pl.DataFrame], out: BinaryIO) -> int:
    """Write stooq text: DATE ``YYYYMMDD`` and TIME ``HHMMSS`` in UTC; return the rows written.

    Datasets whose fields are exactly open/high/low/close/volume get stooq's own ten columns
    (``<OPENINT>`` is 0); any other dataset gets its fields upper-cased in angle brackets.
    ``<PER>`` is read off the first non-empty batch; fractions of a second are dropped.
    """
    rows = 0
    per: str | None = None
    for index, batch in enumerate(frames(batches)):
        if per is None and batch.height:
            per = period(batch)
        text = batch.select(
            pl.col(SERIES).alias("<TICKER>"),
            pl.lit(per or "D").alias("<PER>"),
            pl.col(TS).dt.strftime("%Y%m%d").alias("<DATE>"),
            pl.col(TS).dt.strftime("%H%M%S").alias("<TIME>"),
            *_columns(field_names(batch)),
        )
        text.write_csv(out, include_header=index == 0, null_value="")
        rows += batch.height
    return rows

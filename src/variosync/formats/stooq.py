"""Stooq quote files: ``<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,...`` with DATE and TIME as digits."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from variosync.errors import ReadError
from variosync.formats.base import RawSource, ReadOptions
from variosync.formats.batches import guarded
from variosync.formats.delimited import Dialect, text_batches
from variosync.formats.sniff import head_lines, is_text, read_head

TIME_COL = "ts"
SERIES_COL = "ticker"
_DROPPED = ("per", "date", "time")


def sniff(head: bytes) -> bool:
    """Whether the first line is a Stooq header (``<TICKER>`` and ``<DATE>`` columns)."""
    if not is_text(head):
        return False
    lines = head_lines(head, limit=1)
    return bool(lines) and _is_header(lines[0])


def open_stooq(path: Path, options: ReadOptions) -> RawSource:
    """Open a Stooq file: a typed naive ``ts`` from DATE+TIME, one series per ticker."""
    lines = head_lines(read_head(path), limit=1)
    if not lines or not _is_header(lines[0]):
        raise ReadError(
            f"{path.name}: not a Stooq file (the first line lacks <TICKER> and <DATE>)",
            hint="a Stooq file starts with <TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,...",
        )
    header = [cell.strip() for cell in lines[0].split(",")]
    names = tuple(cell.strip("<>").lower() or f"column_{i}" for i, cell in enumerate(header, 1))
    dialect = Dialect(delimiter=",", names=names, has_header=True, decimal_comma=False)
    batches = (_shape(batch) for batch in text_batches(path, options, dialect))
    return RawSource(
        name=path.name,
        format="stooq",
        batches=guarded(path, "Stooq file", batches),
        time_col=TIME_COL,
        series_col=SERIES_COL,
    )


def _is_header(line: str) -> bool:
    cells = {cell.strip().upper() for cell in line.split(",")}
    return {"<TICKER>", "<DATE>"} <= cells


def _shape(batch: pl.DataFrame) -> pl.DataFrame:
    """Replace DATE (and TIME) by a typed ``ts``; keep the ticker and the value columns."""
    date = pl.col("date").str.strip_chars()
    if "time" in batch.columns:
        time = pl.col("time").str.strip_chars().fill_null("0").str.zfill(6)
        stamp = (date + time).str.strptime(pl.Datetime("us"), "%Y%m%d%H%M%S", strict=False)
    else:
        stamp = date.str.strptime(pl.Datetime("us"), "%Y%m%d", strict=False)
    kept = [name for name in batch.columns if name not in _DROPPED and name != TIME_COL]
    return batch.select(stamp.alias(TIME_COL), *kept)

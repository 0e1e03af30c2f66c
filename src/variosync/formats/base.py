"""What every reader produces: a raw source of polars batches plus what the reader already knows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl


@dataclass
class RawSource:
    """A file opened by a reader.

    ``batches`` yields polars frames with the file's own column names, in file order. Cells may be
    strings (text formats) or typed values (Parquet, Arrow, Excel, JSON). ``time_col`` is set when
    the format itself says which column is the time (a pandas DatetimeIndex in Parquet, Stooq's
    combined DATE+TIME, line protocol's timestamp); ``series_col`` likewise; ``units`` carries
    per-field units (the reference JSON shape's ``metadata.units``). ``decimal_comma`` tells the
    normaliser that numbers in string cells use ``,`` as the decimal mark.
    """

    name: str
    format: str
    batches: Iterator[pl.DataFrame]
    time_col: str | None = None
    series_col: str | None = None
    units: dict[str, str] = field(default_factory=dict)
    decimal_comma: bool = False


@dataclass(frozen=True)
class ReadOptions:
    """Options readers honour."""

    batch_rows: int = 1_000_000
    sheet: str | None = None
    max_unpacked_bytes: int | None = None
    """A compressed file that unpacks to more than this is refused (None: no limit)."""


Opener = Callable[[Path, ReadOptions], RawSource]

"""The canonical data model shared by every stage: column names, kinds and ingest options."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import polars as pl

SERIES = "series_id"
TS = "ts"
KEY = (SERIES, TS)
TS_DTYPE = pl.Datetime("us", "UTC")
OHLCV_FIELDS = ("open", "high", "low", "close", "volume")


class Kind(StrEnum):
    """What a dataset holds: generic fields, or open/high/low/close/volume bars."""

    GENERIC = "generic"
    OHLCV = "ohlcv"


@dataclass(frozen=True)
class IngestOptions:
    """How to turn a file into canonical rows; every field is an override of auto-detection."""

    time_col: str | None = None
    time_format: str | None = None
    dayfirst: bool = False
    tz: str = "UTC"
    series_col: str | None = None
    fields: tuple[str, ...] | None = None
    kind: Kind | None = None
    sheet: str | None = None
    strict: bool = False
    max_unpacked_bytes: int | None = None
    """Refuse a compressed file that unpacks to more than this (server uploads); None: no cap."""

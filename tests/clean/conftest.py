"""Frames for cleaning tests: two series on a one-minute grid unless a test says otherwise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def at(minutes: float) -> datetime:
    """The time ``minutes`` after T0."""
    return T0 + timedelta(minutes=minutes)


def frame(rows: list[tuple[Any, ...]], fields: dict[str, Any]) -> pl.DataFrame:
    """A canonical frame from (series, minute, *values) rows; ``fields`` names → dtypes."""
    names = ["series_id", "ts", *fields]
    data = [(s, at(m), *values) for s, m, *values in rows]
    schema = {"series_id": pl.String, "ts": pl.Datetime("us", "UTC"), **fields}
    return pl.DataFrame(data, schema=schema, orient="row").select(names)

"""Hand-built canonical frames for the profile tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import polars as pl

from variosync.model import SERIES, TS, TS_DTYPE

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """The time ``seconds`` after T0."""
    return T0 + timedelta(seconds=seconds)


def series_frame(
    series_id: str, offsets: Sequence[float], **fields: Sequence[object]
) -> pl.DataFrame:
    """One series with points at T0 + offsets (seconds) and the given field values."""
    return pl.DataFrame(
        {SERIES: [series_id] * len(offsets), TS: [at(s) for s in offsets], **fields},
        schema_overrides={TS: TS_DTYPE},
        strict=False,
    )


def regular(
    series_id: str, count: int, step: float = 60, **fields: Sequence[object]
) -> pl.DataFrame:
    """``count`` points ``step`` seconds apart."""
    return series_frame(series_id, [i * step for i in range(count)], **fields)


def combine(*frames: pl.DataFrame) -> pl.DataFrame:
    """Frames of distinct series as one canonical frame, sorted by (series_id, ts)."""
    return pl.concat(frames, how="diagonal_relaxed").sort(SERIES, TS)

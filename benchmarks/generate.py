"""Synthetic sensor data: 1,000 series × minute rows, written in chunks (CSV and Parquet).

Rows are time-major (each minute, every sensor), as a logger would append them. The generator
holds one chunk at a time, so a file of any size costs the same memory to write.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq

SERIES_COUNT = 1_000
START = datetime(2024, 1, 1, tzinfo=UTC)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
CHUNK_MINUTES = 500  # 500 minutes × 1,000 sensors = 500k rows per chunk
FIELDS = ("temperature", "humidity", "pressure", "wind")
SENSORS = pl.Series("sensor", [f"sensor-{i:04d}" for i in range(SERIES_COUNT)])


def chunk(first_minute: int, minutes: int, seed: int) -> pl.DataFrame:
    """``minutes`` minutes of every sensor, from ``first_minute`` after START."""
    rng = np.random.default_rng(seed)
    rows = minutes * SERIES_COUNT
    minute = np.repeat(
        np.arange(first_minute, first_minute + minutes, dtype=np.int64), SERIES_COUNT
    )
    sensor = np.tile(np.arange(SERIES_COUNT, dtype=np.uint32), minutes)
    start_us = int(START.timestamp() * 1_000_000)
    return pl.DataFrame(
        {
            "time": pl.Series(start_us + minute * 60_000_000).cast(pl.Datetime("us", "UTC")),
            "sensor": SENSORS.gather(sensor),
            "temperature": np.round(rng.normal(20.0, 5.0, rows), 2),
            "humidity": np.round(rng.uniform(20.0, 90.0, rows), 2),
            "pressure": np.round(rng.normal(1013.0, 8.0, rows), 2),
            "wind": np.round(rng.gamma(2.0, 2.0, rows), 2),
        }
    )


def _chunks(minutes: int) -> list[tuple[int, int]]:
    return [(m, min(CHUNK_MINUTES, minutes - m)) for m in range(0, minutes, CHUNK_MINUTES)]


def write_csv(path: Path, rows: int, parquet: Path | None = None) -> int:
    """Write ``rows`` rows (rounded down to whole minutes) as CSV, and optionally as Parquet.

    Returns the row count. Existing files with the same name are reused.
    """
    minutes = rows // SERIES_COUNT
    total = minutes * SERIES_COUNT
    if path.exists() and (parquet is None or parquet.exists()):
        return total
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    writer = None
    try:
        with tmp.open("wb") as handle:
            for i, (first, count) in enumerate(_chunks(minutes)):
                frame = chunk(first, count, seed=i)
                frame.write_csv(
                    handle, include_header=i == 0, datetime_format=TIME_FORMAT, float_precision=2
                )
                if parquet is not None:
                    table = frame.to_arrow()
                    if writer is None:
                        writer = pq.ParquetWriter(parquet, table.schema, compression="zstd")
                    writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    tmp.rename(path)
    return total


def csv_rows_for_size(gigabytes: float) -> int:
    """Rows that make a CSV of about ``gigabytes`` GB (measured on a sample chunk)."""
    sample = chunk(0, 10, seed=0)
    size = len(sample.write_csv(datetime_format=TIME_FORMAT, float_precision=2).encode())
    per_row = size / sample.height
    return int(gigabytes * 1e9 / per_row)

"""Peak resident memory of ingesting a CSV larger than the in-memory staging budget."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from ingest_bench import baseline, variosync_ingest
from proc import Measured, warm_cache


@dataclass(frozen=True)
class MemoryRun:
    """Peak RSS of ``variosync ingest`` and of a polars streaming conversion of the same file."""

    file_bytes: int
    rows: int
    variosync: Measured
    polars_sink: Measured


def big_csv_ingest(csv: Path, rows: int, home: Path, scratch: Path) -> MemoryRun:
    """Ingest ``csv`` into a fresh home and stream-convert it with polars; both polled for RSS."""
    warm_cache(csv)
    vs = variosync_ingest(csv, home, "big")
    shutil.rmtree(home, ignore_errors=True)
    sink = baseline("polars-sink", csv, scratch / "sink.parquet")
    return MemoryRun(csv.stat().st_size, rows, vs, sink)

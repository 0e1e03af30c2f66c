"""Collects canonical batches of one ingest and hands them back deduplicated and sorted.

Small inputs stay in memory. Once the batches pass a memory budget they are spilled to Parquet
files in hash buckets of ``series_id`` on local disk, and read back one bucket at a time, so a
file larger than memory is deduplicated with memory bounded by the size of one bucket.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from variosync.model import SERIES, TS

_BUCKETS = 64
_ORDER = "__order"
_RANK = "__rank"


class Staging:
    """Accumulates batches; ``frames()`` yields them deduplicated (last wins) and sorted."""

    def __init__(
        self, memory_bytes: int, spill_dir: Path | None = None, expected_bytes: int = 0
    ) -> None:
        """Keep up to ``memory_bytes`` of rows in memory; spill beyond it.

        ``expected_bytes`` (the input's size, when known) larger than the budget spills from
        the first batch, so a big file never first fills the budget in memory.
        """
        self._budget = memory_bytes
        self._spill_parent = spill_dir
        self._spill_early = expected_bytes > memory_bytes
        self._frames: list[pl.DataFrame] = []
        self._in_memory: float = 0.0
        self._spill: Path | None = None
        self._runs: list[tuple[Path, dict[int, int]]] = []
        self._order = 0
        self.schema: pl.Schema | None = None
        self.rows_in = 0
        self.rows_out = 0
        self.series_out = 0
        self.start: datetime | None = None
        self.end: datetime | None = None
        self.transform: Callable[[pl.DataFrame], pl.DataFrame] | None = None
        """Applied to each deduplicated group of whole series before it is written."""
        self.observe: Callable[[pl.DataFrame], None] | None = None
        """Shown each group of whole series as it is written (after ``transform``)."""
        self.touched: set[str] = set()
        """The series written (after ``transform``)."""
        self.issues: dict[str, tuple[int, int]] = {}
        """Per series (duplicate rows dropped, rows that arrived out of time order), non-zero."""

    def add(self, frame: pl.DataFrame) -> None:
        """Take one canonical batch."""
        if frame.height == 0:
            if self.schema is None:
                self.schema = frame.schema
            return
        self._merge_schema(frame)
        frame = frame.with_columns(
            pl.int_range(self._order, self._order + frame.height, dtype=pl.Int64).alias(_ORDER)
        )
        self._order += frame.height
        self.rows_in += frame.height
        if self._spill is None:
            self._frames.append(frame)
            self._in_memory += frame.estimated_size()
            if self._spill_early or self._in_memory > self._budget:
                self._start_spill()
        else:
            self._write_buckets(frame)

    def _merge_schema(self, frame: pl.DataFrame) -> None:
        if self.schema is None:
            self.schema = frame.schema
            return
        merged = dict(self.schema)
        for name, dtype in frame.schema.items():
            merged.setdefault(name, dtype)
        self.schema = pl.Schema(merged)

    def _start_spill(self) -> None:
        self._spill = Path(tempfile.mkdtemp(prefix="variosync-stage-", dir=self._spill_parent))
        frames, self._frames, self._in_memory = self._frames, [], 0.0
        for frame in frames:
            self._write_buckets(frame)

    def _write_buckets(self, frame: pl.DataFrame) -> None:
        """Spill one batch as one file holding one row group per hash bucket of ``series_id``."""
        assert self._spill is not None
        bucket = pl.col(SERIES).hash(seed=7) % _BUCKETS
        parts = frame.with_columns(bucket.alias("__b")).partition_by(
            "__b", as_dict=True, include_key=False
        )
        path = self._spill / f"{len(self._runs):06d}.parquet"
        groups: dict[int, int] = {}
        writer: pq.ParquetWriter | None = None
        try:
            for (key,), part in parts.items():
                table = part.to_arrow()
                if writer is None:
                    writer = pq.ParquetWriter(path, table.schema, compression="lz4")
                writer.write_table(table, row_group_size=table.num_rows + 1)
                groups[int(key)] = len(groups)
        finally:
            if writer is not None:
                writer.close()
        self._runs.append((path, groups))

    @property
    def spilled(self) -> bool:
        """Whether the batches went to disk."""
        return self._spill is not None

    def _conform(self, frame: pl.DataFrame) -> pl.DataFrame:
        assert self.schema is not None
        missing = [
            pl.lit(None, dtype=dtype).alias(name)
            for name, dtype in self.schema.items()
            if name not in frame.columns
        ]
        return frame.with_columns(missing).select([*self.schema.names(), _ORDER])

    def frames(self) -> Iterator[pl.DataFrame]:
        """Yield the staged rows: one row per key (the last one seen), sorted by key.

        Buckets hold disjoint series, so the counters summed over them are exact.
        """
        self.rows_out = self.series_out = 0
        self.start = self.end = None
        self.issues = {}
        self.touched = set()
        for frame in self._groups():
            done = self._finish(frame)
            if self.transform is not None:
                done = self.transform(done)
            self._count(done)
            if self.observe is not None and done.height:
                self.observe(done)
            yield done

    def _groups(self) -> Iterator[pl.DataFrame]:
        if self._spill is None:
            if self._frames:
                yield pl.concat([self._conform(f) for f in self._frames])
            return
        for key in range(_BUCKETS):
            parts = [
                self._conform(_read_group(path, groups[key]))
                for path, groups in self._runs
                if key in groups
            ]
            if parts:
                yield pl.concat(parts)

    def _count(self, frame: pl.DataFrame) -> None:
        if frame.height == 0:
            return
        series, start, end = frame.select(
            pl.col(SERIES).n_unique(),
            pl.col(TS).min().alias("start"),
            pl.col(TS).max().alias("end"),
        ).row(0)
        self.rows_out += frame.height
        self.series_out += int(series)
        self.touched.update(frame.get_column(SERIES).unique().to_list())
        self.start = start if self.start is None else min(self.start, start)
        self.end = end if self.end is None else max(self.end, end)

    def _finish(self, frame: pl.DataFrame) -> pl.DataFrame:
        # Sort by an integer rank of series_id (cheaper than sorting strings). Most files list
        # each series' points in time order (time-major sensor logs, per-ticker exports), so a
        # stable sort by series alone already yields key order; otherwise sort fully. Within a
        # key, arrival order decides: the last row of each key is the one that wins.
        previous_series = pl.col(SERIES).shift()
        in_key_order = frame.select(
            (
                (pl.col(SERIES) > previous_series)
                | ((pl.col(SERIES) == previous_series) & (pl.col(TS) >= pl.col(TS).shift()))
            ).all()
        ).item()
        if in_key_order:  # a file sorted by series and time (a per-ticker export): no sort
            return self._keep_last(frame, SERIES, None)
        names = frame.get_column(SERIES).unique().sort()
        rank = pl.col(SERIES).replace_strict(
            names, pl.int_range(0, names.len(), dtype=pl.UInt32, eager=True), return_dtype=pl.UInt32
        )
        ranked = frame.with_columns(rank.alias(_RANK))
        ordered = ranked.sort(_RANK, maintain_order=True)
        backwards = (pl.col(TS).diff() < pl.duration()) & (pl.col(_RANK) == pl.col(_RANK).shift())
        unordered = ordered.filter(backwards.fill_null(False)).get_column(SERIES)
        if unordered.len():
            ordered = ranked.sort([_RANK, TS, _ORDER])
        return self._keep_last(ordered, _RANK, unordered)

    def _keep_last(
        self, ordered: pl.DataFrame, series: str, unordered: pl.Series | None
    ) -> pl.DataFrame:
        """Keep the last row of each key, counting per series what was dropped or out of order."""
        last = ordered.select(_last_of_key(series)).to_series()
        dropped = ordered.get_column(SERIES).filter(~last)
        for name, count in dropped.value_counts().iter_rows():
            dups, late = self.issues.get(name, (0, 0))
            self.issues[name] = (dups + count, late)
        if unordered is not None:
            for name, count in unordered.value_counts().iter_rows():
                dups, late = self.issues.get(name, (0, 0))
                self.issues[name] = (dups, late + count)
        return ordered.filter(last).drop(_ORDER, _RANK, strict=False)

    def arrow_reader(self) -> pa.RecordBatchReader:
        """The staged rows as one Arrow stream (for a single Delta commit)."""
        assert self.schema is not None
        empty = pl.DataFrame(schema=self.schema)
        if self.transform is not None:
            empty = self.transform(empty)
        schema = empty.to_arrow().schema

        def batches() -> Iterator[pa.RecordBatch]:
            for frame in self.frames():
                yield from frame.to_arrow().cast(schema).to_batches(max_chunksize=1_000_000)

        return pa.RecordBatchReader.from_batches(schema, batches())

    def close(self) -> None:
        """Remove spilled files."""
        self._frames = []
        if self._spill is not None:
            shutil.rmtree(self._spill, ignore_errors=True)
            self._spill = None
            self._runs = []

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_group(path: Path, index: int) -> pl.DataFrame:
    frame = pl.from_arrow(pq.ParquetFile(path).read_row_group(index))
    assert isinstance(frame, pl.DataFrame)
    return frame


def _last_of_key(series: str) -> pl.Expr:
    """True on the last row of each (series, ts) run of a frame sorted by key."""
    return (pl.col(series) != pl.col(series).shift(-1)).fill_null(True) | (
        pl.col(TS) != pl.col(TS).shift(-1)
    ).fill_null(True)

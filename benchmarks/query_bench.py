"""Warm query latency: the Python API against polars and DuckDB over the table's own files."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
from deltalake import DeltaTable

from variosync import Agg, Query, Settings, Variosync

SERIES = "sensor-0500"
FIELD = "temperature"
REPEATS = 21


@dataclass(frozen=True)
class QueryRun:
    """Median seconds of one query for variosync and both baselines, and the result height."""

    name: str
    description: str
    rows: int
    variosync: float
    polars: float
    duckdb: float

    @property
    def best_baseline(self) -> tuple[str, float]:
        return min([("polars", self.polars), ("duckdb", self.duckdb)], key=lambda p: p[1])

    @property
    def other_baseline(self) -> tuple[str, float]:
        return max([("polars", self.polars), ("duckdb", self.duckdb)], key=lambda p: p[1])

    @property
    def ratio(self) -> float:
        return self.variosync / self.best_baseline[1]


def _median(fn: Callable[[], int]) -> tuple[float, int]:
    height = fn()  # warm-up: file metadata, page cache, lazy imports
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), height


def window(start: datetime, end: datetime) -> tuple[datetime, datetime, str]:
    """One month in the middle of the range, or the middle third if the range is shorter."""
    span = end - start
    if span >= timedelta(days=60):
        middle = start + span / 2
        return middle - timedelta(days=15), middle + timedelta(days=15), "one month"
    return start + span / 3, start + 2 * span / 3, "middle third of the range"


class Contenders:
    """The three ways to answer each query, over the same data."""

    def __init__(self, home: Path, dataset: str) -> None:
        self.vs = Variosync(Settings(home=home))
        self.dataset = dataset
        record = self.vs.catalog.get(dataset)
        assert record.start is not None and record.end is not None
        self.start, self.end = record.start, record.end + timedelta(minutes=1)
        self.files = DeltaTable(self.vs.store.uri(record.id)).file_uris()
        self.fields = [f.name for f in record.fields]
        self.db = duckdb.connect()
        # UTC session, and truncation on plain TIMESTAMP: ICU's zoned date_trunc is ~1.5× slower.
        self.db.execute("SET TimeZone = 'UTC'")
        files = ", ".join(f"'{f}'" for f in self.files)
        self.db.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet([{files}])")

    def close(self) -> None:
        self.db.close()
        self.vs.close()

    def scan(self) -> pl.LazyFrame:
        return pl.scan_parquet(self.files)

    def sql(self, text: str, params: list[object]) -> int:
        return int(self.db.sql(text, params=params).to_arrow_table().num_rows)

    def variosync(self, query: Query) -> int:
        return self.vs.query(self.dataset, query).height


def _q1(c: Contenders) -> tuple[str, Query, Callable[[], int], Callable[[], int]]:
    lo, hi, what = window(c.start, c.end)
    query = Query(series=(SERIES,), start=lo, end=hi)

    def polars() -> int:
        frame = c.scan().filter(
            pl.col("series_id") == SERIES, pl.col("ts") >= lo, pl.col("ts") < hi
        )
        return frame.sort("ts").collect().height

    def duck() -> int:
        return c.sql(
            "SELECT * FROM t WHERE series_id = ? AND ts >= ? AND ts < ? ORDER BY ts",
            [SERIES, lo, hi],
        )

    return f"one series, all fields, {what}", query, polars, duck


def _q2(c: Contenders) -> tuple[str, Query, Callable[[], int], Callable[[], int]]:
    query = Query(series=(SERIES,), every="1h", aggs=(Agg.MEAN,))

    def polars() -> int:
        frame = (
            c.scan()
            .filter(pl.col("series_id") == SERIES)
            .group_by("series_id", pl.col("ts").dt.truncate("1h"))
            .agg(pl.col(c.fields).mean())
        )
        return frame.sort("series_id", "ts").collect().height

    means = ", ".join(f"avg({f}) AS {f}" for f in c.fields)

    def duck() -> int:
        return c.sql(
            f"SELECT series_id, date_trunc('hour', ts::TIMESTAMP) AS ts, {means} FROM t "
            "WHERE series_id = ? GROUP BY ALL ORDER BY ALL",
            [SERIES],
        )

    return "one series, hourly mean of every field, whole range", query, polars, duck


def _q3(c: Contenders) -> tuple[str, Query, Callable[[], int], Callable[[], int]]:
    query = Query(fields=(FIELD,), every="1d", aggs=(Agg.MIN, Agg.MAX, Agg.MEAN))

    def polars() -> int:
        column = pl.col(FIELD)
        frame = (
            c.scan()
            .group_by("series_id", pl.col("ts").dt.truncate("1d"))
            .agg(column.min().alias("min"), column.max().alias("max"), column.mean().alias("mean"))
        )
        return frame.sort("series_id", "ts").collect().height

    def duck() -> int:
        return c.sql(
            f"SELECT series_id, date_trunc('day', ts::TIMESTAMP) AS ts, min({FIELD}), "
            f"max({FIELD}), avg({FIELD}) FROM t GROUP BY ALL ORDER BY ALL",
            [],
        )

    return f"all series, daily min/max/mean of {FIELD}", query, polars, duck


def run_queries(home: Path, dataset: str) -> list[QueryRun]:
    """q1–q3, each timed warm (median of several runs) for all three contenders."""
    contenders = Contenders(home, dataset)
    runs = []
    try:
        for name, make in (("q1", _q1), ("q2", _q2), ("q3", _q3)):
            description, query, polars, duck = make(contenders)
            vs_time, vs_rows = _median(lambda q=query: contenders.variosync(q))  # type: ignore[misc]
            pl_time, pl_rows = _median(polars)
            db_time, db_rows = _median(duck)
            if not vs_rows == pl_rows == db_rows:
                raise RuntimeError(f"{name}: rows differ: {vs_rows}, {pl_rows}, {db_rows}")
            runs.append(QueryRun(name, description, vs_rows, vs_time, pl_time, db_time))
    finally:
        contenders.close()
    return runs

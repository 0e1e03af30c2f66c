"""The Delta store: upsert semantics, schema evolution, history, time travel, restore, optimize."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from variosync.errors import ConflictError, NotFoundError, StorageError
from variosync.store import DeltaStore, Staging


def points(rows: list[tuple[str, int, float]], **extra: list[object]) -> pl.DataFrame:
    """Canonical rows from (series, hour, value) triples plus optional extra columns."""
    return pl.DataFrame(
        {
            "series_id": [r[0] for r in rows],
            "ts": [datetime(2024, 1, 1, r[1], tzinfo=UTC) for r in rows],
            "x": [r[2] for r in rows],
            **extra,
        }
    ).with_columns(pl.col("ts").dt.cast_time_unit("us"))


def write(store: DeltaStore, table: str, *frames: pl.DataFrame, budget: int = 10**9) -> int:
    with Staging(budget) as staging:
        for frame in frames:
            staging.add(frame)
        return store.upsert(table, staging.arrow_reader, {"operation": "ingest"}).version


def read(store: DeltaStore, table: str, version: int | None = None) -> pl.DataFrame:
    return store.scan(table, version).collect().sort("series_id", "ts")


@pytest.fixture
def store(tmp_path: Path) -> DeltaStore:
    return DeltaStore(str(tmp_path / "store"), {}, tmp_path / "locks")


def test_first_write_then_upsert_replaces_and_inserts(store: DeltaStore) -> None:
    assert write(store, "t1", points([("a", 1, 1.0), ("a", 2, 2.0), ("b", 1, 3.0)])) == 0
    assert write(store, "t1", points([("a", 2, 20.0), ("c", 1, 4.0)])) == 1
    got = read(store, "t1")
    assert got.select("series_id", "x").rows() == [("a", 1.0), ("a", 20.0), ("b", 3.0), ("c", 4.0)]


def test_writing_the_same_rows_again_changes_nothing(store: DeltaStore) -> None:
    frame = points([("a", h, float(h)) for h in range(10)])
    write(store, "t1", frame)
    before = read(store, "t1")
    write(store, "t1", frame)
    assert read(store, "t1").equals(before)


@pytest.mark.parametrize("budget", [10**9, 0], ids=["in-memory", "spilled"])
def test_duplicates_inside_one_write_keep_the_last(store: DeltaStore, budget: int) -> None:
    first = points([("a", 1, 1.0), ("b", 1, 1.0)])
    second = points([("a", 1, 2.0)])
    third = points([("a", 1, 3.0), ("b", 2, 5.0)])
    write(store, "t1", first, second, third, budget=budget)
    got = read(store, "t1")
    assert got.select("series_id", "x").rows() == [("a", 3.0), ("b", 1.0), ("b", 5.0)]


def test_staging_spills_to_disk_and_reports_counts(tmp_path: Path) -> None:
    with Staging(0, spill_dir=tmp_path) as staging:
        for start in range(0, 20, 5):
            staging.add(points([(f"s{i % 7}", i, float(i)) for i in range(start, start + 5)]))
        assert staging.spilled
        out = pl.concat(list(staging.frames()))
        assert out.height == 20
        assert staging.rows_out == 20
        assert staging.series_out == 7
        assert staging.start == datetime(2024, 1, 1, 0, tzinfo=UTC)
        assert staging.end == datetime(2024, 1, 1, 19, tzinfo=UTC)
    assert list(tmp_path.iterdir()) == []


def test_new_fields_are_added_and_old_rows_are_null(store: DeltaStore) -> None:
    write(store, "t1", points([("a", 1, 1.0)]))
    write(store, "t1", points([("a", 2, 2.0)], note=["hello"]))
    got = read(store, "t1")
    assert got.get_column("note").to_list() == [None, "hello"]


def test_integers_widen_into_a_float_field(store: DeltaStore) -> None:
    write(store, "t1", points([("a", 1, 1.5)]))
    write(store, "t1", points([("a", 2, 0.0)]).with_columns(pl.col("x").cast(pl.Int64) + 7))
    assert read(store, "t1").get_column("x").to_list() == [1.5, 7.0]


def test_fractions_widen_an_integer_field_to_float(store: DeltaStore) -> None:
    write(store, "t1", points([("a", 1, 1.0)]).with_columns(pl.col("x").cast(pl.Int64)))
    assert write(store, "t1", points([("a", 2, 2.5)])) == 2
    got = read(store, "t1")
    assert got.schema["x"] == pl.Float64
    assert got.get_column("x").to_list() == [1.0, 2.5]
    history = store.history("t1")
    assert [v.operation for v in history] == ["ingest", "widen", "ingest"]
    assert history[1].metadata["fields"] == "x"
    assert read(store, "t1", 0).schema["x"] == pl.Int64  # old versions keep their types


def test_text_into_a_numeric_field_is_a_conflict(store: DeltaStore) -> None:
    write(store, "t1", points([("a", 1, 1.0)]))
    frame = points([("a", 2, 0.0)]).with_columns(pl.lit("high").alias("x"))
    with pytest.raises(ConflictError, match="'x' is stored as double"):
        write(store, "t1", frame)


def test_history_time_travel_and_restore(store: DeltaStore) -> None:
    write(store, "t1", points([("a", 1, 1.0)]))
    write(store, "t1", points([("a", 1, 9.0), ("a", 2, 2.0)]))
    history = store.history("t1")
    assert [v.version for v in history] == [1, 0]
    assert [v.operation for v in history] == ["ingest", "ingest"]
    assert history[0].metadata == {"inserted": "1", "updated": "1"}
    assert read(store, "t1", 0).get_column("x").to_list() == [1.0]
    assert store.restore("t1", 0, {"operation": "restore"}) == 2
    assert read(store, "t1").equals(read(store, "t1", 0))
    assert store.history("t1")[0].operation == "restore"


def test_unknown_versions_and_tables(store: DeltaStore) -> None:
    write(store, "t1", points([("a", 1, 1.0)]))
    with pytest.raises(NotFoundError, match="version 5 does not exist"):
        store.restore("t1", 5, {})
    with pytest.raises(NotFoundError):
        store.scan("t1", 5)
    with pytest.raises(NotFoundError):
        store.history("nope")
    with pytest.raises(StorageError, match="invalid table id"):
        store.uri("../escape")


def test_optimize_compacts_and_keeps_the_data(store: DeltaStore) -> None:
    for hour in range(6):
        write(store, "t1", points([(f"s{hour}", hour, float(hour))]))
    before = read(store, "t1")
    assert store.stats("t1").files == 6
    metrics = store.optimize("t1", {"operation": "optimize"})
    assert metrics["numFilesRemoved"] == 6
    assert store.stats("t1").files == 1
    assert read(store, "t1").equals(before)


def test_stats(store: DeltaStore) -> None:
    write(store, "t1", points([("a", 1, 1.0), ("b", 5, 2.0), ("b", 3, 2.0)]))
    stats = store.stats("t1")
    assert (stats.rows, stats.series) == (3, 2)
    assert stats.start == datetime(2024, 1, 1, 1, tzinfo=UTC)
    assert stats.end == datetime(2024, 1, 1, 5, tzinfo=UTC)
    assert stats.size_bytes > 0
    assert stats.schema["x"] == "Float64"


def test_drop_removes_the_table(store: DeltaStore) -> None:
    write(store, "t1", points([("a", 1, 1.0)]))
    store.drop("t1")
    assert not store.exists("t1")


@pytest.mark.parametrize(
    ("message", "lost"),
    [
        ("Generic error: A table already exists at: s3://b/p/", True),
        ("Transaction failed: version 3 already exists", True),
        ("Version 3 already exists", True),
        ("Generic error: permission denied", False),
        ("Schema error: field not found", False),
    ],
)
def test_a_lost_race_is_retried_and_other_errors_are_not(message: str, lost: bool) -> None:
    # The S3 concurrency test met "a table already exists" when two ingests created a dataset
    # at once; that must be retried as a merge, not reported as a storage failure.
    from variosync.store.writing import lost_race

    assert lost_race(message) is lost

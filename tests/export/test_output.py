"""Writing files atomically, and consuming the batches lazily, one at a time."""

from __future__ import annotations

import io
import weakref
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from variosync.errors import UsageError, VarioSyncError
from variosync.export import COMPRESSIONS, EXPORT_FORMATS, write_batches, write_stream
from variosync.model import SERIES, TS

from .conftest import canonical


def batch(index: int, rows: int = 100) -> pl.DataFrame:
    start = datetime(2024, 1, 1) + timedelta(hours=index)
    return canonical(
        {
            SERIES: [f"s{index % 3}"] * rows,
            TS: [start + timedelta(seconds=i) for i in range(rows)],
            "v": [float(i) + 0.5 for i in range(rows)],
        }
    )


@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_batches_are_consumed_lazily_and_released(fmt: str) -> None:
    alive: list[weakref.ref[pl.DataFrame]] = []
    most_alive = 0

    def produce() -> Iterator[pl.DataFrame]:
        nonlocal most_alive
        for index in range(50):
            # Earlier batches must be garbage by the time the writer asks for the next one.
            most_alive = max(most_alive, sum(ref() is not None for ref in alive))
            frame = batch(index)
            alive.append(weakref.ref(frame))
            yield frame
            del frame

    source = produce()
    sink = io.BytesIO()
    assert write_stream(source, sink, fmt) == 5000
    assert most_alive <= 1
    assert sink.getvalue()


def test_output_grows_as_batches_arrive() -> None:
    sink = io.BytesIO()
    sizes: list[int] = []

    def produce() -> Iterator[pl.DataFrame]:
        for index in range(50):
            sizes.append(len(sink.getvalue()))
            yield batch(index)

    write_stream(produce(), sink, "csv")
    assert sizes == sorted(sizes) and len(set(sizes)) == 50


@pytest.mark.parametrize("compression", [None, *COMPRESSIONS])
@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_write_batches_returns_rows_and_leaves_one_file(
    tmp_path: Path, fmt: str, compression: str | None
) -> None:
    dest = tmp_path / "out.bin"
    assert write_batches((batch(i) for i in range(3)), dest, fmt, compression) == 300
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]
    assert dest.stat().st_size > 0


def failing(after: int) -> Iterator[pl.DataFrame]:
    for index in range(after):
        yield batch(index)
    raise VarioSyncError("the store went away")


@pytest.mark.parametrize("compression", [None, "zip"])
@pytest.mark.parametrize("fmt", list(EXPORT_FORMATS))
def test_an_error_leaves_no_file(tmp_path: Path, fmt: str, compression: str | None) -> None:
    dest = tmp_path / "out.bin"
    with pytest.raises(VarioSyncError, match="went away"):
        write_batches(failing(2), dest, fmt, compression)
    assert list(tmp_path.iterdir()) == []


def test_an_error_keeps_the_previous_file(tmp_path: Path) -> None:
    dest = tmp_path / "out.csv"
    dest.write_text("old export\n")
    with pytest.raises(VarioSyncError):
        write_batches(failing(5), dest, "csv")
    assert dest.read_text() == "old export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_success_replaces_the_previous_file(tmp_path: Path) -> None:
    dest = tmp_path / "out.csv"
    dest.write_text("old export\n")
    write_batches([batch(0, rows=1)], dest, "csv")
    assert dest.read_text() == "series_id,ts,v\ns0,2024-01-01T00:00:00Z,0.5\n"


def test_unknown_format_or_compression_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        write_batches([], tmp_path / "x", "excel")
    with pytest.raises(UsageError):
        write_batches([], tmp_path / "x", "csv", "rar")
    with pytest.raises(UsageError):
        write_stream([], io.BytesIO(), "csv", "lz4")
    assert list(tmp_path.iterdir()) == []


def test_mismatched_batches_are_an_error(tmp_path: Path) -> None:
    other = batch(1).rename({"v": "w"})
    with pytest.raises(VarioSyncError, match="disagree"):
        write_batches([batch(0), other], tmp_path / "out.csv", "csv")
    with pytest.raises(VarioSyncError, match="first"):
        write_batches([batch(0).select(TS, SERIES)], tmp_path / "out.csv", "csv")
    assert list(tmp_path.iterdir()) == []

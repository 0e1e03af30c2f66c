"""Streaming a plain selection reads a group of series at a time and stays sorted and complete."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from variosync import Query, Settings, Variosync
from variosync import service as service_module


@pytest.fixture
def loaded(tmp_path: Path) -> Variosync:
    lines = ["time,sensor,v"]
    # time-major, series names that are also plausible column names, and out of order
    for minute in range(30):
        for name in ("zeta", "alpha", "v", "ts", "mid"):
            lines.append(f"2024-01-01T00:{minute:02d}:00Z,{name},{minute}")
    data = tmp_path / "d.csv"
    data.write_text("\n".join(lines) + "\n")
    service = Variosync(Settings(home=tmp_path / "home"))
    service.ingest([data], "d")
    return service


@pytest.mark.parametrize("rows_per_group", [1, 30, 60, 10_000])
def test_stream_is_sorted_and_complete_whatever_the_group_size(
    loaded: Variosync, monkeypatch: pytest.MonkeyPatch, rows_per_group: int
) -> None:
    monkeypatch.setattr(service_module, "STREAM_ROWS", rows_per_group)
    streamed = pl.concat(list(loaded.stream("d")))
    assert streamed.equals(loaded.query("d"))
    assert streamed.height == 150
    assert streamed.equals(streamed.sort("series_id", "ts"))


def test_stream_of_chosen_series_and_range(
    loaded: Variosync, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_module, "STREAM_ROWS", 30)
    query = Query(series=("ts", "alpha", "nope"), fields=("v",))
    streamed = pl.concat(list(loaded.stream("d", query)))
    assert streamed.equals(loaded.query("d", query))
    assert streamed.get_column("series_id").unique(maintain_order=True).to_list() == ["alpha", "ts"]


def test_empty_stream_keeps_the_columns(loaded: Variosync) -> None:
    frames = list(loaded.stream("d", Query(series=("nope",))))
    assert [f.columns for f in frames] == [["series_id", "ts", "v"]]
    assert frames[0].height == 0

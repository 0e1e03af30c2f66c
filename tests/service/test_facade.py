"""The Python API offers what the CLI does: ``Variosync(Settings(home=...))``."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

import variosync
from variosync import Agg, Fill, IngestOptions, Kind, Query, Settings, Variosync
from variosync.errors import (
    InputError,
    NotFoundError,
    RejectedRowsError,
    UnknownFormatError,
    UsageError,
    VarioSyncError,
)

CSV = (
    "time,sensor,temp\n"
    "2024-01-01 00:00,a,1\n"
    "2024-01-01 00:30,a,3\n"
    "2024-01-01 01:00,a,5\n"
    "2024-01-01 00:00,b,10\n"
)


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_import_surface() -> None:
    assert variosync.Variosync is Variosync
    assert {"Variosync", "Settings", "Query", "IngestOptions"} <= set(variosync.__all__)
    with pytest.raises(AttributeError):
        _ = variosync.NoSuchThing  # type: ignore[attr-defined]


def test_importing_variosync_loads_no_engine() -> None:
    code = (
        "import sys, variosync; "
        "print('variosync.service' in sys.modules, 'deltalake' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]


def test_ingest_report(service: Variosync, tmp_path: Path) -> None:
    report = service.ingest([_file(tmp_path, "t.csv", CSV)], "temps")
    assert report.dataset == "temps"
    assert report.rows_read == report.rows_written == 4
    assert (report.inserted, report.updated) == (4, 0)
    assert report.series == 2
    assert report.start == datetime(2024, 1, 1, tzinfo=UTC)
    assert report.end == datetime(2024, 1, 1, 1, tzinfo=UTC)
    assert report.rejected == 0
    assert report.version == 0
    assert report.kind == "generic"
    assert report.files[0].format == "csv"


def test_ingest_options_tz(service: Variosync, tmp_path: Path) -> None:
    path = _file(tmp_path, "t.csv", CSV)
    report = service.ingest([path], "temps", IngestOptions(tz="America/New_York"))
    assert report.start == datetime(2024, 1, 1, 5, tzinfo=UTC)
    frame = service.query("temps", Query(series=("b",)))
    assert frame["ts"].to_list() == [datetime(2024, 1, 1, 5, tzinfo=UTC)]
    assert frame.schema["ts"] == pl.Datetime("us", "UTC")


def test_query_frame(service: Variosync, tmp_path: Path) -> None:
    service.ingest([_file(tmp_path, "t.csv", CSV)], "temps")
    frame = service.query("temps")
    assert frame.columns == ["series_id", "ts", "temp"]
    assert frame["temp"].to_list() == [1, 3, 5, 10]
    hourly = service.query(
        "temps", Query(series=("a",), every="1h", aggs=(Agg.MEAN, Agg.COUNT), fill=Fill.NULL)
    )
    assert hourly.rows() == [
        ("a", datetime(2024, 1, 1, 0, tzinfo=UTC), 2.0, 2),
        ("a", datetime(2024, 1, 1, 1, tzinfo=UTC), 5.0, 1),
    ]
    assert hourly.columns == ["series_id", "ts", "temp_mean", "temp_count"]
    latest = service.query("temps", Query(latest=True))
    assert latest["temp"].to_list() == [5, 10]
    window = service.query(
        "temps",
        Query(
            start=datetime(2024, 1, 1, 0, 30, tzinfo=UTC), end=datetime(2024, 1, 1, 1, tzinfo=UTC)
        ),
    )
    assert window["temp"].to_list() == [3]


def test_query_lazy_and_scan(service: Variosync, tmp_path: Path) -> None:
    service.ingest([_file(tmp_path, "t.csv", CSV)], "temps")
    lazy = service.query_lazy("temps", Query(limit=2))
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().height == 2
    assert service.scan("temps").select(pl.len()).collect().item() == 4


def test_aggregates(service: Variosync, tmp_path: Path) -> None:
    service.ingest([_file(tmp_path, "t.csv", CSV)], "temps")
    frame = service.aggregates("temps", "1h")
    assert frame.rows() == [
        (datetime(2024, 1, 1, 0, tzinfo=UTC), 3, 2),
        (datetime(2024, 1, 1, 1, tzinfo=UTC), 1, 1),
    ]
    assert frame.columns == ["ts", "points", "series"]


def test_history_as_of_and_restore(service: Variosync, tmp_path: Path) -> None:
    service.ingest([_file(tmp_path, "t.csv", CSV)], "temps")
    service.ingest([_file(tmp_path, "u.csv", "time,sensor,temp\n2024-01-01 00:00,a,99\n")], "temps")
    assert service.query("temps")["temp"].to_list() == [99, 3, 5, 10]
    history = service.history("temps")
    assert [(v.version, v.operation) for v in history] == [(1, "ingest"), (0, "ingest")]
    assert history[0].metadata["files"] == "u.csv"
    assert service.query("temps", as_of=0)["temp"].to_list() == [1, 3, 5, 10]
    restored = service.restore("temps", 0)
    assert restored.version == 2
    assert restored.row_count == 4
    assert service.query("temps").equals(service.query("temps", as_of=0))
    assert service.history("temps")[0].operation == "restore"
    with pytest.raises(NotFoundError):
        service.restore("temps", 42)


def test_optimize(service: Variosync, tmp_path: Path) -> None:
    for hour in range(4):
        line = f"time,sensor,temp\n2024-01-02 0{hour}:00,a,{hour}\n"
        service.ingest([_file(tmp_path, f"h{hour}.csv", line)], "temps")
    before = service.query("temps")
    metrics = service.optimize("temps")
    assert metrics["numFilesRemoved"] == 4
    assert metrics["numFilesAdded"] == 1
    assert metrics["version"] == 4
    assert service.query("temps").equals(before)
    assert service.info("temps").dataset.version == 4


def test_export(service: Variosync, tmp_path: Path) -> None:
    service.ingest([_file(tmp_path, "t.csv", CSV)], "temps")
    target = tmp_path / "out.parquet.zst"
    assert service.export("temps", target, query=Query(series=("b",))) == 1
    rows = service.export("temps", tmp_path / "all.dat", fmt="jsonl", compression="gz")
    assert rows == 4
    back = service.ingest([target], "copy")
    assert back.rows_written == 1
    assert service.query("copy").equals(service.query("temps", Query(series=("b",))))
    with pytest.raises(UsageError):
        service.export("temps", tmp_path / "out.weird")


def test_catalog_views(service: Variosync, tmp_path: Path) -> None:
    service.ingest([_file(tmp_path, "t.csv", CSV)], "temps")
    [listed] = service.datasets()
    assert (listed.name, listed.row_count, listed.series_count) == ("temps", 4, 2)
    found = service.info("temps")
    assert found.versions == 1
    assert [(f.name, f.dtype) for f in found.dataset.fields] == [("temp", "Int64")]
    assert service.series("temps") == ["a", "b"]
    service.delete("temps")
    assert service.datasets() == []
    with pytest.raises(NotFoundError):
        service.info("temps")


def test_errors_are_variosync_errors(service: Variosync, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        service.query("ghost")
    with pytest.raises(UsageError, match="invalid dataset name"):
        service.ingest([_file(tmp_path, "t.csv", CSV)], "../etc")
    with pytest.raises(InputError, match="no such file"):
        service.ingest([tmp_path / "nope.csv"], "x")
    noise = tmp_path / "noise.dat"
    noise.write_bytes(bytes(range(256)))
    with pytest.raises(UnknownFormatError):
        service.ingest([noise], "x")
    bars = _file(
        tmp_path, "b.csv", "date,open,high,low,close\n2024-01-01,5,4,3,4\n2024-01-02,1,2,1,2\n"
    )
    with pytest.raises(RejectedRowsError) as caught:
        service.ingest([bars], "bars", IngestOptions(strict=True))
    assert caught.value.exit_code == 5
    assert caught.value.hint
    with pytest.raises(NotFoundError):
        service.info("bars")
    report = service.ingest([bars], "bars", IngestOptions(kind=Kind.OHLCV))
    assert report.rejected == 1
    assert report.rejects_sample[0]["row"] == 1
    with pytest.raises(UsageError):
        service.query("bars", Query(fields=("nope",)))
    assert issubclass(UsageError, VarioSyncError)


def test_settings_home_holds_everything(tmp_path: Path) -> None:
    home = tmp_path / "deep" / "home"
    with Variosync(Settings(home=home)) as service:
        service.ingest([_file(tmp_path, "t.csv", CSV)], "temps")
    assert (home / "catalog.sqlite").is_file()
    assert (home / "store" / "datasets").is_dir()
    # A second facade on the same home sees the same data.
    with Variosync(Settings(home=home)) as again:
        assert again.query("temps").height == 4

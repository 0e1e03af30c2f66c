"""``variosync ingest`` reads every supported format, plain or compressed, into the same points."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
import xlsxwriter
import zstandard

from tests.cli.conftest import Cli

Write = Callable[[str, bytes | str], Path]

STAMPS = ["2024-01-15T09:30:00", "2024-01-15T09:31:00", "2024-01-15T09:32:00"]
VALUES = [1.5, 2.5, 3.5]
EXPECTED = [
    {"series_id": "probe", "ts": "2024-01-15T09:30:00Z", "value": 1.5},
    {"series_id": "probe", "ts": "2024-01-15T09:31:00Z", "value": 2.5},
    {"series_id": "probe", "ts": "2024-01-15T09:32:00Z", "value": 3.5},
]
CSV = "timestamp,value\n" + "".join(f"{t},{v}\n" for t, v in zip(STAMPS, VALUES, strict=True))


def frame() -> pl.DataFrame:
    return pl.DataFrame({"timestamp": [datetime.fromisoformat(s) for s in STAMPS], "value": VALUES})


def _parquet() -> bytes:
    buffer = io.BytesIO()
    frame().write_parquet(buffer)
    return buffer.getvalue()


def _pandas_parquet() -> bytes:
    """A pandas frame with a DatetimeIndex: the time lives in the index, not a column."""
    df = pd.DataFrame(
        {"value": VALUES}, index=pd.DatetimeIndex([pd.Timestamp(s) for s in STAMPS], name="when")
    )
    buffer = io.BytesIO()
    df.to_parquet(buffer)
    return buffer.getvalue()


def _arrow() -> bytes:
    buffer = io.BytesIO()
    frame().write_ipc(buffer)
    return buffer.getvalue()


def _arrow_stream() -> bytes:
    buffer = io.BytesIO()
    frame().write_ipc_stream(buffer)
    return buffer.getvalue()


def _xlsx(sheets: dict[str, list[tuple[str, float]]] | None = None) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    stamp = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheets = sheets or {"data": list(zip(STAMPS, VALUES, strict=True))}
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        sheet.write_row(0, 0, ["timestamp", "value"])
        for i, (when, value) in enumerate(rows, start=1):
            sheet.write_datetime(i, 0, datetime.fromisoformat(when), stamp)
            sheet.write_number(i, 1, value)
    workbook.close()
    return buffer.getvalue()


PLAIN: dict[str, Callable[[], bytes | str]] = {
    "probe.csv": lambda: CSV,
    "probe.tsv": lambda: CSV.replace(",", "\t"),
    "probe.txt": lambda: CSV.replace(",", ";").replace(".5", ",5"),  # ; and decimal comma
    "probe.json": lambda: frame().write_json(),
    "probe.jsonl": lambda: frame().write_ndjson(),
    "probe.parquet": _parquet,
    "probe.arrow": _arrow,
    "probe.arrows": _arrow_stream,
    "probe.feather": _arrow,
    "probe.xlsx": _xlsx,
}


@pytest.mark.parametrize("name", list(PLAIN))
def test_each_format_ingests_the_same_points(vs: Cli, write: Write, name: str) -> None:
    path = write(name, PLAIN[name]())
    summary = vs.ingest(path, "--dataset", "d")
    assert summary["rows_written"] == 3
    assert summary["series"] == 1
    assert summary["start"] == "2024-01-15T09:30:00Z"
    assert summary["end"] == "2024-01-15T09:32:00Z"
    assert summary["rejected"] == 0
    assert vs.points("d") == EXPECTED


def test_pandas_datetime_index_is_the_time(vs: Cli, write: Write) -> None:
    path = write("probe.parquet", _pandas_parquet())
    summary = vs.ingest(path, "-d", "d")
    assert summary["rows_written"] == 3
    assert vs.points("d") == EXPECTED


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("probe.csv", data)
    return buffer.getvalue()


COMPRESSED: dict[str, Callable[[bytes], bytes]] = {
    "probe.csv.gz": gzip.compress,
    "probe.csv.bz2": bz2.compress,
    "probe.csv.xz": lzma.compress,
    "probe.csv.zst": lambda data: zstandard.ZstdCompressor().compress(data),
    "probe.zip": _zip,
}


@pytest.mark.parametrize("name", list(COMPRESSED))
def test_compressed_files_unwrap(vs: Cli, write: Write, name: str) -> None:
    path = write(name, COMPRESSED[name](CSV.encode()))
    summary = vs.ingest(path, "-d", "d")
    assert summary["files"][0]["format"] == "csv"
    # The series is the file stem without the compression and format extensions.
    assert vs.points("d") == EXPECTED


def test_compressed_parquet(vs: Cli, write: Write) -> None:
    path = write("probe.parquet.gz", gzip.compress(_parquet()))
    vs.ingest(path, "-d", "d")
    assert vs.points("d") == EXPECTED


def test_reference_json_sample(vs: Cli, samples: Path) -> None:
    summary = vs.ingest(samples / "sample_data.json", "-d", "ref")
    assert summary["rows_written"] == 3
    assert summary["series"] == 3
    assert summary["start"] == summary["end"] == "2024-01-15T09:30:00Z"
    points = {p["series_id"]: p for p in vs.points("ref")}
    assert set(points) == {"AAPL", "MSFT", "WEATHER-STATION-001"}
    assert points["AAPL"]["close"] == 185.85
    assert points["AAPL"]["volume"] == 12345678  # "vol" maps onto volume
    assert points["WEATHER-STATION-001"]["temperature"] == 22.5
    assert points["WEATHER-STATION-001"]["close"] is None


def test_financial_json_sample(vs: Cli, samples: Path) -> None:
    summary = vs.ingest(samples / "financial_sample.json", "-d", "stocks")
    assert summary["kind"] == "ohlcv"
    assert summary["rows_written"] == 2
    assert summary["series"] == 2
    points = vs.points("stocks")
    assert [p["series_id"] for p in points] == ["AAPL", "GOOGL"]
    # The reference system's "format" label is not a field.
    assert points[1] == {
        "series_id": "GOOGL",
        "ts": "2024-01-15T09:30:00Z",
        "open": 142.3,
        "high": 143.15,
        "low": 142.1,
        "close": 142.95,
        "volume": 5432109,
    }


def test_stooq(vs: Cli, write: Write) -> None:
    path = write(
        "aapl_us.txt",
        "<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>\n"
        "AAPL.US,5,20240115,093000,185.5,186.2,185.1,185.85,12345,0\n"
        "AAPL.US,5,20240115,093500,185.85,186.0,185.6,185.9,2345,0\n",
    )
    summary = vs.ingest(path, "-d", "q")
    assert summary["files"][0]["format"] == "stooq"
    assert summary["kind"] == "ohlcv"
    assert (summary["start"], summary["end"]) == ("2024-01-15T09:30:00Z", "2024-01-15T09:35:00Z")
    first = vs.points("q")[0]
    assert first["series_id"] == "AAPL.US"
    assert (first["open"], first["high"], first["low"], first["close"]) == (
        185.5,
        186.2,
        185.1,
        185.85,
    )
    assert first["volume"] == 12345


def test_line_protocol(vs: Cli, write: Write) -> None:
    path = write(
        "weather.lp",
        "# a comment\n"
        'weather,station=b temp=21.5,n=3i,note="fine" 1700000000000000000\n'
        'weather,station=b temp=22.0,n=4i,note="ok" 1700000060000000000\n',
    )
    summary = vs.ingest(path, "-d", "w")
    assert summary["files"][0]["format"] == "lineprotocol"
    assert summary["rows_written"] == 2
    assert summary["start"] == "2023-11-14T22:13:20Z"
    assert summary["end"] == "2023-11-14T22:14:20Z"
    points = vs.points("w")
    assert [p["temp"] for p in points] == [21.5, 22.0]
    assert [p["n"] for p in points] == [3, 4]
    assert [p["note"] for p in points] == ["fine", "ok"]


def test_several_files_in_one_commit(vs: Cli, write: Write) -> None:
    a = write("a.csv", CSV)
    b = write("b.json", frame().write_json())
    summary = vs.ingest(a, b, "-d", "d")
    assert summary["version"] == 0
    assert summary["rows_written"] == 6
    assert summary["series"] == 2
    assert len(vs.history("d")) == 1
    assert {p["series_id"] for p in vs.points("d")} == {"a", "b"}


def test_semicolons_decimal_comma_and_thousands_dots(vs: Cli, write: Write) -> None:
    path = write(
        "euro.csv",
        "Datum;Wert;Menge\n"
        "2024-03-01 01:30;1.234,5;7\n"
        "2024-03-01 02:30;2,25;8\n"
        "2024-03-01 03:30;-1.234.567,125;9\n",
    )
    summary = vs.ingest(path, "-d", "d")
    assert summary["rows_written"] == 3
    assert [(p["Wert"], p["Menge"]) for p in vs.points("d")] == [
        (1234.5, 7),
        (2.25, 8),
        (-1234567.125, 9),
    ]

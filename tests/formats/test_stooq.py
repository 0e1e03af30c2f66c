"""Stooq quote files: typed naive ``ts`` from DATE+TIME, lower-case fields, a series per ticker."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from variosync.errors import ReadError
from variosync.formats import ReadOptions
from variosync.formats.stooq import open_stooq

from . import samples
from .conftest import Writer
from .samples import read_all


def test_intraday_file(write: Writer) -> None:
    source, frame = read_all(write("aapl.us.txt", samples.STOOQ))
    assert (source.format, source.time_col, source.series_col) == ("stooq", "ts", "ticker")
    assert frame.columns == ["ts", "ticker", "open", "high", "low", "close", "vol", "openint"]
    assert frame.schema["ts"] == pl.Datetime("us")
    assert frame["ts"].to_list() == [
        dt.datetime(2024, 1, 15, 9, 30),
        dt.datetime(2024, 1, 15, 9, 35),
    ]
    assert frame["ticker"].to_list() == ["AAPL.US", "AAPL.US"]
    assert frame["close"].to_list() == ["185.85", "185.9"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b"<TICKER>,<PER>,<DATE>,<OPEN>,<CLOSE>\nX,D,20240115,1,2\nX,D,20240116,2,3\n",
            [dt.datetime(2024, 1, 15), dt.datetime(2024, 1, 16)],
        ),
        (
            b"<TICKER>,<PER>,<DATE>,<TIME>,<CLOSE>\nX,D,20240115,000000,2\nX,60,20240115,90000,3\n",
            [dt.datetime(2024, 1, 15), dt.datetime(2024, 1, 15, 9)],
        ),
        (
            b"<TICKER>,<PER>,<DATE>,<TIME>,<CLOSE>\nX,D,2024-01-15,000000,2\n",
            [None],
        ),
    ],
)
def test_daily_and_odd_times(write: Writer, content: bytes, expected: list) -> None:
    _, frame = read_all(write("x.csv", content))
    assert frame["ts"].to_list() == expected
    assert "date" not in frame.columns
    assert "per" not in frame.columns


def test_batches(write: Writer) -> None:
    rows = b"".join(f"X,5,20240115,{930 + i:04d}00,1,1,1,1,1,0\n".encode() for i in range(25))
    path = write("x.txt", samples.STOOQ.splitlines(keepends=True)[0] + rows)
    source = open_stooq(path, ReadOptions(batch_rows=10))
    assert [batch.height for batch in source.batches] == [10, 10, 5]


def test_without_stooq_header_is_a_read_error(write: Writer) -> None:
    with pytest.raises(ReadError, match=r"plain\.txt: not a Stooq file"):
        open_stooq(write("plain.txt", samples.CSV), ReadOptions())

"""Typed binary formats: Parquet (pandas metadata), Arrow IPC file and stream, Feather, xlsx."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from variosync.errors import ReadError, UsageError
from variosync.formats import ReadOptions, open_source
from variosync.formats.excel import sheet_names

from . import samples
from .conftest import Writer
from .samples import read_all


@pytest.mark.parametrize(
    ("index", "expected_time_col"),
    [
        (pd.date_range("2024-01-01", periods=3, freq="h"), "__index_level_0__"),
        (pd.date_range("2024-01-01", periods=3, freq="h", name="when"), "when"),
        (pd.date_range("2024-01-01", periods=3, freq="h", tz="Europe/Zurich"), "__index_level_0__"),
        (pd.RangeIndex(3), None),
    ],
)
def test_parquet_pandas_index(
    tmp_path: Path, index: pd.Index, expected_time_col: str | None
) -> None:
    path = tmp_path / "frame.parquet"
    pd.DataFrame({"v": [1.0, 2.0, 3.0]}, index=index).to_parquet(path)
    source, frame = read_all(path)
    assert source.time_col == expected_time_col
    assert frame["v"].to_list() == [1.0, 2.0, 3.0]
    if expected_time_col is None:
        assert frame.columns == ["v"]
    else:
        assert isinstance(frame.schema[expected_time_col], pl.Datetime)


def test_parquet_batches_span_row_groups(tmp_path: Path) -> None:
    path = tmp_path / "groups.parquet"
    pl.DataFrame({"i": range(2500)}).write_parquet(path, row_group_size=700)
    with open_source(path, ReadOptions(batch_rows=1000)) as source:
        batches = list(source.batches)
    assert [batch.height for batch in batches] == [1000, 1000, 500]
    assert pl.concat(batches)["i"].to_list() == list(range(2500))


@pytest.mark.parametrize("cut", [10, 100, -10])
def test_truncated_parquet_is_a_read_error_naming_the_file(write: Writer, cut: int) -> None:
    data = samples.parquet()
    path = write("sales.parquet", data[:cut])
    with pytest.raises(ReadError, match=r"^sales\.parquet: not a valid Parquet file \(") as info:
        read_all(path)
    assert info.value.hint


@pytest.mark.parametrize(
    ("name", "data", "fmt"),
    [
        ("data.arrow", samples.arrow_file(), "arrow"),
        ("data.arrows", samples.arrow_stream(), "arrow"),
        ("data.feather", samples.arrow_file(), "feather"),
        ("data", samples.arrow_stream(), "arrow"),
    ],
)
def test_arrow_family_reads_typed_frames(write: Writer, name: str, data: bytes, fmt: str) -> None:
    source, frame = read_all(write(name, data))
    assert source.format == fmt
    assert frame.equals(samples.FRAME)


def test_arrow_stream_rebatches(write: Writer) -> None:
    path = write("data.arrows", samples.arrow_stream_batches(2500, 300))
    with open_source(path, ReadOptions(batch_rows=1000)) as source:
        batches = list(source.batches)
    assert [batch.height for batch in batches] == [1000, 1000, 500]
    assert pl.concat(batches)["i"].to_list() == list(range(2500))


@pytest.mark.parametrize(
    ("name", "data", "what"),
    [
        ("cut.arrow", samples.arrow_file()[:-40], "Arrow IPC file"),
        ("cut.arrows", samples.arrow_stream()[:-40], "Arrow IPC stream"),
        ("cut.feather", samples.arrow_file()[:50], "Arrow IPC file"),
    ],
)
def test_truncated_arrow_is_a_read_error(write: Writer, name: str, data: bytes, what: str) -> None:
    with pytest.raises(ReadError, match=rf"{re.escape(name)}: not a valid {what}"):
        read_all(write(name, data))


def test_feather_v1_is_refused_with_a_hint(write: Writer) -> None:
    with pytest.raises(ReadError, match=r"old\.feather: Feather v1 files are not supported"):
        read_all(write("old.feather", samples.feather_v1()))


def test_xlsx_first_sheet_keeps_dates_typed(write: Writer) -> None:
    source, frame = read_all(write("book.xlsx", samples.xlsx(("Data", "Other"))))
    assert source.format == "xlsx"
    assert isinstance(frame.schema["timestamp"], pl.Datetime)
    assert frame["timestamp"][0] == dt.datetime(2024, 1, 15, 9, 30)
    assert frame["value"].to_list() == [1.5, 2.5, 3.5]


def test_xlsx_sheet_by_name(write: Writer) -> None:
    path = write("book.xlsx", samples.xlsx(("Data", "Other")))
    assert sheet_names(path) == ["Data", "Other"]
    _, frame = read_all(path, ReadOptions(sheet="Other"))
    assert frame["value"].to_list() == [101.5, 102.5, 103.5]


def test_xlsx_unknown_sheet_lists_the_sheets(write: Writer) -> None:
    path = write("book.xlsx", samples.xlsx(("Data", "Other")))
    with pytest.raises(UsageError, match=r"book\.xlsx: no sheet named 'Nope'.*'Data', 'Other'"):
        read_all(path, ReadOptions(sheet="Nope"))


def test_truncated_xlsx_is_a_read_error(write: Writer) -> None:
    with pytest.raises(ReadError, match=r"cut\.xlsx: not a valid Excel workbook"):
        read_all(write("cut.xlsx", samples.xlsx()[:600]))

"""The xlsx writer read back with fastexcel: header, naive UTC datetimes, blanks, limits."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import fastexcel
import polars as pl
import pytest

from variosync.errors import UsageError
from variosync.export.excel import MAX_DATA_ROWS, write_xlsx
from variosync.model import SERIES, TS, TS_DTYPE

from .conftest import canonical


def read_back(batches: list[pl.DataFrame]) -> pl.DataFrame:
    out = io.BytesIO()
    write_xlsx(batches, out)
    return fastexcel.read_excel(out.getvalue()).load_sheet(0).to_polars()


def test_values_and_header(sample: pl.DataFrame) -> None:
    frame = sample.with_columns(pl.col(TS).dt.offset_by("1d"))  # past 1900-01-01, see roundtrip
    back = read_back([frame, frame.clear(), frame])
    assert back.columns == ["series_id", "ts", "f", "i", "s", "b"]
    assert back.height == 6
    assert back[SERIES].to_list()[:3] == ['a,b "q"', "Zürich-温度", "x y=z"]
    assert back[TS].dtype == pl.Datetime("ms")
    assert back[TS].to_list()[:2] == [
        datetime(2024, 1, 16, 9, 30),
        datetime(1900, 1, 2, 0, 0, 0, 123000),
    ]
    assert back["f"].to_list()[:3] == [0.1, 1e300, None]
    assert back["i"].to_list()[:3] == [1, None, -5]
    assert back["s"].to_list()[0] == "x\ny"
    assert back["b"].to_list()[:3] == [True, None, False]


def test_timestamps_carry_a_datetime_number_format(sample: pl.DataFrame) -> None:
    out = io.BytesIO()
    write_xlsx([sample.tail(1)], out)
    styles = zipfile.ZipFile(out).read("xl/styles.xml").decode()
    assert "yyyy-mm-dd hh:mm:ss" in styles


def test_nan_and_infinity_are_blank() -> None:
    frame = canonical(
        {
            SERIES: ["s"] * 3,
            TS: [datetime(2024, 1, 1, h) for h in range(3)],
            "v": [float("nan"), float("inf"), 2.0],
        }
    )
    assert read_back([frame])["v"].to_list() == [None, None, 2.0]


def test_empty_input_is_a_header_row() -> None:
    out = io.BytesIO()
    write_xlsx([], out)
    sheet = fastexcel.read_excel(out.getvalue()).load_sheet(0)
    assert sheet.to_polars().columns == [SERIES, TS]
    assert sheet.height == 0


def big(rows: int) -> pl.DataFrame:
    return pl.DataFrame({SERIES: pl.repeat("s", rows, eager=True)}).with_columns(
        pl.lit(datetime(2024, 1, 1)).cast(TS_DTYPE).alias(TS)
    )


def test_too_many_rows_fail_before_anything_is_written() -> None:
    out = io.BytesIO()
    with pytest.raises(UsageError, match="1,048,575") as caught:
        write_xlsx([big(10), big(MAX_DATA_ROWS - 9)], out)
    assert caught.value.hint is not None and "csv" in caught.value.hint
    assert out.getvalue() == b""


def test_one_row_over_the_limit_is_refused() -> None:
    with pytest.raises(UsageError):
        write_xlsx([big(MAX_DATA_ROWS + 1)], io.BytesIO())
    assert MAX_DATA_ROWS == 1_048_576 - 1


def test_dates_before_1900_are_refused() -> None:
    frame = canonical({SERIES: ["s"], TS: [datetime(1899, 12, 31, 23)]})
    with pytest.raises(UsageError, match="1900-01-01"):
        write_xlsx([frame], io.BytesIO())

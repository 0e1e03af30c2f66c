"""The Excel writer: one worksheet streamed by xlsxwriter in constant-memory mode."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, BinaryIO

import polars as pl
import xlsxwriter

from variosync.errors import UsageError
from variosync.export.batches import frames
from variosync.model import TS

MAX_DATA_ROWS = 1_048_575  # Excel's 1,048,576 rows less the header row
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
EARLIEST = datetime(1900, 1, 1)  # Excel's first date (wall-clock: Excel has no zones)
LATEST = datetime(9999, 12, 31, 23, 59, 59, 999999)

Cell = Callable[[int, int, Any], object]


def _cell_writer(sheet: Any, dtype: pl.DataType, date_format: Any) -> Cell:
    """How to write one non-null value of a column; NaN and infinities are left blank."""
    if dtype == pl.Boolean:
        return sheet.write_boolean  # type: ignore[no-any-return]
    if dtype.is_float():

        def number(row: int, col: int, value: float) -> object:
            return sheet.write_number(row, col, value) if math.isfinite(value) else None

        return number
    if dtype.is_numeric():
        return sheet.write_number  # type: ignore[no-any-return]
    if isinstance(dtype, pl.Datetime):
        return lambda row, col, value: sheet.write_datetime(row, col, value, date_format)
    return lambda row, col, value: sheet.write_string(row, col, str(value))


def _check_range(batch: pl.DataFrame) -> None:
    """Excel dates run from 1900-01-01 to 9999-12-31; earlier or later times cannot be written."""
    wall = pl.col(TS).dt.replace_time_zone(None)
    outside = batch.filter(~wall.is_between(EARLIEST, LATEST))
    if outside.height:
        raise UsageError(
            f"Excel holds dates from 1900-01-01 to 9999-12-31, not {outside[TS][0]:%Y-%m-%d}",
            hint="export as csv or parquet instead, or narrow the time range",
        )


def write_xlsx(batches: Iterable[pl.DataFrame], out: BinaryIO) -> int:
    """Write one worksheet with a header row; times are naive Excel datetimes (UTC, or the
    wall-clock time of the dataset's display zone).

    Rows are streamed to xlsxwriter's temporary files and the workbook reaches ``out`` only when
    it is closed, so an export that would pass Excel's row limit fails with ``UsageError`` before
    a byte is written. Excel keeps numbers as doubles shown to 15 digits (xlsxwriter writes 16
    significant digits), so integers beyond 2**53 and the last digit of some floats do not
    survive; times keep about a microsecond (readers such as fastexcel return milliseconds);
    NaN and infinities become blank cells. Times before 1900-01-01 raise ``UsageError``.
    """
    # Our own folder for xlsxwriter's temporary row file, so an aborted export leaves nothing.
    with tempfile.TemporaryDirectory(prefix="variosync-xlsx-") as folder:
        workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "tmpdir": folder})
        sheet = workbook.add_worksheet("data")
        try:
            rows = _fill(sheet, batches, workbook.add_format({"num_format": DATETIME_FORMAT}))
        except BaseException:
            sheet.row_data_fh.close()
            raise
        workbook.close()
    return rows


def _fill(sheet: Any, batches: Iterable[pl.DataFrame], date_format: Any) -> int:
    """Write the header and every batch's cells into the sheet; return the data rows."""
    rows = 0
    writers: list[Cell] = []
    for batch in frames(batches):
        if not writers:
            sheet.write_row(0, 0, batch.columns)
            sheet.set_column(1, 1, 20)
            writers = [_cell_writer(sheet, dtype, date_format) for dtype in batch.dtypes]
        if rows + batch.height > MAX_DATA_ROWS:
            raise UsageError(
                f"an Excel sheet holds at most {MAX_DATA_ROWS:,} data rows; "
                f"this export has at least {rows + batch.height:,}",
                hint="export as csv or parquet instead, or narrow the time range",
            )
        _check_range(batch)
        naive = batch.with_columns(pl.col(TS).dt.replace_time_zone(None))
        for row, values in enumerate(naive.iter_rows(), start=rows + 1):
            for col, value in enumerate(values):
                if value is not None:
                    writers[col](row, col, value)
        rows += batch.height
    return rows

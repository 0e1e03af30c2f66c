"""Excel workbooks (.xlsx) through calamine: one sheet, typed cells, dates as datetimes."""

from __future__ import annotations

from pathlib import Path

import fastexcel
import polars as pl

from variosync.errors import UsageError
from variosync.formats.base import RawSource, ReadOptions
from variosync.formats.batches import call_guarded, guarded, sliced
from variosync.formats.sniff import is_xlsx

WHAT = "Excel workbook"

sniff = is_xlsx


def open_xlsx(path: Path, options: ReadOptions) -> RawSource:
    """Open the first sheet of a workbook, or ``options.sheet`` by name; the sheet is read whole."""
    workbook = call_guarded(path, WHAT, lambda: fastexcel.read_excel(path))
    names: list[str] = list(workbook.sheet_names)
    if options.sheet is not None and options.sheet not in names:
        listed = ", ".join(repr(name) for name in names)
        raise UsageError(
            f"{path.name}: no sheet named {options.sheet!r}; the sheets are {listed}",
            hint="pass one of the listed sheet names",
        )
    if not names:
        table = pl.DataFrame()
    else:
        sheet = options.sheet if options.sheet is not None else names[0]
        table = call_guarded(path, WHAT, lambda: _load(workbook, sheet))
    return RawSource(
        name=path.name,
        format="xlsx",
        batches=guarded(path, WHAT, sliced(table, options.batch_rows)),
    )


def sheet_names(path: Path) -> list[str]:
    """The names of a workbook's sheets, in workbook order."""
    workbook = call_guarded(path, WHAT, lambda: fastexcel.read_excel(path))
    return list(workbook.sheet_names)


def _load(workbook: fastexcel.ExcelReader, sheet: str) -> pl.DataFrame:
    frame = workbook.load_sheet_by_name(sheet).to_polars()
    assert isinstance(frame, pl.DataFrame)  # fastexcel is untyped here
    return frame

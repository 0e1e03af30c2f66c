"""JSON records to typed polars frames, including the reference system's record shapes.

The reference shape ``{"series_id", "timestamp", "measurements": {...}, "metadata": {"units":
{...}}, "format"}`` becomes one flat row with a column per measurement; its ``format`` key (the
reference system's source tag) is dropped, as it is in the financial shape (records with a
``ticker``). Any other record is taken as it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1


@dataclass(frozen=True)
class Shape:
    """The series and time columns a record shape names, if any."""

    series_col: str | None = None
    time_col: str | None = None


def shape_of(record: dict[str, Any]) -> Shape:
    """Recognise the reference and financial shapes from one record."""
    time_col = "timestamp" if "timestamp" in record else None
    if isinstance(record.get("measurements"), dict):
        return Shape("series_id" if "series_id" in record else None, time_col)
    if "ticker" in record:
        return Shape("ticker", time_col)
    return Shape()


def flatten(record: dict[str, Any], units: dict[str, str]) -> dict[str, Any]:
    """One flat row from a record; ``metadata.units`` of the reference shape go into ``units``."""
    measurements = record.get("measurements")
    if isinstance(measurements, dict):
        row = {k: v for k, v in record.items() if k not in ("measurements", "metadata", "format")}
        for key, value in measurements.items():
            row.setdefault(str(key), value)
        metadata = record.get("metadata")
        found = metadata.get("units") if isinstance(metadata, dict) else None
        if isinstance(found, dict):
            units.update({str(key): _text(value) for key, value in found.items()})
        return row
    if "ticker" in record:
        return {key: value for key, value in record.items() if key != "format"}
    return record


def frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """A frame of ``rows``: the union of their keys, missing keys null, JSON types kept."""
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    return columns_frame({name: [row.get(name) for row in rows] for name in names})


def columns_frame(columns: dict[str, list[Any]]) -> pl.DataFrame:
    """A frame from column-oriented values, each column typed by what it holds."""
    return pl.DataFrame([column(name, values) for name, values in columns.items()])


def column(name: str, values: list[Any]) -> pl.Series:
    """One typed column: a single JSON type keeps it, ints with floats are floats, else strings."""
    kinds = {type(value) for value in values if value is not None}
    if kinds == {bool}:
        return pl.Series(name, values, dtype=pl.Boolean)
    # An integer beyond Int64 would lose digits as a float: the column becomes text instead.
    fits = kinds <= {int, float} and all(_fits_int64(value) for value in values)
    if kinds == {int} and fits:
        return pl.Series(name, values, dtype=pl.Int64)
    if kinds and fits:
        return pl.Series(name, [None if v is None else float(v) for v in values], dtype=pl.Float64)
    if kinds <= {str}:
        return pl.Series(name, values, dtype=pl.String)
    return pl.Series(name, [None if v is None else _text(v) for v in values], dtype=pl.String)


def _fits_int64(value: Any) -> bool:
    return not isinstance(value, int) or _INT64_MIN <= value <= _INT64_MAX


def _text(value: Any) -> str:
    """A cell as text: strings as they are, anything else as its JSON spelling."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

"""The InfluxDB line protocol writer: one ``measurement fields timestamp`` line per row."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import BinaryIO

import polars as pl

from variosync.errors import UsageError
from variosync.export.batches import field_names, frames
from variosync.model import SERIES, TS


def _escape_string(expr: pl.Expr) -> pl.Expr:
    """Backslash-escape backslashes and double quotes inside a string field value."""
    for char in '\\"':
        expr = expr.str.replace_all(char, "\\" + char, literal=True)
    return expr


def escape_name(name: str, specials: str = ",= ") -> str:
    """A measurement or field key escaped per line protocol.

    Each of ``specials`` gets a backslash. InfluxDB reads ``\\\\`` as one backslash but a lone
    backslash before any other character literally, so a backslash is doubled only where it
    precedes a backslash, a special character or the end; ``C:\\data`` stays as it is.
    """
    name = re.sub(r"\\(?=[\\" + re.escape(specials) + "]|$)", r"\\\\", name)
    return re.sub("([" + re.escape(specials) + "])", r"\\\1", name)


def _measurements(series: pl.Series) -> dict[str, str]:
    """Each distinct series id escaped as a measurement (commas and spaces)."""
    return {name: escape_name(name, ", ") for name in series.unique().drop_nulls().to_list()}


def _field(name: str, dtype: pl.DataType) -> pl.Expr:
    """``key=value`` for one field, null where the value is null (and so left out)."""
    column = pl.col(name)
    value: pl.Expr
    if dtype.is_float():
        # polars prints the shortest text that parses back to the same double; NaN and
        # infinities have no line protocol form and are left out like nulls.
        value = pl.when(column.is_finite()).then(column.cast(pl.String)).otherwise(None)
    elif dtype.is_integer():
        value = column.cast(pl.String) + pl.lit("i")
    elif dtype == pl.Boolean:
        value = column.cast(pl.String)
    else:
        value = pl.lit('"') + _escape_string(column.cast(pl.String)) + pl.lit('"')
    return pl.lit(escape_name(name) + "=") + value


def _check_names(batch: pl.DataFrame) -> None:
    """Line breaks cannot be escaped, and a line starting with ``#`` is a comment."""
    bad = [name for name in field_names(batch) if "\n" in name or "\r" in name]
    series = batch[SERIES]
    if bad or series.str.contains("[\r\n]").any() or series.str.starts_with("#").any():
        raise UsageError(
            "line protocol cannot hold a line break in a series id or field name, "
            "nor a series id starting with '#'",
            hint="export as csv, jsonl or parquet instead",
        )


def write_lineprotocol(batches: Iterable[pl.DataFrame], out: BinaryIO) -> int:
    """Write line protocol: measurement = series id, nanosecond timestamps; return lines written.

    No tags are written; the measurement escapes commas and spaces, field keys also ``=``.
    Integers get the ``i`` suffix, strings are quoted with ``"`` and ``\\`` escaped, and null,
    NaN and infinite values are left out of their line. A row whose fields are all null has no
    line protocol form: it is skipped, so the count returned is smaller than the input by the
    number of such rows. Line protocol timestamps span 1677-09-21 to 2262-04-11 (int64
    nanoseconds); a time outside that range raises ``UsageError``, as does a series id that
    starts with ``#`` (a comment line) or holds a line break.
    """
    rows = 0
    for batch in frames(batches):
        fields = [_field(name, batch.schema[name]) for name in field_names(batch)]
        if not batch.height or not fields:
            continue
        _check_names(batch)
        lines = batch.select(
            pl.col(SERIES).replace_strict(_measurements(batch[SERIES])).alias("measurement"),
            pl.concat_str(fields, separator=",", ignore_nulls=True).alias("fields"),
            pl.col(TS).dt.epoch("ns").alias("ns"),
        )
        if lines["ns"].null_count() > batch[TS].null_count():
            raise UsageError(
                "line protocol timestamps must fall between 1677-09-21 and 2262-04-11",
                hint="export as csv or parquet instead",
            )
        lines = lines.filter(pl.col("fields") != "").select(
            pl.concat_str("measurement", pl.lit(" "), "fields", pl.lit(" "), "ns").alias("line")
        )
        # quote_style="never" writes each line exactly as built, newlines inside strings included.
        lines.write_csv(out, include_header=False, quote_style="never")
        rows += lines.height
    return rows

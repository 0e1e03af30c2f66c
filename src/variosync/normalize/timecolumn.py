"""The time column(s) of a file: found by option, hint, name or content; date + clock joined."""

from __future__ import annotations

from typing import NoReturn

import polars as pl

from variosync.errors import TimestampError
from variosync.formats.base import RawSource
from variosync.model import IngestOptions
from variosync.normalize import columns as cols
from variosync.normalize.numbers import nullify
from variosync.normalize.timestamps import TimeSpec, detect, numbers_not_epochs, sample_of

_CLOCK = r"^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$"


def _part_string(expr: pl.Expr, dtype: pl.DataType, digits: bool) -> pl.Expr:
    if dtype == pl.Date or dtype == pl.Time:
        return expr.cast(pl.String)
    if isinstance(dtype, pl.Datetime):
        return expr.cast(pl.Date).cast(pl.String)
    text = nullify(expr.cast(pl.String))
    if digits:
        return text.str.zfill(6)
    # chrono's %H needs two digits: "9:30" → "09:30"
    return (
        pl.when(text.str.slice(1, 1) == ":")
        .then(pl.concat_str([pl.lit("0"), text]))
        .otherwise(text)
    )


def time_raw(
    time_columns: tuple[str, ...], schema: pl.Schema, clock_digits: bool
) -> tuple[pl.Expr, pl.DataType]:
    """The expression holding the raw time value, joining separate date and clock columns."""
    if len(time_columns) == 1:
        return pl.col(time_columns[0]), schema[time_columns[0]]
    date_col, clock_col = time_columns
    date = _part_string(pl.col(date_col), schema[date_col], digits=False)
    clock = _part_string(pl.col(clock_col), schema[clock_col], digits=clock_digits)
    return pl.concat_str([date, clock], separator=" "), pl.String()


def _clock_kind(values: pl.Series) -> bool | None:
    """None when the values are not times of day; else whether they are HHMMSS digits."""
    if values.dtype == pl.Time:
        return False
    if values.dtype.is_integer():
        return True if values.len() and bool(values.is_between(0, 235959).all()) else None
    if values.dtype != pl.String or values.len() == 0:
        return None
    if values.str.contains(_CLOCK).sum() >= 0.9 * values.len():
        return False
    return True if bool(values.str.contains(r"^\d{1,6}$").all()) else None


def _sample_time(
    batch: pl.DataFrame, time_columns: tuple[str, ...], clock_digits: bool
) -> pl.Series:
    raw, _ = time_raw(time_columns, batch.schema, clock_digits)
    return sample_of(batch.select(raw.alias("t")).to_series())


def _detect_named(
    batch: pl.DataFrame, options: IngestOptions
) -> tuple[tuple[str, ...], TimeSpec, bool] | None:
    """Time columns found by name: a date + clock pair, or the first named column that parses."""
    names = list(batch.columns)
    date_col = cols.find_named(names, cols.DATE_PART_NAMES)
    clock_col = cols.find_named(names, cols.CLOCK_PART_NAMES)
    if date_col and clock_col and date_col != clock_col:
        digits = _clock_kind(sample_of(batch[clock_col]))
        if digits is not None:
            pair = (date_col, clock_col)
            spec = detect(
                _sample_time(batch, pair, digits),
                dayfirst=options.dayfirst,
                time_format=options.time_format,
            )
            if spec is not None:
                return pair, spec, digits
    candidates = sorted(
        (c for c in names if cols.key(c) in cols.TIME_NAMES),
        key=lambda c: cols.TIME_NAMES.index(cols.key(c)),
    )
    for column in candidates:
        spec = detect(
            sample_of(batch[column]), dayfirst=options.dayfirst, time_format=options.time_format
        )
        if spec is not None:
            return (column,), spec, False
    if candidates:
        fail(batch, candidates[0])
    return None


def _detect_by_content(
    batch: pl.DataFrame, options: IngestOptions, exclude: set[str]
) -> tuple[tuple[str, ...], TimeSpec] | None:
    """The first column whose sampled values are times; a lone epoch-like integer column last."""
    epochs: list[tuple[str, TimeSpec]] = []
    for column in batch.columns:
        if column in exclude or cols.is_helper(column):
            continue
        spec = detect(
            sample_of(batch[column]),
            dayfirst=options.dayfirst,
            time_format=options.time_format,
            content_only=True,
        )
        if spec is None:
            continue
        if spec.method != "epoch":
            return (column,), spec
        epochs.append((column, spec))
    if len(epochs) == 1:
        return (epochs[0][0],), epochs[0][1]
    return None


def fail(batch: pl.DataFrame, column: str) -> NoReturn:
    """Raise TimestampError for a time column whose values do not parse, showing a few."""
    sample = sample_of(batch[column])
    if numbers_not_epochs(sample):
        text = pl.DataFrame({"v": sample.cast(pl.String)}).select(nullify(pl.col("v")))
        example = text.to_series().drop_nulls()[0]
        raise TimestampError(
            f"column {column!r} holds numbers like {example} that are not epoch times "
            "(seconds/ms/µs/ns since 1970)",
            hint="pass --time-format with a strftime pattern if they are dates, "
            "or --time-col with another column",
        )
    examples = sample.head(3).cast(pl.String).to_list()
    shown = ", ".join(repr(v) for v in examples) or "only empty cells"
    raise TimestampError(
        f"column {column!r} does not hold timestamps (values: {shown})",
        hint="pass --time-format with a strftime pattern, or --time-col with another column",
    )


def find_time(
    batch: pl.DataFrame, source: RawSource, options: IngestOptions, series_col: str | None
) -> tuple[tuple[str, ...], TimeSpec, bool]:
    """(time columns, how they parse, clock-as-digits) by option, format hint, name, then content.

    ``series_col`` is never taken as the time column by content.
    """
    wanted = options.time_col or (source.time_col if source.time_col in batch.columns else None)
    if wanted is not None:
        column = cols.resolve(batch.columns, wanted, "time column")
        spec = detect(
            sample_of(batch[column]), dayfirst=options.dayfirst, time_format=options.time_format
        )
        if spec is None:
            fail(batch, column)
        return (column,), spec, False
    named = _detect_named(batch, options)
    if named is not None:
        return named
    found = _detect_by_content(batch, options, {series_col} if series_col else set())
    if found is None:
        raise TimestampError(
            f"no time column found among: {', '.join(batch.columns)}",
            hint="pass --time-col NAME (and --time-format if the values are unusual)",
        )
    return found[0], found[1], False

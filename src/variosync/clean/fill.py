"""Operations that fill: nulls within each series, missing timestamps, and resampling."""

from __future__ import annotations

import re

import polars as pl

from variosync.clean.fields import Applied, Context, field_names, resolve, unknown_field
from variosync.clean.spec import FillGaps, FillNulls, Resample
from variosync.errors import UsageError
from variosync.model import OHLCV_FIELDS, SERIES, TS, Kind
from variosync.query import NUMERIC_ONLY, OHLCV_AGGS, Agg, agg_expr

MAX_INSERTED_ROWS = 50_000_000
"""fill_gaps refuses to insert more rows than this (a 1 s grid over a year-long gap)."""

_UNIT_US = {"us": 1, "ms": 1_000, "s": 1_000_000, "m": 60_000_000, "h": 3_600_000_000}
_UNIT_US |= {"d": 86_400_000_000, "w": 604_800_000_000}
_NEW = "__vs_new"
_RUN = "__vs_run"


def fill_nulls(frame: pl.DataFrame, step: FillNulls, ctx: Context) -> Applied:
    """Fill each field's nulls from the same series only."""
    numeric_method = step.method in ("mean", "median", "linear", "time")
    names = resolve(frame, step.fields, numeric=numeric_method)
    exprs: list[pl.Expr] = []
    for name in names:
        filled = _filled(name, step, frame.schema[name])
        if step.max_gap is not None:
            # Only runs of at most max_gap nulls are filled; longer outages stay visible.
            run_length = pl.len().over(SERIES, f"{_RUN}{name}")
            filled = (
                pl.when(pl.col(name).is_null() & (run_length > step.max_gap))
                .then(pl.lit(None))
                .otherwise(filled)
            )
        exprs.append(filled.alias(name))
    if not exprs:
        return Applied(frame)
    out = frame
    if step.max_gap is not None:
        out = out.with_columns(
            pl.col(name).is_null().rle_id().over(SERIES).alias(f"{_RUN}{name}") for name in names
        )
    out = out.with_columns(exprs)
    return Applied(out.select(frame.columns).cast(_kept_types(frame, out, names)))


def _kept_types(before: pl.DataFrame, after: pl.DataFrame, names: list[str]) -> pl.Schema:
    """Filling an integer field with a mean or interpolation makes it float; nothing else does."""
    return pl.Schema(
        {
            n: before.schema[n]
            for n in names
            if not (before.schema[n].is_integer() and after.schema[n].is_float())
        }
    )


def _filled(name: str, step: FillNulls, dtype: pl.DataType) -> pl.Expr:
    column = pl.col(name)
    if step.method == "previous":
        return column.forward_fill().over(SERIES)
    if step.method == "next":
        return column.backward_fill().over(SERIES)
    if step.method == "mean":
        return column.fill_null(column.mean().over(SERIES))
    if step.method == "median":
        return column.fill_null(column.median().over(SERIES))
    if step.method == "mode":
        return column.fill_null(column.drop_nulls().mode().sort().first().over(SERIES))
    if step.method == "linear":
        return column.cast(pl.Float64).interpolate().over(SERIES)
    if step.method == "time":
        return column.cast(pl.Float64).interpolate_by(TS).over(SERIES)
    return column.fill_null(_constant(name, dtype, step.value))


def _constant(name: str, dtype: pl.DataType, value: object) -> pl.Expr:
    ok = (
        (dtype.is_numeric() and isinstance(value, (int, float)) and not isinstance(value, bool))
        or (dtype == pl.String and isinstance(value, str))
        or (dtype == pl.Boolean and isinstance(value, bool))
    )
    if not ok:
        raise UsageError(
            f"cannot fill field {name!r} ({dtype}) with {value!r}",
            hint="give a value of the field's type",
        )
    if dtype.is_integer() and isinstance(value, float) and not value.is_integer():
        raise UsageError(f"cannot fill integer field {name!r} with {value!r}")
    return pl.lit(value).cast(dtype)


def fixed_microseconds(every: str) -> int:
    """A fixed-length interval in microseconds; calendar ones (months, years) are refused."""
    match = re.fullmatch(r"(\d+)([a-z]+)", every)
    if match is None or match.group(2) not in _UNIT_US:
        raise UsageError(
            f"interval {every!r} has no fixed length",
            hint="use a fixed unit for a grid: ms, s, m, h, d or w",
        )
    return int(match.group(1)) * _UNIT_US[match.group(2)]


def fill_gaps(frame: pl.DataFrame, step: FillGaps, ctx: Context) -> Applied:
    """Insert the timestamps missing from each series' grid (a step after each point)."""
    if frame.height == 0:
        return Applied(frame)
    diff_us = pl.col(TS).diff().over(SERIES).dt.total_microseconds()
    if step.every is not None:
        step_us: pl.Expr = pl.lit(fixed_microseconds(step.every), pl.Int64)
    else:  # each series' most common step
        step_us = diff_us.drop_nulls().mode().sort().first().over(SERIES)
    # A point less than half a step early or late is on the grid (clock jitter, not a gap).
    gaps = frame.select(
        SERIES,
        pl.col(TS).shift().over(SERIES).alias("__vs_prev"),
        step_us.alias("__vs_step"),
        ((diff_us - step_us // 2) // step_us).alias("__vs_n"),
    ).filter(pl.col("__vs_n") >= 1)
    inserted = int(gaps.get_column("__vs_n").sum() or 0)
    if inserted > MAX_INSERTED_ROWS:
        raise UsageError(
            f"fill_gaps would insert {inserted:,} rows",
            hint="use a longer interval (every), or filter the long outages out first",
        )
    new = (
        gaps.with_columns(pl.int_ranges(1, pl.col("__vs_n") + 1).alias("__vs_k"))
        .explode("__vs_k")
        .select(
            SERIES,
            (
                pl.col("__vs_prev")
                + pl.duration(microseconds=pl.col("__vs_k") * pl.col("__vs_step"))
            ).alias(TS),
        )
    )
    full = pl.concat(
        [frame.with_columns(pl.lit(False).alias(_NEW)), new.with_columns(pl.lit(True).alias(_NEW))],
        how="diagonal",
    ).sort(SERIES, TS, maintain_order=True)
    return Applied(_fill_inserted(full, step).drop(_NEW).select(frame.columns))


def _fill_inserted(full: pl.DataFrame, step: FillGaps) -> pl.DataFrame:
    if step.method == "null":
        return full
    names = field_names(full.drop(_NEW))
    if step.method in ("linear", "time"):
        names = [n for n in names if full.schema[n].is_numeric()]
    exprs: list[pl.Expr] = []
    for name in names:
        column = pl.col(name)
        if step.method == "previous":
            value = column.forward_fill().over(SERIES)
        elif step.method == "next":
            value = column.backward_fill().over(SERIES)
        elif step.method == "linear":
            value = column.cast(pl.Float64).interpolate().over(SERIES)
        elif step.method == "time":
            value = column.cast(pl.Float64).interpolate_by(TS).over(SERIES)
        else:
            value = _constant(name, full.schema[name], step.value)
        exprs.append(pl.when(pl.col(_NEW)).then(value).otherwise(column).alias(name))
    out = full.with_columns(exprs)
    # Interpolating an integer field makes it float; every other field keeps its type.
    return out.cast(
        pl.Schema({n: full.schema[n] for n in names if not full.schema[n].is_integer()})
    )


def resample(frame: pl.DataFrame, step: Resample, ctx: Context) -> Applied:
    """Aggregate each series into buckets ``[t, t + every)`` labelled by their start."""
    available = field_names(frame)
    for name in step.agg:
        if name not in available:
            raise unknown_field(name, available)
    exprs: list[pl.Expr] = []
    for name in available:
        agg = Agg(step.agg.get(name) or step.default or _default_agg(name, frame, ctx.kind))
        if agg in NUMERIC_ONLY and not frame.schema[name].is_numeric():
            if name in step.agg:
                raise UsageError(
                    f"field {name!r} holds text; {agg} needs numbers",
                    hint="use first, last, count, min or max for it",
                )
            agg = Agg.LAST
        expr = agg_expr(name, agg)
        exprs.append((expr.cast(pl.Int64) if agg is Agg.COUNT else expr).alias(name))
    out = (
        frame.group_by(SERIES, pl.col(TS).dt.truncate(step.every))
        .agg(exprs)
        .sort(SERIES, TS)
        .select(frame.columns)
    )
    return Applied(out)


def _default_agg(name: str, frame: pl.DataFrame, kind: Kind) -> str:
    if kind is Kind.OHLCV and name in OHLCV_FIELDS:
        return OHLCV_AGGS[name]
    return Agg.MEAN if frame.schema[name].is_numeric() else Agg.LAST

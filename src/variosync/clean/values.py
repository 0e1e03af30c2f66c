"""Operations that change values in place: outliers, clip, round, scale."""

from __future__ import annotations

import polars as pl

from variosync.clean.fields import Applied, Context, resolve
from variosync.clean.spec import Clip, Outliers, Round, Scale
from variosync.errors import UsageError
from variosync.model import SERIES

MAD_SCALE = 1.4826
"""Makes the median absolute deviation estimate the standard deviation of normal data."""


def outlier_bounds(name: str, method: str, limit: float, window: int) -> tuple[pl.Expr, pl.Expr]:
    """Per-series (lower, upper) bounds of field ``name``; values outside them are outliers."""
    column = pl.col(name).cast(pl.Float64)
    if method == "iqr":
        q1 = column.quantile(0.25, "linear").over(SERIES)
        q3 = column.quantile(0.75, "linear").over(SERIES)
        spread = q3 - q1
        return q1 - limit * spread, q3 + limit * spread
    if method == "zscore":
        mean = column.mean().over(SERIES)
        std = column.std().over(SERIES)
        return mean - limit * std, mean + limit * std
    median = column.rolling_median(window, center=True, min_samples=1).over(SERIES)
    deviation = (column - median).abs()
    mad = deviation.rolling_median(window, center=True, min_samples=1).over(SERIES)
    # Where most of a window is one value the MAD is 0 and any other value would be an
    # outlier (a quantised sensor): such windows test nothing, as in the profile.
    spread = pl.when(mad > 0).then(limit * MAD_SCALE * mad)
    return median - spread, median + spread


def outliers(frame: pl.DataFrame, step: Outliers, ctx: Context) -> Applied:
    """Flag, remove, clip or null each field's outliers within its own series."""
    names = resolve(frame, step.fields, numeric=True)
    if not names:
        return Applied(frame)
    # The bounds are computed once, as columns: the marks and the clip both read them.
    low, high = "__vs_low_", "__vs_high_"
    with_bounds = frame.with_columns(
        expr.alias(f"{prefix}{name}")
        for name in names
        for prefix, expr in zip(
            (low, high), outlier_bounds(name, step.method, step.limit, step.window), strict=True
        )
    )
    marks = {
        name: ((pl.col(name) < pl.col(f"{low}{name}")) | (pl.col(name) > pl.col(f"{high}{name}")))
        .fill_null(False)
        .alias(name)
        for name in names
    }
    flags = with_bounds.select(marks.values())
    flagged = int(flags.select(pl.sum_horizontal(pl.all()).sum()).item() or 0)
    if step.action == "flag":
        taken = set(frame.columns)
        for name in names:
            flag_name = f"{name}_outlier"
            if flag_name in taken and frame.schema[flag_name] != pl.Boolean:
                raise UsageError(
                    f"cannot flag into {flag_name!r}: a field of that name holds values",
                    hint="rename that field first",
                )
        columns = [flags.get_column(name).alias(f"{name}_outlier") for name in names]
        return Applied(frame.with_columns(columns), flagged=flagged)
    if step.action == "remove":
        return Applied(frame.filter(~pl.any_horizontal(flags.get_columns())), flagged=flagged)
    mask = with_bounds.with_columns(flags.select(pl.all().name.prefix("__vs_out_")).get_columns())
    if step.action == "null":
        changed = [
            pl.when(pl.col(f"__vs_out_{n}")).then(None).otherwise(pl.col(n)).alias(n) for n in names
        ]
    else:
        changed = [
            pl.when(pl.col(f"__vs_out_{n}"))
            .then(pl.col(n).cast(pl.Float64).clip(pl.col(f"{low}{n}"), pl.col(f"{high}{n}")))
            .otherwise(pl.col(n))
            .alias(n)
            for n in names
        ]
    return Applied(mask.with_columns(changed).select(frame.columns), flagged=flagged)


def clip(frame: pl.DataFrame, step: Clip, ctx: Context) -> Applied:
    """Limit values to [lower, upper]."""
    names = resolve(frame, step.fields, numeric=True)
    bounds = [b for b in (step.lower, step.upper) if b is not None]
    fractional = any(not float(b).is_integer() for b in bounds)
    exprs = [
        # An integer field clipped to a fractional bound becomes float, so no value lands
        # outside the bounds by truncation.
        (pl.col(n).cast(pl.Float64) if fractional and frame.schema[n].is_integer() else pl.col(n))
        .clip(step.lower, step.upper)
        .alias(n)
        for n in names
    ]
    return Applied(frame.with_columns(exprs))


def round_values(frame: pl.DataFrame, step: Round, ctx: Context) -> Applied:
    """Round float fields to ``decimals`` places; integers only change for negative decimals."""
    names = resolve(frame, step.fields, numeric=True)
    exprs: list[pl.Expr] = []
    for name in names:
        column = pl.col(name)
        if frame.schema[name].is_float():
            if step.decimals >= 0:
                exprs.append(column.round(step.decimals))
            else:
                unit = 10.0 ** (-step.decimals)
                exprs.append(((column / unit).round(0) * unit).alias(name))
        elif step.decimals < 0:
            unit = 10 ** (-step.decimals)
            rounded = (column.cast(pl.Float64) / unit).round(0) * unit
            exprs.append(rounded.cast(frame.schema[name]).alias(name))
    return Applied(frame.with_columns(exprs))


def scale(frame: pl.DataFrame, step: Scale, ctx: Context) -> Applied:
    """Z-score or min-max scale per series; a constant series scales to 0."""
    names = resolve(frame, step.fields, numeric=True)
    exprs: list[pl.Expr] = []
    for name in names:
        column = pl.col(name).cast(pl.Float64)
        if step.method == "zscore":
            centre, spread = column.mean().over(SERIES), column.std().over(SERIES)
        else:
            centre = column.min().over(SERIES)
            spread = column.max().over(SERIES) - centre
        scaled = pl.when(spread > 0).then((column - centre) / spread).otherwise(0.0)
        value = pl.when(column.is_null()).then(None).otherwise(scaled)
        exprs.append(value.alias(name + (step.suffix or "")))
    return Applied(frame.with_columns(exprs))

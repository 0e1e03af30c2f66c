"""Operations that add fields computed from others: expressions, returns, differences, rolling."""

from __future__ import annotations

import polars as pl

from variosync.clean.expr import compile_expression
from variosync.clean.fields import Applied, Context, resolve
from variosync.clean.spec import Derive, Diff, Returns, Rolling
from variosync.model import SERIES, TS


def _finite(expr: pl.Expr) -> pl.Expr:
    """inf and NaN (a division by zero, the log of 0) become null: a dataset holds no NaN."""
    return pl.when(expr.is_finite()).then(expr)


def derive(frame: pl.DataFrame, step: Derive, ctx: Context) -> Applied:
    """Add (or replace) a field computed by a safe expression."""
    expr = compile_expression(step.expr, frame.schema)
    return Applied(frame.with_columns(expr.alias(step.name)))


def returns(frame: pl.DataFrame, step: Returns, ctx: Context) -> Applied:
    """Simple or log returns per series; the first ``periods`` points of a series are null."""
    (name,) = resolve(frame, [step.field], numeric=True)
    column = pl.col(name).cast(pl.Float64)
    ratio = column / column.shift(step.periods).over(SERIES)
    value = ratio.log() if step.log else ratio - 1.0
    return Applied(frame.with_columns(_finite(value).alias(step.output)))


def diff(frame: pl.DataFrame, step: Diff, ctx: Context) -> Applied:
    """Differences per series: x − the value ``periods`` points earlier."""
    (name,) = resolve(frame, [step.field], numeric=True)
    value = pl.col(name).diff(step.periods).over(SERIES)
    return Applied(frame.with_columns(value.alias(step.output)))


def rolling(frame: pl.DataFrame, step: Rolling, ctx: Context) -> Applied:
    """A trailing window statistic per series, over points or over a time span."""
    (name,) = resolve(frame, [step.field], numeric=True)
    column = pl.col(name).cast(pl.Float64)
    window, least = step.window, step.min_periods
    if isinstance(window, int):
        by_points = {
            "mean": column.rolling_mean(window, min_samples=min(least, window)),
            "std": column.rolling_std(window, min_samples=min(least, window)),
            "min": column.rolling_min(window, min_samples=min(least, window)),
            "max": column.rolling_max(window, min_samples=min(least, window)),
            "median": column.rolling_median(window, min_samples=min(least, window)),
            "sum": column.rolling_sum(window, min_samples=min(least, window)),
        }
        value = by_points[step.stat]
    else:
        by_time = {
            "mean": column.rolling_mean_by(TS, window, min_samples=least),
            "std": column.rolling_std_by(TS, window, min_samples=least),
            "min": column.rolling_min_by(TS, window, min_samples=least),
            "max": column.rolling_max_by(TS, window, min_samples=least),
            "median": column.rolling_median_by(TS, window, min_samples=least),
            "sum": column.rolling_sum_by(TS, window, min_samples=least),
        }
        value = by_time[step.stat]
    return Applied(frame.with_columns(value.over(SERIES).alias(step.output)))

"""Per-series summaries: rows and time range, field statistics, OHLC rule violations.

Result columns of field ``i`` are named ``{column}:{statistic}`` after its working column.
Quantiles interpolate linearly. A field whose values are all equal gets a standard deviation of
exactly 0 and a mean equal to that value, whatever rounding would have left.
"""

from __future__ import annotations

import polars as pl

from variosync.model import SERIES, TS
from variosync.quality.fields import FieldKind
from variosync.quality.workframe import SID, FieldSpec, WorkFrame

NUMERIC_STATS = ("count", "mean", "std", "min", "p25", "median", "p75", "max")


def _numeric(spec: FieldSpec) -> list[pl.Expr]:
    v = spec.values
    flat = v.min() == v.max()
    exprs = {
        "count": v.count(),
        "mean": pl.when(flat).then(v.min()).otherwise(v.mean()),
        "std": pl.when(v.count() < 2).then(None).when(flat).then(0.0).otherwise(v.std()),
        "min": v.min(),
        "p25": v.quantile(0.25, "linear"),
        "median": v.median(),
        "p75": v.quantile(0.75, "linear"),
        "max": v.max(),
        # The working column is null where the raw one is null or not finite.
        "non_finite": (pl.col(spec.name).is_not_null() & v.is_null()).sum(),
    }
    return [expr.alias(f"{spec.column}:{name}") for name, expr in exprs.items()]


def _field(spec: FieldSpec) -> list[pl.Expr]:
    v = spec.values
    nulls = pl.col(spec.name).null_count().alias(f"{spec.column}:nulls")
    if spec.kind == FieldKind.NUMERIC:
        return [nulls, *_numeric(spec)]
    if spec.kind == FieldKind.BOOLEAN:
        return [
            nulls,
            v.count().alias(f"{spec.column}:count"),
            v.sum().alias(f"{spec.column}:true_count"),
        ]
    return [
        nulls,
        v.count().alias(f"{spec.column}:count"),
        v.drop_nulls().n_unique().alias(f"{spec.column}:distinct"),
    ]


def series_summary(work: WorkFrame, checks: list[tuple[str, pl.Expr]]) -> pl.DataFrame:
    """Per series number: series_id, rows, start, end, field statistics, ``ohlc:{rule}`` counts."""
    exprs = [
        pl.col(SERIES).first(),
        pl.len().alias("rows"),
        pl.col(TS).min().alias("start"),
        pl.col(TS).max().alias("end"),
        *(expr for spec in work.fields for expr in _field(spec)),
        *(mask.sum().alias(f"ohlc:{rule}") for rule, mask in checks),
    ]
    summary = work.frame.group_by(SID).agg(exprs).sort(SID)
    for spec in work.fields:
        if spec.kind == FieldKind.TEXT:
            summary = summary.join(
                _most_common(work, spec), on=SID, how="left", maintain_order="left"
            )
    return summary


def _most_common(work: WorkFrame, spec: FieldSpec) -> pl.DataFrame:
    """The most common text value per series, the smallest of equally common ones."""
    counts = work.frame.group_by(SID, spec.column).agg(pl.len()).drop_nulls(spec.column)
    best = (
        counts.sort([SID, "len", spec.column], descending=[False, True, False])
        .group_by(SID, maintain_order=True)
        .first()
    )
    return best.select(
        SID,
        pl.col(spec.column).alias(f"{spec.column}:most_common"),
        pl.col("len").alias(f"{spec.column}:most_common_count"),
    )

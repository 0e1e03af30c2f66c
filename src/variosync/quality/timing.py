"""The time axis of each series: step distribution, inferred frequency and gaps.

A step is the time from one point to the next within a series. The frequency is the most
common step (the shortest of equally common ones) if it makes up at least half of all steps;
a gap is a step longer than the frequency and holds round(step / frequency) − 1 missing points.
"""

from __future__ import annotations

import polars as pl

from variosync.model import TS
from variosync.quality.options import ProfileOptions
from variosync.quality.workframe import SID, WorkFrame

STEP = "__vs_step"
FREQUENCY = "__vs_frequency"


def _missing(step: pl.Expr, frequency: pl.Expr) -> pl.Expr:
    """Grid points that fit in a step, each at least half a period from the next point: the
    rows ``fill_gaps`` would insert."""
    micros, period = step.dt.total_microseconds(), frequency.dt.total_microseconds()
    return (micros - period // 2) // period


def _is_gap(step: pl.Expr, frequency: pl.Expr) -> pl.Expr:
    """A step of at least one and a half periods: a point is missing (clock jitter is not a gap;
    ``fill_gaps`` uses the same rule)."""
    return step * 2 >= frequency * 3


def time_axis(work: WorkFrame, options: ProfileOptions) -> pl.DataFrame:
    """Per series number: frequency, steps (top ones), gaps, missing_points, largest_gaps."""
    same_series = pl.col(SID) == pl.col(SID).shift(1)
    steps = work.frame.select(SID, TS, pl.when(same_series).then(pl.col(TS).diff()).alias(STEP))
    # Grouping first and dropping the null step of each series' first point after is faster.
    counts = steps.group_by(SID, STEP).agg(count=pl.len()).drop_nulls(STEP)
    total = pl.col("count").sum()
    per_series = (
        counts.sort([SID, "count", STEP], descending=[False, True, False])
        .group_by(SID, maintain_order=True)
        .agg(
            # A zero step (a repeated key) is never a frequency: gaps are measured in it.
            pl.when((pl.col("count").first() * 2 >= total) & (pl.col(STEP).first() > 0))
            .then(pl.col(STEP).first())
            .alias(FREQUENCY),
            pl.struct(pl.col(STEP).alias("step"), "count", (pl.col("count") / total).alias("share"))
            .head(options.top_steps)
            .alias("steps"),
        )
    )
    every = pl.DataFrame({SID: pl.int_range(work.series_count, dtype=pl.UInt32, eager=True)})
    axis = every.join(per_series, on=SID, how="left", maintain_order="left")
    gap_counts = (
        counts.join(axis.select(SID, FREQUENCY), on=SID)
        .filter(_is_gap(pl.col(STEP), pl.col(FREQUENCY)))
        .group_by(SID)
        .agg(
            gaps=pl.col("count").sum().cast(pl.Int64),
            missing_points=(pl.col("count") * _missing(pl.col(STEP), pl.col(FREQUENCY))).sum(),
        )
    )
    frequency = axis[FREQUENCY].gather(steps[SID])
    gap = pl.struct(
        (pl.col(TS) - pl.col(STEP)).alias("after"),
        pl.col(TS).alias("before"),
        _missing(pl.col(STEP), pl.col(FREQUENCY)).alias("missing"),
        pl.col(STEP).alias("length"),
    )
    largest = (
        steps.with_columns(frequency)
        .filter(_is_gap(pl.col(STEP), pl.col(FREQUENCY)))
        .group_by(SID)
        .agg(
            gap.top_k_by([STEP, TS], options.largest_gaps, reverse=[False, True]).alias(
                "largest_gaps"
            )
        )
    )
    return (
        axis.join(gap_counts, on=SID, how="left", maintain_order="left")
        .join(largest, on=SID, how="left", maintain_order="left")
        .with_columns(pl.col("gaps", "missing_points").fill_null(0))
    )

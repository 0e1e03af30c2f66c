"""Outliers of numeric fields by three tests, each within its own series.

- ``iqr``: outside [p25 − k·IQR, p75 + k·IQR]; scored by distance from the median.
- ``zscore``: |x − mean| / std above the threshold; nothing where std is 0 or undefined.
- ``mad``: |x − m| > threshold · 1.4826 · MAD, where m is the median of a centred window of the
  series' values (nulls skipped, so the window counts points with a value) and MAD the median of
  |x − m| over the same window. Near either end of a series the window is cut short; it must
  still hold more than half its points, so a series shorter than that is not tested.

The examples of a test are the flagged points farthest from its centre, earliest first among
equals.
"""

from __future__ import annotations

import polars as pl

from variosync.model import TS, TS_DTYPE
from variosync.quality.options import ProfileOptions
from variosync.quality.workframe import SID, FieldSpec, WorkFrame

MAD_SCALE = 1.4826
"""Makes the MAD an estimate of the standard deviation of normally distributed values."""

_SCHEMA = pl.Schema(
    {
        SID: pl.UInt32(),
        TS: TS_DTYPE,
        "value": pl.Float64(),
        "score": pl.Float64(),
        "column": pl.String(),
        "method": pl.String(),
    }
)


def outlier_table(flagged: list[pl.DataFrame], options: ProfileOptions) -> pl.DataFrame:
    """Per (series number, working column, method) with any flagged point: count, examples."""
    example = pl.struct(TS, "value").top_k_by(
        ["score", TS], options.examples, reverse=[False, True]
    )
    return (
        pl.concat([pl.DataFrame(schema=_SCHEMA), *flagged])
        .group_by(SID, "column", "method")
        .agg(pl.len().alias("count"), example.alias("examples"))
    )


def _flagged(frame: pl.DataFrame, score: pl.Expr, column: str, method: str) -> pl.DataFrame:
    """Flagged rows (already filtered) in the shape of the outlier table's input."""
    return frame.select(
        SID,
        TS,
        "value",
        score.alias("score"),
        pl.lit(column).alias("column"),
        pl.lit(method).alias("method"),
    )


def moment_outliers(
    work: WorkFrame, summary: pl.DataFrame, spec: FieldSpec, options: ProfileOptions
) -> list[pl.DataFrame]:
    """The IQR and z-score tests, against bounds from each row's series statistics."""

    def stat(name: str) -> pl.Expr:
        return pl.col(f"{spec.column}:{name}")

    reach = options.iqr_k * (stat("p75") - stat("p25"))
    spread = pl.when(stat("std") > 0).then(options.z_threshold * stat("std"))
    bounds = summary.select(
        SID,
        stat("median").alias("median"),
        stat("mean").alias("mean"),
        (stat("p25") - reach).alias("iqr_low"),
        (stat("p75") + reach).alias("iqr_high"),
        (stat("mean") - spread).alias("z_low"),
        (stat("mean") + spread).alias("z_high"),
    )
    per_row = [
        pl.lit(bounds[name]).gather(pl.col(SID)).alias(name)
        for name in ("iqr_low", "iqr_high", "z_low", "z_high")
    ]
    value = pl.col("value")
    outside = (value < pl.col("iqr_low")) | (value > pl.col("iqr_high"))
    far = (value < pl.col("z_low")) | (value > pl.col("z_high"))
    # Comparing with bounds keeps the pass over all rows to one filter; scores are computed
    # for the few rows that pass.
    flagged = (
        work.frame.select(SID, TS, spec.values.alias("value"), *per_row)
        .filter(outside | far)
        .select(SID, TS, "value", outside.alias("iqr"), far.alias("zscore"))
        .join(bounds.select(SID, "median", "mean"), on=SID, how="left")
    )
    return [
        _flagged(flagged.filter("iqr"), (value - pl.col("median")).abs(), spec.column, "iqr"),
        _flagged(flagged.filter("zscore"), (value - pl.col("mean")).abs(), spec.column, "zscore"),
    ]


def mad_outliers(work: WorkFrame, spec: FieldSpec, options: ProfileOptions) -> pl.DataFrame:
    """The rolling-MAD test over the points of each series that have a value."""
    frame = work.frame.select(SID, TS, spec.values.alias("value")).drop_nulls("value")
    sid, values = frame[SID], frame["value"]
    starts = sid.ne_missing(sid.shift(1)).arg_true().cast(pl.Int64)
    lengths = starts.shift(-1, fill_value=frame.height) - starts
    ends = _ends(starts, lengths, options.mad_window // 2)
    centre = _centred_median(values, ends, options.mad_window)
    deviation = (values - centre).abs()
    # Where a series is too short for a centre, any filler works: no window of another series
    # reaches it, and its own points are not tested.
    spread = _centred_median(deviation.fill_null(0.0), ends, options.mad_window)
    # A window that is mostly one value has a MAD of 0: it tests nothing (a quantised sensor
    # would otherwise flag every change); ``clean``'s mad method does the same.
    flagged = ((deviation > options.mad_threshold * MAD_SCALE * spread) & (spread > 0)).fill_null(
        False
    )
    found = frame.with_columns(deviation.alias("deviation")).filter(flagged)
    return _flagged(found, pl.col("deviation"), spec.column, "mad")


def _ends(starts: pl.Series, lengths: pl.Series, half: int) -> pl.DataFrame:
    """The points within a window of either end of each series: (index, series, tail, edge).

    Edge points, within half a window of an end, have windows cut short; those windows lie
    within the series' first or last whole window, which are apart (``tail`` tells them) when
    the series holds more than two windows' worth of points.
    """
    length = pl.col("length")
    head = pl.int_ranges(0, pl.min_horizontal(2 * half, length))
    tail = pl.int_ranges(pl.max_horizontal(2 * half, length - 2 * half), length)
    pos = pl.col("pos")
    return (
        pl.DataFrame({"start": starts, "length": lengths})
        .with_row_index("series")
        .with_columns(pl.concat_list(head, tail).alias("pos"))
        .explode("pos")
        .drop_nulls("pos")
        .select(
            (pl.col("start") + pos).alias("index"),
            "series",
            ((length > 4 * half) & (pos >= length - 2 * half)).alias("tail"),
            ((pos < half) | (pos >= length - half)).alias("edge"),
        )
    )


def _centred_median(values: pl.Series, ends: pl.DataFrame, window: int) -> pl.Series:
    """Rolling median over a centred window within each series (``values`` without nulls).

    polars is several times slower with ``center=True`` or with nulls in the window, so the
    whole column takes a trailing window shifted back by half, and only the points near a
    series' end, whose windows are cut short, are recomputed one series at a time.
    """
    half = window // 2
    fast = values.rolling_median(window).shift(-half)
    median = pl.col("value").rolling_median(window, center=True, min_samples=half + 1)
    short = (
        ends.with_columns(pl.lit(values).gather(pl.col("index")).alias("value"))
        .with_columns(median.over("series", "tail"))
        .filter("edge")
    )
    return fast.scatter(short["index"], short["value"])

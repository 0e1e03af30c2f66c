"""Cleaning and profiling speed: the Python API against hand-written polars doing the same work.

Both sides start from the benchmark dataset's Delta table. The recipe's baseline reads the
table, applies the same five steps per series with polars and writes a new Delta version; the
profile's baseline computes the profile's figures with polars directly.
"""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from deltalake import DeltaTable, WriterProperties, write_deltalake

from variosync import Settings, Variosync

RECIPE = [
    {"op": "fill_nulls", "method": "previous"},
    {"op": "outliers", "method": "zscore", "action": "clip", "fields": ["temperature"]},
    {"op": "derive", "name": "dew", "expr": "temperature - (100 - humidity) / 5"},
    {"op": "rolling", "field": "pressure", "stat": "mean", "window": 60},
    {"op": "filter", "where": [{"field": "wind", "cmp": "<", "value": 15}]},
]
S, T = "series_id", "ts"
REPEATS = 3
"""The recipe runs three times on each side (median): single runs moved by ±30 % here."""


@dataclass(frozen=True)
class CleanRun:
    """Seconds of the recipe and of the profile, for variosync and polars, and the row count."""

    rows: int
    recipe_variosync: float
    recipe_polars: float
    profile_variosync: float
    profile_polars: float

    @property
    def recipe_ratio(self) -> float:
        """Speed relative to polars (≥ 1 is faster)."""
        return self.recipe_polars / self.recipe_variosync

    @property
    def profile_ratio(self) -> float:
        """Speed relative to polars (≥ 1 is faster)."""
        return self.profile_polars / self.profile_variosync


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def polars_recipe(source: str, target: Path) -> int:
    """The recipe by hand: read, five steps over each series, write a Delta table."""
    table = DeltaTable(source)
    frame = pl.scan_parquet(table.file_uris()).collect().sort(S, T)
    temp = pl.col("temperature")
    mean, std = temp.mean().over(S), temp.std().over(S)
    frame = (
        frame.with_columns(pl.exclude(S, T).forward_fill().over(S))
        .with_columns(temp.clip(mean - 3 * std, mean + 3 * std))
        .with_columns((temp - (100 - pl.col("humidity")) / 5).alias("dew"))
        .with_columns(
            pl.col("pressure")
            .rolling_mean(60, min_samples=1)
            .over(S)
            .alias("pressure_rolling_mean")
        )
        .filter(pl.col("wind") < 15)
    )
    # The same table format as variosync writes: ZSTD level 3, 128k-row groups.
    properties = WriterProperties(
        compression="ZSTD", compression_level=3, max_row_group_size=128 * 1024
    )
    write_deltalake(str(target), frame.to_arrow(), mode="overwrite", writer_properties=properties)
    return frame.height


def polars_profile(source: str) -> int:
    """The profile's main figures by hand: steps, gaps, nulls, stats, outliers, constant runs."""
    frame = pl.scan_parquet(DeltaTable(source).file_uris()).collect().sort(S, T)
    fields = [c for c in frame.columns if c not in (S, T)]
    step = pl.col(T).diff().over(S)
    steps = frame.select(S, step.alias("step")).group_by(S, "step").len()
    # Window columns first (rolling medians for the MAD test, constant-run ids), then one
    # group-by for the per-series figures.
    windows: list[pl.Expr] = []
    for name in fields:
        x = pl.col(name)
        median = x.rolling_median(21, center=True, min_samples=11).over(S)
        windows.append(median.alias(f"{name}__median"))
        windows.append(x.rle_id().over(S).alias(f"{name}__run"))
    frame = frame.with_columns(windows)
    mads = [
        (pl.col(f) - pl.col(f"{f}__median"))
        .abs()
        .rolling_median(21, center=True, min_samples=11)
        .over(S)
        .alias(f"{f}__mad")
        for f in fields
    ]
    frame = frame.with_columns(mads)
    exprs: list[pl.Expr] = []
    for name in fields:
        x = pl.col(name)
        q1, q3 = x.quantile(0.25, "linear"), x.quantile(0.75, "linear")
        deviation = (x - pl.col(f"{name}__median")).abs()
        exprs += [
            x.null_count().alias(f"{name}_nulls"),
            x.mean().alias(f"{name}_mean"),
            x.std().alias(f"{name}_std"),
            x.min().alias(f"{name}_min"),
            x.max().alias(f"{name}_max"),
            q1.alias(f"{name}_q1"),
            x.median().alias(f"{name}_median"),
            q3.alias(f"{name}_q3"),
            ((x < q1 - 1.5 * (q3 - q1)) | (x > q3 + 1.5 * (q3 - q1))).sum().alias(f"{name}_iqr"),
            (((x - x.mean()) / x.std()).abs() > 3).sum().alias(f"{name}_z"),
            (deviation > 3.5 * 1.4826 * pl.col(f"{name}__mad")).sum().alias(f"{name}_mad"),
            x.rle().struct.field("len").max().alias(f"{name}_run"),
        ]
    stats = frame.group_by(S).agg(exprs)
    return steps.height + stats.height


def run_clean(home: Path, dataset: str, rows: int, scratch: Path) -> CleanRun:
    """Recipe (median of three) and profile (one run each: the margin is wide) on a copy of
    the benchmark dataset, so the query benchmark's is kept."""
    copy = scratch / "clean-home"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(home, copy)
    settings = Settings(home=copy, profile_on_write=False)
    with Variosync(settings) as vs:
        record = vs.catalog.get(dataset)
        source = vs.store.uri(record.id)
        profile_vs = _timed(lambda: vs.profile(dataset, refresh=True))
        profile_pl = _timed(lambda: polars_profile(source))
        target = scratch / "polars-clean"
        first = record.version
        mine: list[float] = []
        theirs: list[float] = []
        for _ in range(REPEATS):  # alternating, each side from the same starting data
            shutil.rmtree(target, ignore_errors=True)
            theirs.append(_timed(lambda: polars_recipe(source, target)))
            if vs.catalog.get(dataset).version != first:
                vs.restore(dataset, first)
            mine.append(_timed(lambda: vs.clean(dataset, RECIPE)))
        recipe_pl, recipe_vs = statistics.median(theirs), statistics.median(mine)
    shutil.rmtree(copy, ignore_errors=True)
    shutil.rmtree(target, ignore_errors=True)
    return CleanRun(rows, recipe_vs, recipe_pl, profile_vs, profile_pl)

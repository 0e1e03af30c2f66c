"""``profile_frame``: the data-quality profile of a canonical frame, computed series-wise.

Each stage (summaries, time axis, constant runs, outliers) is a vectorised polars pass over all
series at once and yields a small frame keyed by series number; Python only turns those rows
into profile records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import polars as pl

from variosync.model import Kind
from variosync.quality.dataset import DatasetProfile, summarize
from variosync.quality.fields import (
    BooleanStats,
    ConstantRun,
    ConstantRuns,
    FieldKind,
    FieldProfile,
    NumericStats,
    OutlierExample,
    Outliers,
    OutlierSet,
    TextStats,
)
from variosync.quality.ohlc import ohlc_checks
from variosync.quality.options import ProfileOptions
from variosync.quality.outliers import mad_outliers, moment_outliers, outlier_table
from variosync.quality.runs import constant_runs
from variosync.quality.series import Gap, SeriesProfile, StepCount
from variosync.quality.summaries import NUMERIC_STATS, series_summary
from variosync.quality.timing import FREQUENCY, time_axis
from variosync.quality.workframe import SID, FieldSpec, WorkFrame, field_specs, prepare

Row = dict[str, Any]


def profile_frame(
    frame: pl.DataFrame, kind: Kind, options: ProfileOptions | None = None
) -> DatasetProfile:
    """The profile of a canonical frame holding complete series, sorted by (series_id, ts)."""
    options = options or ProfileOptions()
    specs = field_specs(frame.schema)
    fields = [(s.name, s.kind) for s in specs]
    if frame.height == 0:
        return summarize(kind, options, fields, [])
    work = prepare(frame)
    checks = ohlc_checks(frame.columns) if kind == Kind.OHLCV else []
    # polars runs each rolling median on one thread: running the passes side by side lets the
    # MAD tests, the bulk of the work, use every core.
    with ThreadPoolExecutor(max_workers=pl.thread_pool_size()) as pool:
        mad = [pool.submit(mad_outliers, work, spec, options) for spec in work.numeric]
        axis_job = pool.submit(time_axis, work, options)
        run_jobs = {
            s.column: pool.submit(constant_runs, work, s, options.min_constant_run) for s in specs
        }
        summary = series_summary(work, checks)
        moments = [pool.submit(moment_outliers, work, summary, s, options) for s in work.numeric]
        flagged = [job.result() for job in mad] + [p for job in moments for p in job.result()]
        axis = axis_job.result()
        runs = {column: _by_series(job.result()) for column, job in run_jobs.items()}
    outliers = _outliers(outlier_table(flagged, options))
    rules = [rule for rule, _ in checks]
    series = [
        _series(work, row, time, runs, outliers, rules)
        for row, time in zip(_rows(summary), _rows(axis), strict=True)
    ]
    return summarize(kind, options, fields, series)


def _tuples(frame: pl.DataFrame) -> Iterator[tuple[Any, ...]]:
    """The rows as tuples; converting whole columns is much faster than row by row."""
    return zip(*(frame[name].to_list() for name in frame.columns), strict=True)


def _rows(frame: pl.DataFrame) -> list[Row]:
    return [dict(zip(frame.columns, values, strict=True)) for values in _tuples(frame)]


def _by_series(frame: pl.DataFrame) -> dict[int, Row]:
    return {row[SID]: row for row in _rows(frame)}


def _outliers(table: pl.DataFrame) -> dict[tuple[int, str], dict[str, Outliers]]:
    """Outliers per (series number, working column) and method, from the outlier table."""
    key = [SID, "column", "method"]
    flat = table.select(*key, "examples").explode("examples").drop_nulls("examples")
    examples: dict[tuple[int, str, str], list[OutlierExample]] = defaultdict(list)
    for sid, column, method, ts, value in _tuples(flat.unnest("examples")):
        examples[sid, column, method].append(OutlierExample(ts, value))
    found: dict[tuple[int, str], dict[str, Outliers]] = defaultdict(dict)
    for sid, column, method, count in _tuples(table.select(*key, "count")):
        found[sid, column][method] = Outliers(count, tuple(examples[sid, column, method]))
    return found


def _series(
    work: WorkFrame,
    row: Row,
    time: Row,
    runs: dict[str, dict[int, Row]],
    outliers: dict[tuple[int, str], dict[str, Outliers]],
    rules: list[str],
) -> SeriesProfile:
    sid, series_id = row[SID], row["series_id"]
    steps = time["steps"] or []
    gaps = time["largest_gaps"] or []
    return SeriesProfile(
        series_id=series_id,
        rows=row["rows"],
        start=row["start"],
        end=row["end"],
        frequency=time[FREQUENCY],
        steps=tuple(StepCount(s["step"], s["count"], s["share"]) for s in steps),
        gaps=time["gaps"],
        missing_points=time["missing_points"],
        largest_gaps=tuple(
            Gap(series_id, g["after"], g["before"], g["missing"], g["length"]) for g in gaps
        ),
        fields=tuple(
            _field(spec, row, runs[spec.column].get(sid), outliers.get((sid, spec.column)))
            for spec in work.fields
        ),
        ohlc_violations={rule: row[f"ohlc:{rule}"] for rule in rules},
    )


def _field(
    spec: FieldSpec, row: Row, runs: Row | None, outliers: dict[str, Outliers] | None
) -> FieldProfile:
    def stat(name: str) -> Any:
        return row[f"{spec.column}:{name}"]

    numeric: NumericStats | None = None
    text: TextStats | None = None
    boolean: BooleanStats | None = None
    outlier_set: OutlierSet | None = None
    if spec.kind == FieldKind.NUMERIC:
        numeric = NumericStats(*(stat(name) for name in NUMERIC_STATS))
        outlier_set = OutlierSet(**(outliers or {}))
    elif spec.kind == FieldKind.TEXT:
        most_common_count = stat("most_common_count") or 0
        text = TextStats(stat("count"), stat("distinct"), stat("most_common"), most_common_count)
    else:
        boolean = BooleanStats(stat("count"), stat("true_count") or 0)
    longest = runs["longest"] if runs else None
    return FieldProfile(
        name=spec.name,
        kind=spec.kind,
        nulls=stat("nulls"),
        non_finite=stat("non_finite") if numeric else 0,
        numeric=numeric,
        text=text,
        boolean=boolean,
        constant_runs=ConstantRuns(
            runs=runs["runs"] if runs else 0,
            longest=_run(longest) if longest else None,
        ),
        outliers=outlier_set,
    )


def _run(longest: Row) -> ConstantRun:
    return ConstantRun(longest["start"], longest["end"], longest["length"], longest["value"])

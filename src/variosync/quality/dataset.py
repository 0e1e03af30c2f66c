"""The profile of a dataset: totals and pooled field statistics over its series profiles.

Every dataset-level number is derived from the series profiles alone, by ``summarize``, so a
profile merged from disjoint groups of series equals the profile of the whole. Means and
standard deviations are pooled with exactly rounded sums, which makes them independent of how
the series were grouped. Quantiles cannot be pooled and exist per series only.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import chain

from variosync.model import Kind
from variosync.quality.fields import OUTLIER_METHODS, FieldKind, NumericStats
from variosync.quality.options import ProfileOptions
from variosync.quality.records import Record
from variosync.quality.series import Gap, SeriesProfile


@dataclass(frozen=True)
class FieldSummary(Record):
    """One field over all series; mean, std, min and max only for numeric values."""

    name: str
    kind: FieldKind
    count: int
    nulls: int
    non_finite: int
    mean: float | None
    std: float | None
    min: float | None
    max: float | None


@dataclass(frozen=True)
class Totals(Record):
    """Issues summed over all series; outliers per field per test, violations per rule."""

    gaps: int
    missing_points: int
    duplicates: int
    out_of_order: int
    constant_runs: int
    outliers: dict[str, dict[str, int]]
    ohlc_violations: dict[str, int]


@dataclass(frozen=True)
class DatasetProfile(Record):
    """The data-quality profile of a dataset and of each of its series (sorted by id)."""

    kind: Kind
    options: ProfileOptions
    rows: int
    series_count: int
    start: datetime | None
    end: datetime | None
    frequency: timedelta | None
    fields: tuple[FieldSummary, ...]
    totals: Totals
    largest_gaps: tuple[Gap, ...]
    series: tuple[SeriesProfile, ...]


def summarize(
    kind: Kind,
    options: ProfileOptions,
    fields: Sequence[tuple[str, FieldKind]],
    series: Sequence[SeriesProfile],
) -> DatasetProfile:
    """The dataset profile of some series profiles, whose fields are ``fields``."""
    series = sorted(series, key=lambda s: s.series_id)
    frequencies = Counter(s.frequency for s in series if s.frequency is not None)
    # Most common frequency; a tie goes to the shortest step.
    frequency = min(frequencies, key=lambda f: (-frequencies[f], f), default=None)
    gaps = sorted(chain.from_iterable(s.largest_gaps for s in series), key=Gap.rank)
    violations: Counter[str] = Counter()
    for profile in series:
        violations.update(profile.ohlc_violations)
    return DatasetProfile(
        kind=kind,
        options=options,
        rows=sum(s.rows for s in series),
        series_count=len(series),
        start=min((s.start for s in series), default=None),
        end=max((s.end for s in series), default=None),
        frequency=frequency,
        fields=tuple(_field_summary(name, fkind, series) for name, fkind in fields),
        totals=Totals(
            gaps=sum(s.gaps for s in series),
            missing_points=sum(s.missing_points for s in series),
            duplicates=sum(s.duplicates for s in series),
            out_of_order=sum(s.out_of_order for s in series),
            constant_runs=sum(s.constant_runs for s in series),
            outliers=_outlier_totals(fields, series),
            ohlc_violations=dict(violations),
        ),
        largest_gaps=tuple(gaps[: options.largest_gaps]),
        series=tuple(series),
    )


def _field_summary(name: str, kind: FieldKind, series: Sequence[SeriesProfile]) -> FieldSummary:
    found = [f for f in (s.field(name) for s in series) if f is not None]
    mean, std, low, high = _pooled([f.numeric for f in found if f.numeric and f.numeric.count])
    return FieldSummary(
        name=name,
        kind=kind,
        count=sum(f.count for f in found),
        nulls=sum(f.nulls for f in found),
        non_finite=sum(f.non_finite for f in found),
        mean=mean,
        std=std,
        min=low,
        max=high,
    )


def _pooled(
    parts: Sequence[NumericStats],
) -> tuple[float | None, float | None, float | None, float | None]:
    """(mean, std, min, max) of the union of samples from their per-sample summaries."""
    if not parts:
        return None, None, None, None
    n = sum(p.count for p in parts)
    mean = math.fsum(p.count * (p.mean or 0.0) for p in parts) / n
    low = min(p.min for p in parts if p.min is not None)
    high = max(p.max for p in parts if p.max is not None)
    if n < 2:
        return mean, None, low, high
    if low == high:
        # Rounding leaves a residue in the sums of equal values; equal values have no spread.
        return low, 0.0, low, high
    square_sum = math.fsum(
        (p.count - 1) * (p.std or 0.0) ** 2 + p.count * ((p.mean or 0.0) - mean) ** 2 for p in parts
    )
    return mean, math.sqrt(square_sum / (n - 1)), low, high


def _outlier_totals(
    fields: Sequence[tuple[str, FieldKind]], series: Sequence[SeriesProfile]
) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = {}
    for name, kind in fields:
        sets = [f.outliers for f in (s.field(name) for s in series) if f and f.outliers]
        if kind in (FieldKind.NUMERIC, FieldKind.MIXED) and (sets or kind == FieldKind.NUMERIC):
            totals[name] = {m: sum(o.counts()[m] for o in sets) for m in OUTLIER_METHODS}
    return totals


def merge_profiles(parts: Sequence[DatasetProfile]) -> DatasetProfile:
    """The profile of a dataset from the profiles of disjoint groups of its series.

    Counts, minima, maxima, means and standard deviations are exact; quantiles exist per
    series only. A field missing from some parts is summarised over the parts that have it,
    and is ``mixed`` where parts disagree on its kind. ValueError if the parts were profiled
    with different kinds or options, or share a series.
    """
    if not parts:
        raise ValueError("merge_profiles needs at least one profile")
    first = parts[0]
    if any(p.kind != first.kind or p.options != first.options for p in parts):
        raise ValueError("profiles to merge must share their kind and options")
    series = [s for p in parts for s in p.series]
    shared = [sid for sid, n in Counter(s.series_id for s in series).items() if n > 1]
    if shared:
        raise ValueError(f"series in more than one profile: {', '.join(sorted(shared)[:5])}")
    kinds: dict[str, FieldKind] = {}
    for summary in chain.from_iterable(p.fields for p in parts):
        known = kinds.setdefault(summary.name, summary.kind)
        if known != summary.kind:
            kinds[summary.name] = FieldKind.MIXED
    return summarize(first.kind, first.options, list(kinds.items()), series)


def attach_ingest_counts(
    profile: DatasetProfile, counts: Mapping[str, tuple[int, int]]
) -> DatasetProfile:
    """The profile with (duplicates, out_of_order) seen at ingest set per series (0 if absent)."""
    series = [
        replace(s, duplicates=d, out_of_order=o)
        for s in profile.series
        for d, o in [counts.get(s.series_id, (0, 0))]
    ]
    fields = [(f.name, f.kind) for f in profile.fields]
    return summarize(profile.kind, profile.options, fields, series)


def without_series(profile: DatasetProfile, dropped: Set[str]) -> DatasetProfile:
    """The profile of the other series only (to merge with fresh profiles of ``dropped``)."""
    kept = [s for s in profile.series if s.series_id not in dropped]
    fields = [(f.name, f.kind) for f in profile.fields]
    return summarize(profile.kind, profile.options, fields, kept)

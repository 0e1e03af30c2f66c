"""Profiling a stored dataset version a group of series at a time, in bounded memory.

After an upsert only the series it wrote can have changed, so when the previous version's
profile is at hand (and the fields are the same) only those series are profiled again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set

import polars as pl

from variosync.catalog import Dataset, VersionCatalog
from variosync.cleaning import read_group, series_groups
from variosync.errors import NotFoundError
from variosync.model import SERIES, TS, Kind
from variosync.quality import (
    DatasetProfile,
    attach_ingest_counts,
    merge_profiles,
    profile_frame,
    without_series,
)
from variosync.store import DeltaStore


def profile_table(
    store: DeltaStore,
    table_id: str,
    version: int,
    kind: Kind,
    size: tuple[int, int],
    ingest_counts: Mapping[str, tuple[int, int]],
    previous: DatasetProfile | None = None,
    touched: Set[str] | None = None,
) -> DatasetProfile:
    """The quality profile of one version; ``size`` is its (rows, series) for grouping.

    With the ``previous`` version's profile and the series a write ``touched``, the other
    series' profiles are reused.
    """
    scan = store.scan(table_id, version)
    schema = scan.collect_schema()
    reuse = _reusable(previous, touched, schema, kind)
    if reuse is not None and touched is not None:
        names = sorted(touched)
        parts = [without_series(reuse, touched)]
    else:
        unique = scan.select(pl.col(SERIES).unique()).collect().get_column(SERIES)
        names, parts = sorted(unique.drop_nulls().to_list()), []
    rows, series = size
    parts += [
        profile_frame(read_group(scan, group), kind) for group in series_groups(names, rows, series)
    ]
    if not parts:
        parts = [profile_frame(pl.DataFrame(schema=schema), kind)]
    return attach_ingest_counts(merge_profiles(parts), ingest_counts)


def _reusable(
    previous: DatasetProfile | None, touched: Set[str] | None, schema: pl.Schema, kind: Kind
) -> DatasetProfile | None:
    """The previous profile if its series and fields still describe the untouched series."""
    if previous is None or touched is None or previous.kind is not kind:
        return None
    fields = [name for name in schema.names() if name not in (SERIES, TS)]
    if {f.name for f in previous.fields} != set(fields):
        return None  # a new or widened field changes every series' profile
    return previous


def profile_version(
    store: DeltaStore,
    versions: VersionCatalog,
    record: Dataset,
    touched: Set[str] | None,
    parts: Sequence[DatasetProfile] | None = None,
) -> DatasetProfile:
    """Profile the dataset's current version and store the profile with it.

    ``touched`` names the series a write changed; when the previous version's profile is
    stored, the other series keep theirs. ``parts`` are profiles of every series of the
    version, made while it was written: they are merged instead of reading the table.
    """
    counts = versions.ingest_counts(record.id, record.version)
    if parts:
        profile = attach_ingest_counts(merge_profiles(parts), counts)
        versions.set_profile(record.id, record.version, profile.to_dict())
        return profile
    previous = None
    stored = versions.latest_profile(record.id) if touched is not None else None
    if stored is not None and stored[0] == record.version - 1:
        previous = DatasetProfile.from_dict(stored[1])
    profile = profile_table(
        store,
        record.id,
        record.version,
        Kind(record.kind),
        (record.row_count, record.series_count),
        counts,
        previous,
        touched,
    )
    versions.set_profile(record.id, record.version, profile.to_dict())
    return profile


def of_series(profile: DatasetProfile, series: Sequence[str], dataset: str) -> DatasetProfile:
    """The profile of some series only (all when none are named); unknown ones are an error."""
    if not series:
        return profile
    known = {s.series_id for s in profile.series}
    missing = [s for s in series if s not in known]
    if missing:
        raise NotFoundError(
            f"unknown series: {', '.join(missing[:5])}",
            hint=f"series of {dataset}: {', '.join(sorted(known)[:10])}",
        )
    return without_series(profile, known - set(series))

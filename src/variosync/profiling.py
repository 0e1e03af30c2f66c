"""Profiling a stored dataset version a group of series at a time, in bounded memory."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from variosync.cleaning import read_group, series_groups
from variosync.model import SERIES, Kind
from variosync.quality import DatasetProfile, attach_ingest_counts, merge_profiles, profile_frame
from variosync.store import DeltaStore


def profile_table(
    store: DeltaStore,
    table_id: str,
    version: int,
    kind: Kind,
    size: tuple[int, int],
    ingest_counts: Mapping[str, tuple[int, int]],
) -> DatasetProfile:
    """The quality profile of one version; ``size`` is its (rows, series) for grouping."""
    scan = store.scan(table_id, version)
    names = sorted(
        scan.select(pl.col(SERIES).unique()).collect().get_column(SERIES).drop_nulls().to_list()
    )
    rows, series = size
    parts = [
        profile_frame(read_group(scan, group), kind) for group in series_groups(names, rows, series)
    ]
    if not parts:
        parts = [profile_frame(pl.DataFrame(schema=scan.collect_schema()), kind)]
    return attach_ingest_counts(merge_profiles(parts), ingest_counts)

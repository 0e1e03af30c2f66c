"""Bookkeeping after every write: catalog stats, the version's record and its profile."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from variosync.catalog import Dataset, DatasetCatalog, VersionCatalog
from variosync.store import DeltaStore

if TYPE_CHECKING:
    from variosync.quality import DatasetProfile


class Bookkeeper:
    """Keeps the catalog in step with the store after each commit."""

    def __init__(
        self,
        store: DeltaStore,
        catalog: DatasetCatalog,
        versions: VersionCatalog,
        profile_on_write: bool,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.versions = versions
        self.profile_on_write = profile_on_write

    def refresh(self, record: Dataset, new_units: dict[str, str] | None = None) -> Dataset:
        """Copy the current version's stats and fields into the catalog."""
        stats = self.store.stats(record.id)
        units = {f.name: f.unit for f in record.fields if f.unit}
        units.update(new_units or {})
        fields = [
            {"name": name, "dtype": dtype, "unit": units.get(name)}
            for name, dtype in stats.schema.items()
            if name not in ("series_id", "ts")
        ]
        return self.catalog.update(
            record.id,
            fields=fields,
            row_count=stats.rows,
            series_count=stats.series,
            start=stats.start,
            end=stats.end,
            size_bytes=stats.size_bytes,
            delta_version=stats.version,
        )

    def after_write(
        self,
        record: Dataset,
        operation: str,
        new_units: dict[str, str] | None = None,
        touched: set[str] | None = None,
        zone: str | None = None,
        parts: list[DatasetProfile] | None = None,
        version: int | None = None,
        **details: Any,
    ) -> Dataset:
        """Refresh the catalog's stats, record what made ``version`` (the commit's), profile
        the current version.

        ``touched`` names the series an upsert wrote: the others keep their profiles. ``zone``
        is the new version's display zone (default: the current one carries over). ``parts``
        are profiles made on the way in; they hold only if no other commit came after ours.
        """
        fresh = self.refresh(record, new_units)
        if zone is not None:
            fresh = self.catalog.update(fresh.id, display_zone=None if zone == "UTC" else zone)
        mine = fresh.version if version is None else version
        self.versions.record(fresh.id, mine, operation, display_zone=fresh.display_zone, **details)
        if self.profile_on_write:
            from variosync.profiling import profile_version

            usable = parts if mine == fresh.version else None
            profile_version(self.store, self.versions, fresh, touched, usable)
        return fresh
